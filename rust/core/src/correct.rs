//! Taps and typos: how the engine uses the decoder. Completions from noisy taps, typo
//! suggestions when no word starts with what was typed, and the autocorrect decision on space.

use std::cell::RefCell;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use crate::decode::{self, Candidate, Correction, DecodeOptions, Level, Tap, TrieIndex, Vocab};
use crate::engine::{Cursor, Engine, Suggestion, SuggestionKind, JOINERS, MAX_K};
use crate::error::{Error, Result};
use crate::lexicon::Lexicon;
use crate::text;

impl Vocab for Lexicon {
    fn len(&self) -> u32 {
        Lexicon::len(self)
    }
    fn key(&self, id: u32) -> &str {
        Lexicon::key(self, id)
    }
    fn prefix_range(&self, prefix: &str) -> std::ops::Range<u32> {
        Lexicon::prefix_range(self, prefix)
    }
    fn id(&self, key: &str) -> Option<u32> {
        Lexicon::id(self, key)
    }
    fn flags(&self, id: u32) -> u8 {
        Lexicon::flags(self, id)
    }
    fn log10_unigram(&self, id: u32) -> f32 {
        Lexicon::log10_unigram(self, id)
    }
    fn top_unigram_in_range(&self, range: std::ops::Range<u32>, k: usize, out: &mut Vec<u32>) {
        self.top_in_range(range, k, out)
    }
}

/// The lexicon with the decoder's trie index built once at load.
pub(crate) struct IndexedLexicon<'a> {
    pub(crate) lex: &'a Lexicon,
    pub(crate) index: &'a TrieIndex,
}

impl Vocab for IndexedLexicon<'_> {
    fn len(&self) -> u32 {
        self.lex.len()
    }
    fn key(&self, id: u32) -> &str {
        self.lex.key(id)
    }
    fn prefix_range(&self, prefix: &str) -> std::ops::Range<u32> {
        self.lex.prefix_range(prefix)
    }
    fn id(&self, key: &str) -> Option<u32> {
        self.lex.id(key)
    }
    fn flags(&self, id: u32) -> u8 {
        self.lex.flags(id)
    }
    fn log10_unigram(&self, id: u32) -> f32 {
        self.lex.log10_unigram(id)
    }
    fn top_unigram_in_range(&self, range: std::ops::Range<u32>, k: usize, out: &mut Vec<u32>) {
        self.lex.top_in_range(range, k, out)
    }
    fn index(&self) -> Option<&TrieIndex> {
        Some(self.index)
    }
}

/// Pairs (typed, replacement) the user undid, kept as hashes: no typed text is held.
#[derive(Default)]
pub struct RejectMemory {
    set: std::sync::Mutex<HashSet<u64>>,
}

const MAX_REJECTIONS: usize = 100_000;

fn pair_hash(typed: &str, replacement: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text::fold(typed).hash(&mut h);
    text::fold(replacement).hash(&mut h);
    h.finish()
}

impl RejectMemory {
    /// Remember that `replacement` was undone for `typed`.
    pub fn add(&self, typed: &str, replacement: &str) {
        if let Ok(mut s) = self.set.lock() {
            if s.len() >= MAX_REJECTIONS {
                s.clear();
            }
            s.insert(pair_hash(typed, replacement));
        }
    }
    /// Was this pair undone before?
    pub fn contains(&self, typed: &str, replacement: &str) -> bool {
        self.set
            .lock()
            .map(|s| s.contains(&pair_hash(typed, replacement)))
            .unwrap_or(false)
    }
    /// Forget every rejection.
    pub fn clear(&self) {
        if let Ok(mut s) = self.set.lock() {
            s.clear();
        }
    }
}

type DecodeScratch = (decode::Scratch, Vec<Candidate>, Vec<Suggestion>);

thread_local! {
    static DECODE: RefCell<Option<DecodeScratch>> = const { RefCell::new(None) };
}

/// An autocorrect verdict for the word just typed.
#[derive(Debug, Clone)]
pub struct AutocorrectResult {
    /// The replacement as it would appear.
    pub suggestion: Suggestion,
    /// Apply automatically (false: offer only).
    pub apply: bool,
    /// Why not applied: "drug", "dose", or "" when applied.
    pub guard: &'static str,
    /// Characters at the end of the text (before the space just pressed) that the replacement
    /// covers when that is more than the word at the cursor: the span the taps covered, a token
    /// glued by a full stop ("for.helping") or a word split by a mistyped space ("ni e").
    /// 0: the word at the cursor.
    pub span: usize,
}

