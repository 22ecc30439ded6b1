//! The engine: text before the cursor in, scored suggestions out. One immutable `Engine` is
//! shared by every thread and text field; per-call scratch buffers are thread-local, so a
//! keystroke allocates nothing but its answer.

use std::cell::RefCell;

use crate::error::{Error, Result};
use crate::lexicon::{flags, Lexicon, BOS, EOS, FIRST_WORD, UNK};
use crate::ngram::{LmState, NgramModel};
use crate::text::{self, Token};

/// Only this many bytes before the cursor are read: time per call stays bounded.
pub const MAX_CONTEXT_BYTES: usize = 512;
/// Largest `k` accepted.
pub const MAX_K: usize = 64;
/// Candidates taken per source (lexicon, each n-gram order) before scoring.
const POOL_PER_SOURCE: usize = 24;

/// What a suggestion does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuggestionKind {
    /// Completes the partial word at the cursor.
    Completion,
    /// The word after the cursor (the text ends in a space).
    Next,
    /// Replaces a mistyped word.
    Correction,
    /// Expands a shortcut or abbreviation.
    Shortcut,
}

impl SuggestionKind {
    /// Lower-case name, as the Python API shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            SuggestionKind::Completion => "completion",
            SuggestionKind::Next => "next",
            SuggestionKind::Correction => "correction",
            SuggestionKind::Shortcut => "shortcut",
        }
    }
}

/// One suggestion: the whole word to insert and its log10 score.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// Text to insert (replacing the partial word at the cursor, if any).
    pub text: String,
    /// log10 probability (higher is better).
    pub score: f32,
    /// What it does.
    pub kind: SuggestionKind,
}

/// The text before the cursor, parsed.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    /// The partial word at the cursor ("" after a space).
    pub partial: &'a str,
    /// LM state of the words before the partial word.
    pub state: LmState,
    /// True when the partial word starts a sentence.
    pub sentence_start: bool,
    /// The text shows a writer who does not capitalise: the latest evidence (a sentence's first
    /// word, or the pronoun i) was in lower case. Suggestions then follow the writer's case.
    pub lower_writer: bool,
    /// The word before the cursor is capitalised inside a sentence: a name may go on
    /// ("Central Park").
    pub after_name: bool,
    /// The word before the cursor is an ordinary word typed in capitals, as in a heading
    /// ("HISTORY OF PRESENT "): the next word follows in capitals.
    pub heading: bool,
}

#[derive(Default)]
struct Scratch {
    ids: Vec<u32>,
    /// Ids of the words before the cursor (the cache model's history).
    recent: Vec<u32>,
    /// Words that followed the word before the cursor earlier in the text (bigram cache).
    followers: Vec<u32>,
    /// Every token id before the cursor, `u32::MAX` at sentence boundaries.
    seq: Vec<u32>,
    scored: Vec<(f32, u32)>,
    folded: String,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// A loaded model pack.
pub struct Engine {
    pub(crate) lexicon: Lexicon,
    lm: NgramModel,
    /// An in-domain model (clinical notes only) linearly interpolated with `lm`, and its weight.
    domain: Option<(NgramModel, f64)>,
    /// Weight of the cache model: words already used in the text come back.
    cache_weight: f64,
    /// Weight of the bigram cache: after a word, what followed it earlier in the text.
    cache_bigram_weight: f64,
    /// Exponent of the keystroke-saving factor in the ranking (0: rank by probability alone).
    length_weight: f32,
    num_id: u32,
    comma_id: u32,
    para_id: u32,
    pub(crate) decoder: crate::decode::Decoder,
    pub(crate) trie: crate::decode::TrieIndex,
    pub(crate) rejected: crate::correct::RejectMemory,
    /// Clinical abbreviation → expansion (folded keys), offered as suggestions.
    pub(crate) abbreviations: std::collections::HashMap<String, String>,
}

/// Contexts of the main and the domain model for one state.
#[derive(Debug, Clone, Copy)]
pub struct MixContext {
    main: crate::ngram::Context,
    domain: Option<crate::ngram::Context>,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Characters that join the parts of one word at the cursor ("x-ray", "don't", "patient’s").
pub const JOINERS: [char; 3] = ['-', '\'', '\u{2019}'];

impl Engine {
    /// Put a lexicon and an n-gram model built over the same vocabulary together.
    pub fn new(lexicon: Lexicon, lm: NgramModel) -> Result<Engine> {
        if lexicon.vocab_hash() != lm.vocab_hash() || lexicon.len() != lm.vocab_size() {
            return Err(Error::corrupt(
                "the lexicon and the n-gram model were built over different vocabularies",
            ));
        }
        let num_id = lexicon.id(text::NUM).unwrap_or(UNK);
        let comma_id = lexicon.id(text::COMMA).unwrap_or(UNK);
        let para_id = lexicon.id(text::PARA).unwrap_or(BOS);
        let decoder = crate::decode::Decoder::new(
            crate::layout::Layout::qwerty(),
            crate::decode::Params::default(),
        )?;
        let trie = crate::decode::TrieIndex::build(&lexicon, 16);
        Ok(Engine {
            lexicon,
            lm,
            domain: None,
            cache_weight: 0.0,
            cache_bigram_weight: 0.0,
            length_weight: 0.0,
            num_id,
            comma_id,
            para_id,
            decoder,
            trie,
            rejected: Default::default(),
            abbreviations: Default::default(),
        })
    }