/// True when the word before the cursor (two letters or more) starts with a capital: a title
/// ("Medical Reasoning") continues in title case.
fn after_capitalised(before: &str) -> bool {
    before
        .split_whitespace()
        .next_back()
        .is_some_and(|w| w.chars().count() >= 2 && w.chars().next().is_some_and(char::is_uppercase))
}

impl Engine {
    fn with_decode<R>(
        &self,
        f: impl FnOnce(&mut decode::Scratch, &mut Vec<Candidate>, &mut Vec<Suggestion>) -> R,
    ) -> R {
        DECODE.with(|cell| {
            let mut c = cell.borrow_mut();
            let (s, cands, sugs) =
                c.get_or_insert_with(|| (self.decoder.scratch(), Vec::new(), Vec::new()));
            f(s, cands, sugs)
        })
    }

    fn check_taps(partial: &str, taps: Option<&[Tap]>) -> Result<()> {
        if let Some(t) = taps {
            if t.len() != partial.chars().count() {
                return Err(Error::InvalidInput(
                    "taps must give one (x, y) point per character of the word at the cursor"
                        .into(),
                ));
            }
            if t.iter().any(|p| !p.x.is_finite() || !p.y.is_finite()) {
                return Err(Error::InvalidInput(
                    "tap coordinates must be finite numbers".into(),
                ));
            }
        }
        Ok(())
    }

    /// Suggestions for the text before the cursor, with optional tap coordinates for the
    /// characters of the partial word. Literal completions and decoder candidates are merged;
    /// without taps the decoder fills the strip only when no word starts with what was typed.
    pub fn suggest_with_taps(
        &self,
        text: &str,
        taps: Option<&[Tap]>,
        k: usize,
        out: &mut Vec<Suggestion>,
    ) -> Result<()> {
        self.suggest_with_taps_at(&self.parse(text), taps, k, out)
    }

    /// [`Self::suggest_with_taps`] at a parsed cursor.
    pub(crate) fn suggest_with_taps_at(
        &self,
        cur: &Cursor<'_>,
        taps: Option<&[Tap]>,
        k: usize,
        out: &mut Vec<Suggestion>,
    ) -> Result<()> {
        self.suggest_at(cur, k, out)?;
        let n_chars = cur.partial.chars().count();
        // Taps for the letters only of a word that goes on past a joiner ("x-"): read as typed.
        let taps = taps.filter(|t| t.len() >= n_chars || !cur.partial.ends_with(JOINERS));
        // Only the last MAX taps matter if the tail cut the word (it cannot for real words).
        let taps = taps.map(|t| &t[t.len().saturating_sub(n_chars)..]);
        Self::check_taps(cur.partial, taps)?;
        // Without taps the decoder only steps in when no word starts with what was typed: it
        // costs a few hundred microseconds, and a valid prefix rarely hides a typo.
        if cur.partial.is_empty() || (taps.is_none() && !out.is_empty()) {
            return Ok(());
        }
        let vocab = IndexedLexicon {
            lex: &self.lexicon,
            index: &self.trie,
        };
        let (lm, pair) = self.scorers(cur.state);
        let folded = text::fold(cur.partial);
        self.with_decode(|scratch, cands, _| -> Result<()> {
            let opts = DecodeOptions {
                k: (k + 3).min(MAX_K),
                pair_lm: Some(&pair),
                ..DecodeOptions::default()
            };
            self.decoder
                .decode(&vocab, cur.partial, taps, &lm, &opts, scratch, cands)?;
            let ln10 = std::f32::consts::LN_10;
            for c in cands.iter() {
                let text = self.candidate_text(c.id, c.second, cur);
                let literal =
                    c.second.is_none() && self.lexicon.key(c.id).starts_with(folded.as_str());
                if let Some(existing) = out.iter_mut().find(|s| s.text == text) {
                    existing.score = existing.score.max(c.score / ln10);
                    continue;
                }
                out.push(Suggestion {
                    text,
                    score: c.score / ln10,
                    kind: if literal {
                        SuggestionKind::Completion
                    } else {
                        SuggestionKind::Correction
                    },
                });
            }
            Ok(())
        })?;
        out.sort_by(|a, b| b.score.total_cmp(&a.score));
        out.truncate(k);
        Ok(())
    }