    /// Interpolate an in-domain model over the same vocabulary with weight `lambda` (0..1).
    pub fn with_domain(mut self, domain: NgramModel, lambda: f64) -> Result<Engine> {
        if domain.vocab_hash() != self.lm.vocab_hash() || !(0.0..=1.0).contains(&lambda) {
            return Err(Error::corrupt(
                "the domain model does not match the pack's vocabulary",
            ));
        }
        self.domain = Some((domain, lambda));
        Ok(self)
    }

    /// Use these decoder parameters (checked by `Params::validate`).
    pub fn with_decoder_params(mut self, params: crate::decode::Params) -> Result<Engine> {
        let layout = self.decoder.layout().clone();
        self.decoder = crate::decode::Decoder::new(layout, params)?;
        Ok(self)
    }

    /// Rank by probability × (keystrokes saved)^`weight` (0..=2).
    pub fn with_length_weight(mut self, weight: f32) -> Result<Engine> {
        if !(0.0..=2.0).contains(&weight) {
            return Err(Error::corrupt("length weight must be in 0..=2"));
        }
        self.length_weight = weight;
        Ok(self)
    }

    /// Mix a cache model (unigram of the words before the cursor) with weight `weight` (0..1).
    pub fn with_cache_weight(mut self, weight: f64) -> Result<Engine> {
        if !(0.0..1.0).contains(&weight) {
            return Err(Error::corrupt("cache weight must be in 0..1"));
        }
        self.cache_weight = weight;
        Ok(self)
    }

    /// Mix a bigram cache (what followed the previous word earlier in the text) with weight
    /// `weight`; the two cache weights together stay below 1.
    pub fn with_cache_bigram_weight(mut self, weight: f64) -> Result<Engine> {
        if !(0.0..1.0).contains(&weight) || weight + self.cache_weight >= 1.0 {
            return Err(Error::corrupt("cache weights must be in 0..1 together"));
        }
        self.cache_bigram_weight = weight;
        Ok(self)
    }

    /// The state at a sentence start (`line`: at the start of a line).
    pub fn start_state(&self, line: bool) -> LmState {
        let mut s = LmState::EMPTY;
        s.push(if line { self.para_id } else { BOS }, self.context_len());
        s
    }

    /// Offer these abbreviation expansions (`abbreviation<TAB>expansion` lines).
    pub fn with_abbreviations(mut self, tsv: &str) -> Engine {
        for line in tsv.lines() {
            if let Some((a, e)) = line.split_once('\t') {
                let (a, e) = (a.trim(), e.trim());
                if !a.is_empty() && !e.is_empty() && !a.contains(' ') {
                    self.abbreviations
                        .entry(text::fold(a))
                        .or_insert_with(|| e.to_string());
                }
            }
        }
        self
    }