    /// The user typed the last word of `text` and pressed space: should it be replaced?
    /// `known_to_user` marks a word in the user's own dictionary (never replaced).
    pub fn autocorrect(
        &self,
        text: &str,
        taps: Option<&[Tap]>,
        level: Level,
        known_to_user: &dyn Fn(&str) -> bool,
    ) -> Result<Option<AutocorrectResult>> {
        let trimmed = text.strip_suffix(' ').unwrap_or(text);
        let mut cur = self.parse(trimmed);
        // "x- " or "don' " is not a finished word to correct.
        if cur.partial.is_empty() || cur.partial.ends_with(JOINERS) {
            return Ok(None);
        }
        // Taps for more than the word at the cursor, over a token like "for.helping" or "ni e":
        // the taps say what the user typed as one word; the "." may be a missed space bar, the
        // space a letter tapped too low.
        let glued = taps
            .filter(|t| t.len() > cur.partial.chars().count())
            .and_then(|t| glued_span(trimmed, t.len()));
        if let Some(g) = glued {
            let head = &trimmed[..trimmed.len() - g.len()];
            cur = Cursor {
                partial: g,
                ..self.parse(head)
            };
        }
        let taps = taps.map(|t| &t[t.len().saturating_sub(cur.partial.chars().count())..]);
        Self::check_taps(cur.partial, taps)?;
        let vocab = IndexedLexicon {
            lex: &self.lexicon,
            index: &self.trie,
        };
        let (lm, pair) = self.scorers(cur.state);
        let rejected = |t: &str, r: &str| self.rejected.contains(t, r);
        let known = known_to_user(cur.partial);
        let c: Option<Correction> = self.with_decode(|scratch, _, _| {
            self.decoder.autocorrect(
                &vocab,
                cur.partial,
                taps,
                &lm,
                Some(&pair),
                level,
                known,
                &rejected,
                scratch,
            )
        })?;
        let Some(c) = c else {
            if glued.is_some() {
                return Ok(None);
            }
            return Ok(self.case_fix(&cur, level, known));
        };
        // A lexicon word typed with a capital inside a sentence is a name the user means
        // ("Ben", "Pier", "ANZ"), not a real-word error for a common word ("been", "per").
        // Only its case may change.
        if !cur.sentence_start
            && cur.partial.starts_with(char::is_uppercase)
            && !self.lexicon.display(c.id).starts_with(char::is_uppercase)
            && glued.is_none()
            && self
                .lexicon
                .id(&text::fold(cur.partial))
                .is_some_and(|id| id >= decode::FIRST_WORD_ID && (id != c.id || c.second.is_some()))
        {
            return Ok(None);
        }
        let mut text = self.candidate_text(c.id, c.second, &cur);
        let before = trimmed.strip_suffix(cur.partial).unwrap_or("");
        if c.second.is_none() && !cur.sentence_start && !after_capitalised(before) {
            self.untitle(c.id, cur.partial, &mut text);
        }
        // Two words typed with their space ("to go"): nothing to replace.
        if glued.is_some() && text == cur.partial {
            return Ok(None);
        }
        Ok(Some(AutocorrectResult {
            suggestion: Suggestion {
                text,
                score: c.confidence,
                kind: SuggestionKind::Correction,
            },
            apply: c.apply,
            guard: match c.guard {
                decode::Guard::None => "",
                decode::Guard::Drug => "drug",
                decode::Guard::Dose => "dose",
            },
            span: glued.map_or(0, |g| g.chars().count()),
        }))
    }

    /// What a decode in context scores with: log10 P(word | the words before), and
    /// log10 P(second | the words before, first) for a split's second word.
    fn scorers(
        &self,
        state: crate::ngram::LmState,
    ) -> (impl Fn(u32) -> f32 + '_, impl Fn(u32, u32) -> f32 + '_) {
        let ctx = self.context(&state);
        let lm = move |id: u32| self.log10_prob(&ctx, id);
        let pair = move |first: u32, second: u32| {
            let mut st = state;
            st.push(first, self.context_len());
            self.log10_prob(&self.context(&st), second)
        };
        (lm, pair)
    }