    /// Resolve `state` in every model.
    pub fn context(&self, state: &LmState) -> MixContext {
        MixContext {
            main: self.lm.context(state),
            domain: self.domain.as_ref().map(|(d, _)| d.context(state)),
        }
    }

    /// log10 P(word | context) under the interpolated model.
    #[inline]
    pub fn log10_prob(&self, ctx: &MixContext, word: u32) -> f32 {
        let a = self.lm.log10_prob(&ctx.main, word);
        match (&self.domain, &ctx.domain) {
            (Some((d, lambda)), Some(c)) => {
                let b = d.log10_prob(c, word) as f64;
                (lambda * 10f64.powf(b) + (1.0 - lambda) * 10f64.powf(a as f64)).log10() as f32
            }
            _ => a,
        }
    }

    /// Number of context words the models use.
    pub fn context_len(&self) -> usize {
        let d = self.domain.as_ref().map_or(0, |(d, _)| d.context_len());
        self.lm.context_len().max(d)
    }

    /// The lexicon.
    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    /// The n-gram model.
    pub fn lm(&self) -> &NgramModel {
        &self.lm
    }

    /// Id of a token for the LM (folded lookup; unknown words are `<unk>`).
    pub fn token_id(&self, tok: Token<'_>, buf: &mut String) -> u32 {
        match tok {
            Token::Word(w) => {
                text::fold_into(w, buf);
                self.lexicon.id(buf).unwrap_or(UNK)
            }
            Token::Num => self.num_id,
            Token::Comma => self.comma_id,
            Token::Boundary => BOS,
            Token::LineBreak => self.para_id,
        }
    }

    /// The partial word at the cursor ("" after a space), as [`Self::parse`] splits it off,
    /// without reading the words before it.
    pub fn partial<'a>(&self, text: &'a str) -> &'a str {
        let text = text::tail(text, MAX_CONTEXT_BYTES);
        let partial = trailing_word(text);
        if partial.is_empty() {
            self.joined_partial(text)
        } else {
            partial
        }
    }

    /// Split the text before the cursor into the partial word and the LM state before it.
    pub fn parse<'a>(&self, text: &'a str) -> Cursor<'a> {
        let text = text::tail(text, MAX_CONTEXT_BYTES);
        let partial = self.partial(text);
        let before = &text[..text.len() - partial.len()];
        // The start of the text is the start of a line, unless the tail cut it.
        let mut state = self.start_state(text.len() < MAX_CONTEXT_BYTES);
        let mut sentence_start = true;
        let mut lower_writer = false;
        let mut after_name = false;
        let mut last_word: Option<(&str, u32)> = None;
        let keep = self.context_len();
        SCRATCH.with(|s| {
            let s = &mut *s.borrow_mut();
            s.recent.clear();
            s.seq.clear();
            for tok in text::tokens(before) {
                match tok {
                    Token::Boundary | Token::LineBreak => {
                        state = self.start_state(tok == Token::LineBreak);
                        sentence_start = true;
                        after_name = false;
                        last_word = None;
                        s.seq.push(u32::MAX);
                    }
                    t => {
                        let id = self.token_id(t, &mut s.folded);
                        after_name = false;
                        last_word = match t {
                            Token::Word(w) => Some((w, id)),
                            _ => None,
                        };
                        if let Token::Word(w) = t {
                            if let Some(lower) = self.writer_case(w, id, sentence_start) {
                                lower_writer = lower;
                            }
                            after_name = !sentence_start && self.is_name_word(w, id);
                        }
                        if id >= FIRST_WORD && id != self.num_id && id != self.comma_id {
                            s.recent.push(id);
                        }
                        s.seq.push(id);
                        state.push(id, keep);
                        sentence_start = false;
                    }
                }
            }
            s.followers.clear();
            if self.cache_bigram_weight == 0.0 {
                return;
            }
            if let Some((&prev, head)) = s.seq.split_last() {
                if prev != u32::MAX && prev != UNK {
                    let f = head
                        .windows(2)
                        .filter(|w| w[0] == prev && w[1] >= FIRST_WORD && w[1] != u32::MAX)
                        .map(|w| w[1]);
                    s.followers.extend(f);
                }
            }
        });
        // A tail cut mid-text starts without a sentence start we can trust.
        if before.trim().is_empty() && text.len() == MAX_CONTEXT_BYTES {
            sentence_start = false;
        }
        // Capitals that are the word's spelling ("MRI") are no heading.
        let heading = last_word.is_some_and(|(w, id)| {
            text::is_all_caps(w) && id >= FIRST_WORD && !text::is_all_caps(self.lexicon.display(id))
        });
        Cursor {
            partial,
            state,
            sentence_start,
            lower_writer,
            after_name,
            heading,
        }
    }

    /// `word` (lexicon id `id`), inside a sentence, may start or go on a name: it is written in
    /// title case ("Central", "Dodger"), not in capitals ("MRI") and not the pronoun "I".
    fn is_name_word(&self, word: &str, id: u32) -> bool {
        id >= FIRST_WORD && word != "I" && text::is_title_case(word)
    }

    /// What a word (lexicon id `id`) says about the writer's use of capitals: `Some(true)` for
    /// a lower-case sentence start, the pronoun "i" or a name written in lower case ("atlanta"),
    /// `Some(false)` for their capitalised forms, `None` when it says nothing.
    fn writer_case(&self, word: &str, id: u32, sentence_start: bool) -> Option<bool> {
        match word {
            "i" => return Some(true),
            "I" => return Some(false),
            _ => {}
        }
        let first = word.chars().next().filter(|c| c.is_alphabetic())?;
        if sentence_start {
            return Some(first.is_lowercase());
        }
        // A name the texts capitalise (not one often written in lower case, "park"): how the
        // writer wrote it tells.
        let name = id >= FIRST_WORD
            && self.lexicon.flags(id) & (flags::NAME | flags::LOWER_ALONE) == flags::NAME
            && word.len() >= 2
            && self.lexicon.display(id).starts_with(char::is_uppercase);
        if !name {
            return None;
        }
        if first.is_uppercase() {
            Some(false)
        } else {
            (!word.chars().any(char::is_uppercase)).then_some(true)
        }
    }

    /// A word followed by a joiner at the end of `text` ("x-", "non-", "I'") when lexicon words
    /// continue it ("x-ray", "I'm"): that is the word being typed, not a word boundary.
    /// Otherwise "" (the joiner separates, as in "2-" before "3 weeks" when no word goes on).
    fn joined_partial<'a>(&self, text: &'a str) -> &'a str {
        let Some(joiner) = text.chars().next_back() else {
            return "";
        };
        if !JOINERS.contains(&joiner) {
            return "";
        }
        let head = &text[..text.len() - joiner.len_utf8()];
        let word = trailing_word(head);
        // Digits before a hyphen are mostly a range ("2-3 weeks"), and "59" already offers
        // "59-year-old"; a long run is no word either.
        if !word.chars().any(char::is_alphabetic) || word.len() > 64 {
            return "";
        }
        let word = &text[text.len() - joiner.len_utf8() - word.len()..];
        let goes_on = SCRATCH.with(|s| {
            let s = &mut *s.borrow_mut();
            text::fold_into(word, &mut s.folded);
            !self.lexicon.prefix_range(&s.folded).is_empty()
        });
        if goes_on {
            word
        } else {
            ""
        }
    }

    /// Top-`k` suggestions for the text before the cursor, appended to `out` (cleared first).
    pub fn suggest(&self, text: &str, k: usize, out: &mut Vec<Suggestion>) -> Result<()> {
        self.suggest_at(&self.parse(text), k, out)
    }

    /// [`Self::suggest`] at a parsed cursor: callers that go on with the same text parse it once.
    pub(crate) fn suggest_at(
        &self,
        cur: &Cursor<'_>,
        k: usize,
        out: &mut Vec<Suggestion>,
    ) -> Result<()> {
        out.clear();
        if k == 0 || k > MAX_K {
            return Err(Error::InvalidInput(format!("k must be 1..={MAX_K}")));
        }
        SCRATCH.with(|s| {
            let s = &mut *s.borrow_mut();
            text::fold_into(cur.partial, &mut s.folded);
            let range = if cur.partial.is_empty() {
                FIRST_WORD..self.lexicon.len()
            } else {
                self.lexicon.prefix_range(&s.folded)
            };
            let kind = if cur.partial.is_empty() {
                SuggestionKind::Next
            } else {
                SuggestionKind::Completion
            };
            let typed = cur.partial.chars().count();
            self.rank(&cur.state, range, k, typed, s);
            for &(score, id) in s.scored.iter() {
                out.push(Suggestion {
                    text: self.surface(id, cur),
                    score,
                    kind,
                });
            }
        });
        Ok(())
    }

    /// Ranking bonus (log10) for the keystrokes a word saves: a suggestion is worth its
    /// probability times what selecting it saves, so near-ties go to the longer word.
    #[inline]
    fn saving_bonus(&self, id: u32, typed: usize) -> f32 {
        self.text_saving_bonus(self.lexicon.key(id), typed)
    }

    /// [`Self::saving_bonus`] for a word given as text (one not in the lexicon included).
    #[inline]
    pub(crate) fn text_saving_bonus(&self, word: &str, typed: usize) -> f32 {
        if self.length_weight == 0.0 {
            return 0.0;
        }
        let left = word.chars().count().saturating_sub(typed) + 1;
        self.length_weight * (left as f32).log10()
    }

    /// Sort `out` best first as the pack ranks: probability times the keystrokes each word
    /// saves (`typed` characters of the word already typed).
    pub(crate) fn sort_by_saving(&self, out: &mut [Suggestion], typed: usize) {
        let key = |s: &Suggestion| s.score + self.text_saving_bonus(&s.text, typed);
        out.sort_by(|a, b| key(b).total_cmp(&key(a)));
    }

    /// Score the candidates of `range` in context (`typed` characters of the word already
    /// typed); the best `k` land in `s.scored`, best first.
    fn rank(
        &self,
        state: &LmState,
        range: std::ops::Range<u32>,
        k: usize,
        typed: usize,
        s: &mut Scratch,
    ) {
        let Scratch {
            ids,
            scored,
            recent,
            followers,
            ..
        } = s;
        let recent: &[u32] = recent;
        let followers: &[u32] = followers;
        ids.clear();
        scored.clear();
        if range.is_empty() {
            return;
        }
        let ctx = self.context(state);
        self.lexicon
            .top_in_range(range.clone(), POOL_PER_SOURCE, ids);
        self.lm
            .successors(&ctx.main, range.clone(), POOL_PER_SOURCE, ids);
        if let (Some((d, _)), Some(c)) = (&self.domain, &ctx.domain) {
            d.successors(c, range.clone(), POOL_PER_SOURCE, ids);
        }
        let cache = self.cache_weight > 0.0 && !recent.is_empty();
        if cache {
            ids.extend(recent.iter().filter(|id| range.contains(id)));
        }
        let bigram = self.cache_bigram_weight > 0.0 && !followers.is_empty();
        if bigram {
            ids.extend(followers.iter().filter(|id| range.contains(id)));
        }
        ids.sort_unstable();
        ids.dedup();
        for &id in ids.iter() {
            if id < FIRST_WORD || id == EOS || self.lexicon.flags(id) & flags::NO_SUGGEST != 0 {
                continue;
            }
            let mut p = self.log10_prob(&ctx, id);
            if cache || bigram {
                let share =
                    |h: &[u32]| h.iter().filter(|&&r| r == id).count() as f64 / h.len() as f64;
                let (mu, nu) = (
                    self.cache_weight,
                    if bigram {
                        self.cache_bigram_weight
                    } else {
                        0.0
                    },
                );
                let c = if cache { share(recent) } else { 0.0 };
                let b = if bigram { share(followers) } else { 0.0 };
                p = ((1.0 - mu - nu) * 10f64.powf(p as f64) + mu * c + nu * b).log10() as f32;
            }
            scored.push((p + self.saving_bonus(id, typed), id));
        }
        scored.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.truncate(k);
        for x in scored.iter_mut() {
            x.0 -= self.saving_bonus(x.1, typed);
        }
    }

    /// The word's display form as it should appear at the cursor: capitalised at a sentence
    /// start or when the user typed a capital. Typed in lower case inside a sentence, it takes
    /// the case the corpora give it there: a capital when it goes on a name ("Central Park"),
    /// none when it is often lower case ("a nice park"). For a writer who does not capitalise
    /// (`Cursor::lower_writer`) and typed no capital, sentence starts and capitalised words
    /// ("Atlanta") stay in lower case; inner capitals are spelling, not capitalisation ("MRI").
    pub fn surface(&self, id: u32, cur: &Cursor<'_>) -> String {
        let typed = cur.partial;
        let disp = self.lexicon.display(id);
        // Keep the apostrophe the user types (the lexicon folds ’ to ').
        let curly;
        let disp = if typed.contains('\u{2019}') && disp.contains('\'') {
            curly = disp.replace('\'', "\u{2019}");
            curly.as_str()
        } else {
            disp
        };
        let typed_capital = typed.chars().any(char::is_uppercase);
        let inner_caps = disp.chars().skip(1).any(char::is_uppercase);
        if cur.heading && !typed.chars().any(char::is_lowercase) {
            return disp.to_uppercase();
        }
        if cur.lower_writer && !typed_capital && !inner_caps {
            return disp.to_lowercase();
        }
        let first_upper = typed.starts_with(char::is_uppercase);
        // Capitals typed ("MR", "COVID-1"), not just digits or a joiner ("59", "x-").
        let plain = disp.chars().all(|c| !c.is_uppercase());
        if text::is_all_caps(typed) && plain {
            return disp.to_uppercase();
        }
        let f = self.lexicon.flags(id);
        // An ordinary word whose corpus form is in capitals but is no clinical abbreviation
        // ("complaint" from CHIEF COMPLAINT headings, "leopard" from LEOPARD syndrome): typed
        // in lower case it is the ordinary word, capitalised only where a sentence starts.
        if !typed_capital
            && f & (flags::GENERAL | flags::NAME | flags::ABBREV) == flags::GENERAL
            && text::is_all_caps(disp)
        {
            let lower = disp.to_lowercase();
            if !cur.sentence_start || cur.lower_writer {
                return lower;
            }
            return text::capitalise(&lower);
        }
        // `after_name` is never set at a sentence start.
        let goes_on_name = cur.after_name && f & flags::CAPITAL_AFTER_NAME != 0;
        if (first_upper || cur.sentence_start || (goes_on_name && !typed_capital)) && plain {
            return text::capitalise(disp);
        }
        if !cur.sentence_start
            && !cur.after_name
            && !typed_capital
            && text::is_title_case(disp)
            && f & (flags::LOWER_ALONE | flags::DRUG) == flags::LOWER_ALONE
        {
            return disp.to_lowercase();
        }
        disp.to_string()
    }
}