    /// A known, not rare word typed in lower case that is written otherwise: capitalised at the
    /// start of a sentence (as a keyboard's automatic shift does), or in its display form when
    /// that has inner capitals ("MRI", "pH") or is a name (not for a `lower_writer`). Only the
    /// case changes, so it is never a different word, drug or dose.
    fn case_fix(
        &self,
        cur: &crate::engine::Cursor<'_>,
        level: Level,
        known_to_user: bool,
    ) -> Option<AutocorrectResult> {
        let typed = cur.partial;
        // Single letters are initials or list marks ("t", "o"); only "i" is the pronoun.
        if level == Level::Off
            || known_to_user
            || (typed.chars().nth(1).is_none() && typed != "i")
            || !typed.chars().any(char::is_lowercase)
            || typed.chars().any(char::is_uppercase)
            || decode::is_dose_unit(typed)
        {
            return None;
        }
        let id = self.lexicon.id(&text::fold(typed))?;
        // A rare entry in capitals is more likely a typo than the abbreviation ("anf", not ANF).
        if id < decode::FIRST_WORD_ID
            || self.lexicon.flags(id) & decode::NO_SUGGEST != 0
            || self.lexicon.log10_unigram(id) <= self.decoder.params().rare_word_log10
        {
            return None;
        }
        // Mid-sentence only names and forms with inner capitals ("MRI", "pH", "COVID"); a
        // capitalised first letter alone (often a corpus artefact, e.g. drug names) is not.
        let disp = self.lexicon.display(id);
        let inner_caps = disp.chars().skip(1).any(char::is_uppercase);
        let f = self.lexicon.flags(id);
        let name = f & decode::NAME != 0 || (cur.after_name && f & decode::CAPITAL_AFTER_NAME != 0);
        if !cur.sentence_start && !inner_caps && !name {
            return None;
        }
        // `surface` keeps in lower case what the writer (or the corpora, for the word in this
        // place) would not capitalise: then the text equals what was typed.
        let text = self.surface(id, cur);
        if text == typed || text.to_lowercase() != typed || self.rejected.contains(typed, &text) {
            return None;
        }
        Some(AutocorrectResult {
            suggestion: Suggestion {
                text,
                score: 1.0,
                kind: SuggestionKind::Correction,
            },
            apply: true,
            guard: "",
            span: 0,
        })
    }

    /// A word whose display form is capitalised only on its first letter (title case from
    /// headings and tables: "Injection", "Abnormality") is written in lower case when it
    /// replaces a lower-case typo in running text. Names and drugs keep their capital.
    fn untitle(&self, id: u32, typed: &str, text: &mut String) {
        let disp = self.lexicon.display(id);
        if text::is_title_case(disp)
            && typed.chars().next().is_some_and(char::is_lowercase)
            && self.lexicon.flags(id) & (decode::NAME | decode::DRUG) == 0
            && text.as_str() == disp
        {
            let mut c = disp.chars();
            if let Some(f) = c.next() {
                *text = f.to_lowercase().chain(c).collect();
            }
        }
    }

    /// How a decoded word (or a split pair, "of the") appears for the typed partial word.
    fn candidate_text(
        &self,
        id: u32,
        second: Option<u32>,
        cur: &crate::engine::Cursor<'_>,
    ) -> String {
        let first = self.surface(id, cur);
        match second {
            Some(s) => format!("{first} {}", self.lexicon.display(s)),
            None => first,
        }
    }

    /// Remember that the user undid `replacement` for `typed`.
    pub fn reject(&self, typed: &str, replacement: &str) {
        self.rejected.add(typed, replacement);
    }

    /// The decoder (its layout, parameters).
    pub fn decoder(&self) -> &decode::Decoder {
        &self.decoder
    }
}

/// The last `n` characters of `text` when they are one glued token of words joined by "." or
/// "," ("for.helping"; not "e.g." or "3.5"), or two runs of letters around one space, a key
/// tapped on the space bar ("ni e" for "nice"); starting after whitespace or at the start.
fn glued_span(text: &str, n: usize) -> Option<&str> {
    let start = text.char_indices().rev().nth(n.checked_sub(1)?)?.0;
    let span = &text[start..];
    let before_ok = text[..start]
        .chars()
        .next_back()
        .is_none_or(char::is_whitespace);
    let letters = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_alphabetic() || c == '\'');
    let parts_ok = if span.contains(['.', ',']) {
        span.split(['.', ','])
            .all(|w| w.chars().count() >= 2 && letters(w))
    } else {
        span.split(' ').count() == 2 && span.split(' ').all(letters)
    };
    (before_ok && parts_ok).then_some(span)
}

#[cfg(test)]
mod tests {
    use super::glued_span;

    #[test]
    fn glued_spans_are_words_joined_by_a_stop_or_one_space() {
        assert_eq!(glued_span("see for.helping", 11), Some("for.helping"));
        assert_eq!(glued_span("A really ni e", 4), Some("ni e"));
        assert_eq!(glued_span("When a d", 3), Some("a d"));
        // Not glued: abbreviations, numbers, two spaces, a span cut inside a word.
        assert_eq!(glued_span("see e.g.", 4), None);
        assert_eq!(glued_span("at 3.5", 3), None);
        assert_eq!(glued_span("a b c", 5), None);
        assert_eq!(glued_span("really ni e", 3), None);
        assert_eq!(glued_span("at 12 pm", 5), None);
    }
}