impl Engine {
    /// Score running text word by word: (folded word, log10 P(word | history), in vocabulary).
    /// Sentence boundaries reset the history; `</s>` is not scored.
    pub fn score_text(&self, text: &str) -> Vec<(String, f32, bool)> {
        let mut out = Vec::new();
        let mut state = self.start_state(true);
        let mut buf = String::new();
        for tok in text::tokens(text) {
            match tok {
                Token::Boundary => state = self.start_state(false),
                Token::LineBreak => state = self.start_state(true),
                Token::Comma => state.push(self.comma_id, self.context_len()),
                t => {
                    let id = self.token_id(t, &mut buf);
                    let p = self.log10_prob(&self.context(&state), id);
                    let word = if matches!(t, Token::Num) {
                        text::NUM.to_string()
                    } else {
                        buf.clone()
                    };
                    out.push((word, p, id != UNK));
                    state.push(id, self.context_len());
                }
            }
        }
        out
    }
}

/// The partial word at the end of `text`: trailing word characters with joiners allowed inside
/// ("x-ray", "don't"), without leading joiners.
fn trailing_word(text: &str) -> &str {
    let mut start = text.len();
    for (i, c) in text.char_indices().rev() {
        if is_word_char(c) || (JOINERS.contains(&c) && start < text.len()) {
            start = i;
        } else {
            break;
        }
    }
    let mut word = &text[start..];
    while let Some(p) = word.strip_prefix(JOINERS) {
        word = p;
    }
    word
}
