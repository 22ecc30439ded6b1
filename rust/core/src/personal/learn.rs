//! The user model: learned words, n-gram counts with decay, shortcuts, and the estimates the
//! engine asks for on every keystroke.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Bound;
use std::path::Path;

use zeroize::{Zeroize, Zeroizing};

use super::phi::{scan, Event, PhiFilter};
use super::table::Table;
use super::{
    check_word, fold, MAX_ABBREV_BYTES, MAX_EXPANSION_BYTES, MAX_LEARN_BYTES, MAX_SHORTCUTS,
};
use crate::error::{Error, Result};

/// Display forms kept per word.
pub(super) const MAX_FORMS: usize = 4;
/// Decayed counts below this are dropped by [`UserModel::prune`] (about 6.6 half-lives).
const FLOOR: f64 = 0.01;
/// Largest word list accepted by [`UserModel::import_words`] (bytes).
const MAX_IMPORT_BYTES: u64 = 16 << 20;
/// Hard bounds on the configurable capacities.
pub(super) const MAX_CAPACITY: usize = 2_000_000;
const MIN_CAPACITY: usize = 100;

/// Learning settings (stored with the model).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LearnConfig {
    /// Uses before a new word enters the user's lexicon (1..=1000; default 2).
    pub min_uses: u32,
    /// Half-life of every count, in days (> 0; `f64::INFINITY` = never forget; default 90).
    pub half_life_days: f64,
    /// Most words kept (learned or pending); the lowest decayed counts are pruned first.
    pub max_words: usize,
    /// Most bigrams, and separately most trigrams, kept.
    pub max_ngrams: usize,
}

impl Default for LearnConfig {
    fn default() -> Self {
        LearnConfig {
            min_uses: 2,
            half_life_days: 90.0,
            max_words: 200_000,
            max_ngrams: 200_000,
        }
    }
}

impl LearnConfig {
    /// Check the ranges documented on each field.
    pub fn validate(&self) -> Result<()> {
        if !(1..=1000).contains(&self.min_uses) {
            return Err(Error::InvalidInput("min_uses must be in 1..=1000".into()));
        }
        if self.half_life_days.is_nan() || self.half_life_days <= 0.0 {
            return Err(Error::InvalidInput(
                "half_life_days must be positive".into(),
            ));
        }
        for (v, name) in [
            (self.max_words, "max_words"),
            (self.max_ngrams, "max_ngrams"),
        ] {
            if !(MIN_CAPACITY..=MAX_CAPACITY).contains(&v) {
                return Err(Error::InvalidInput(format!(
                    "{name} must be in {MIN_CAPACITY}..={MAX_CAPACITY}"
                )));
            }
        }
        Ok(())
    }

    fn inv_half_life(&self) -> f64 {
        1.0 / self.half_life_days
    }
}

/// What one `learn` call did (counts only, never content).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LearnReport {
    /// Word tokens counted.
    pub words: usize,
    /// Tokens dropped as identifiers or names.
    pub skipped: usize,
}

/// Successors of a context examined by `candidates` for next words / for completions.
const SUCCESSORS_NEXT: usize = 128;
const SUCCESSORS_PREFIX: usize = 1024;
/// Exponents past this many half-lives trigger a rescale of every count (f32 headroom).
const RESCALE_HALF_LIVES: f64 = 40.0;

/// One word of the user's vocabulary.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Word {
    /// Folded key (duplicate of the index key, for id -> word lookups).
    pub key: Box<str>,
    /// Count in the model's scaled units (see [`UserModel`]).
    pub count: f32,
    /// Raw uses (saturating), compared with `min_uses`.
    pub uses: u32,
    /// Added by the user (add_word, import): known at once, never pruned.
    pub pinned: bool,
    /// Whether the folded spelling itself was ever typed, and its votes.
    pub key_seen: bool,
    pub key_votes: u32,
    /// Other spellings as typed ("Xarelto", "MRI"), with votes (sentence-initial
    /// capitalisation does not vote). Usually empty, which saves an allocation per word.
    pub forms: Vec<(Box<str>, u32)>,
}

impl Word {
    fn new(key: &str) -> Word {
        Word {
            key: key.into(),
            count: 0.0,
            uses: 0,
            pinned: false,
            key_seen: false,
            key_votes: 0,
            forms: Vec::new(),
        }
    }

    fn display(&self) -> &str {
        let mut best: Option<(&str, u32)> = self.key_seen.then_some((&*self.key, self.key_votes));
        for f in &self.forms {
            if best.is_none_or(|b| f.1 > b.1) {
                best = Some((&f.0, f.1));
            }
        }
        best.map_or(&self.key, |b| b.0)
    }

    fn vote(&mut self, raw: &str, votes: u32) {
        if *raw == *self.key {
            self.key_seen = true;
            self.key_votes = self.key_votes.saturating_add(votes);
        } else if let Some(f) = self.forms.iter_mut().find(|f| &*f.0 == raw) {
            f.1 = f.1.saturating_add(votes);
        } else if self.forms.len() < MAX_FORMS {
            self.forms.push((raw.into(), votes));
        } else if votes > 0 {
            // Full: replace a form that never got a vote.
            if let Some(f) = self.forms.iter_mut().find(|f| f.1 == 0) {
                f.0.zeroize();
                *f = (raw.into(), votes);
            }
        }
    }

    fn scrub(&mut self) {
        self.key.zeroize();
        for f in &mut self.forms {
            f.0.zeroize();
        }
    }
}

/// A user-defined expansion.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Shortcut {
    pub abbrev: Box<str>,
    pub expansion: Box<str>,
}

/// The user's learned words, n-grams and shortcuts.
///
/// Word ids index `slots`; the `index` maps folded keys to ids in sorted order, so a prefix is a
/// contiguous range. Ids of forgotten words are reused.
///
/// Decay: every count decays at the same rate, so counts are stored in one scaled unit: a
/// stored `s` is worth `s * 2^-((now - t_ref) / half_life)` today. A use at day `t` adds
/// `2^((t - t_ref) / half_life)`. Ratios of counts never need the clock, and the whole model is
/// rescaled (t_ref moved) when the exponent nears f32's range.
pub struct UserModel {
    pub(super) cfg: LearnConfig,
    pub(super) index: BTreeMap<Box<str>, u32>,
    pub(super) slots: Vec<Option<Word>>,
    pub(super) free: Vec<u32>,
    pub(super) bigrams: Table<(u32, u32)>,
    pub(super) trigrams: Table<(u32, u32, u32)>,
    pub(super) shortcuts: BTreeMap<Box<str>, Shortcut>,
    /// Reference day of the scaled counts.
    pub(super) t_ref: f64,
    /// Latest day seen by `learn`; an earlier clock is treated as this one.
    pub(super) t_last: f64,
    /// Sum of all word counts (scaled).
    total: f64,
    pinned: usize,
}

impl fmt::Debug for UserModel {
    // Sizes only: the content is the user's text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserModel")
            .field("words", &self.index.len())
            .field("bigrams", &self.bigrams.len())
            .field("trigrams", &self.trigrams.len())
            .field("shortcuts", &self.shortcuts.len())
            .finish()
    }
}

impl Default for UserModel {
    fn default() -> Self {
        UserModel::new(LearnConfig::default())
    }
}

impl Drop for UserModel {
    fn drop(&mut self) {
        self.scrub();
    }
}

/// Per-query context statistics (counts in real units).
struct Ctx {
    /// Scale factor from stored to real counts at the query's day.
    gain: f64,
    bi: Option<u32>,
    bi_sum: f64,
    bi_types: f64,
    tri: Option<(u32, u32)>,
    tri_sum: f64,
    tri_types: f64,
    /// Unigram denominator.
    uni_denom: f64,
}

fn check_now(now_days: f64) -> Result<()> {
    if now_days.is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidInput("now_days must be finite".into()))
    }
}

fn plain_titlecase(raw: &str) -> bool {
    let mut cs = raw.chars();
    cs.next().is_some_and(char::is_uppercase) && !cs.any(char::is_uppercase)
}

impl UserModel {
    /// An empty model. `cfg` is validated by [`UserModel::set_config`]; here an invalid one is
    /// replaced by the default.
    pub fn new(cfg: LearnConfig) -> UserModel {
        let cfg = if cfg.validate().is_ok() {
            cfg
        } else {
            LearnConfig::default()
        };
        UserModel {
            cfg,
            index: BTreeMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            bigrams: Table::new(),
            trigrams: Table::new(),
            shortcuts: BTreeMap::new(),
            t_ref: 0.0,
            t_last: f64::NEG_INFINITY,
            total: 0.0,
            pinned: 0,
        }
    }

    /// The settings in force.
    pub fn config(&self) -> LearnConfig {
        self.cfg
    }

    /// Change the settings (takes effect at once; capacities are enforced by the next
    /// `learn` or `prune`).
    pub fn set_config(&mut self, cfg: LearnConfig) -> Result<()> {
        cfg.validate()?;
        self.cfg = cfg;
        Ok(())
    }

    /// Count the words and n-grams of text the user committed. Identifiers and names are
    /// dropped by `phi`, and break the n-gram chain. Text over [`MAX_LEARN_BYTES`] is refused.
    pub fn learn(&mut self, text: &str, phi: &PhiFilter, now_days: f64) -> Result<LearnReport> {
        check_now(now_days)?;
        if text.len() > MAX_LEARN_BYTES {
            return Err(Error::InvalidInput(format!(
                "text to learn is longer than {MAX_LEARN_BYTES} bytes"
            )));
        }
        let inc = self.increment(now_days);
        let mut rep = LearnReport::default();
        let mut chain: [Option<u32>; 2] = [None, None];
        scan(text, phi, |e| match e {
            Event::Word {
                raw,
                folded,
                sentence_start,
            } => {
                let id = self.bump_word(raw, folded, sentence_start, inc);
                if let Some(b) = chain[1] {
                    self.bigrams.add((b, id), inc);
                    if let Some(a) = chain[0] {
                        self.trigrams.add((a, b, id), inc);
                    }
                }
                chain = [chain[1], Some(id)];
                rep.words += 1;
                if self.index.len() > self.cfg.max_words {
                    self.prune_words(now_days, false);
                    // Pruning may have freed ids in the chain.
                    chain = [None, None];
                }
                if self.bigrams.len() > self.cfg.max_ngrams
                    || self.trigrams.len() > self.cfg.max_ngrams
                {
                    self.prune_ngrams(now_days, false);
                }
            }
            Event::Break => chain = [None, None],
            Event::Skipped => {
                chain = [None, None];
                rep.skipped += 1;
            }
        });
        Ok(rep)
    }

    /// The scaled weight of one use today (moving the clock, rescaling when needed).
    fn increment(&mut self, now: f64) -> f32 {
        let now = now.max(self.t_last);
        self.t_last = now;
        let inv_h = self.cfg.inv_half_life();
        let mut e = (now - self.t_ref) * inv_h;
        if e.abs() > RESCALE_HALF_LIVES || self.total == 0.0 {
            self.rescale(now);
            e = 0.0;
        }
        e.exp2() as f32
    }

    /// Move the reference day to `t`, scaling every count to match.
    fn rescale(&mut self, t: f64) {
        // Never above 1: the reference only moves forward (the clock is clamped to t_last).
        let factor = (-(t - self.t_ref) * self.cfg.inv_half_life())
            .exp2()
            .min(1.0) as f32;
        for w in self.slots.iter_mut().flatten() {
            w.count *= factor;
        }
        self.bigrams.scale(factor);
        self.trigrams.scale(factor);
        self.t_ref = t;
        self.recompute_total();
    }

    /// Stored-to-real factor at `now`.
    fn gain(&self, now: f64) -> f64 {
        let now = now.max(self.t_last);
        (-(now - self.t_ref) * self.cfg.inv_half_life()).exp2()
    }

    fn bump_word(&mut self, raw: &str, folded: &str, start: bool, inc: f32) -> u32 {
        let id = match self.index.get(folded) {
            Some(&id) => id,
            None => self.insert_word(folded),
        };
        if let Some(w) = self.slot_mut(id) {
            w.count += inc;
            w.uses = w.uses.saturating_add(1);
            // "Xarelto" at a sentence start says nothing about how the word is written.
            let votes = u32::from(!(start && plain_titlecase(raw)));
            w.vote(raw, votes);
        }
        self.total += f64::from(inc);
        id
    }

    fn insert_word(&mut self, folded: &str) -> u32 {
        let word = Word::new(folded);
        let id = match self.free.pop() {
            Some(id) => {
                if let Some(s) = self.slots.get_mut(id as usize) {
                    *s = Some(word);
                }
                id
            }
            None => {
                self.slots.push(Some(word));
                (self.slots.len() - 1) as u32
            }
        };
        self.index.insert(folded.into(), id);
        id
    }

    fn slot(&self, id: u32) -> Option<&Word> {
        self.slots.get(id as usize).and_then(Option::as_ref)
    }

    fn slot_mut(&mut self, id: u32) -> Option<&mut Word> {
        self.slots.get_mut(id as usize).and_then(Option::as_mut)
    }

    fn is_known(&self, w: &Word) -> bool {
        w.pinned || w.uses >= self.cfg.min_uses
    }

    fn lookup(&self, w: &str) -> Option<(u32, &Word)> {
        let id = *self.index.get(fold(w).as_ref())?;
        Some((id, self.slot(id)?))
    }

    /// Recompute the running total from scratch (after removals), so it never drifts.
    pub(super) fn recompute_total(&mut self) {
        let words = self.slots.iter().flatten();
        self.total = words.clone().map(|w| f64::from(w.count)).sum();
        self.pinned = words.filter(|w| w.pinned).count();
    }

    /// Learned words (past the use threshold, or added) in folded order, as
    /// (display form, decayed count at `now_days`).
    pub fn words(&self, now_days: f64) -> Vec<(String, f64)> {
        let gain = self.gain(now_days);
        self.index
            .values()
            .filter_map(|&id| self.slot(id))
            .filter(|w| self.is_known(w))
            .map(|w| (w.display().to_string(), f64::from(w.count) * gain))
            .collect()
    }

    /// Number of words held (learned and pending).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether nothing at all is held (no words, no shortcuts).
    pub fn is_empty(&self) -> bool {
        self.index.is_empty() && self.shortcuts.is_empty()
    }

    /// Number of (bigrams, trigrams) held.
    pub fn ngram_len(&self) -> (usize, usize) {
        (self.bigrams.len(), self.trigrams.len())
    }

    /// Whether `w` is in the user's lexicon (case-insensitive).
    pub fn knows(&self, w: &str) -> bool {
        self.lookup(w).is_some_and(|(_, word)| self.is_known(word))
    }

    /// Add a word: known at once and never pruned (until forgotten). The spelling given becomes
    /// a display form.
    pub fn add_word(&mut self, w: &str) -> Result<()> {
        check_word(w).map_err(|e| Error::InvalidInput(e.into()))?;
        if self.pinned >= self.cfg.max_words {
            return Err(Error::InvalidInput(
                "the user lexicon is full of added words".into(),
            ));
        }
        self.pin(w);
        Ok(())
    }

    /// Pin a checked word; true if it was not known before.
    fn pin(&mut self, w: &str) -> bool {
        let folded = fold(w);
        let id = match self.index.get(folded.as_ref()) {
            Some(&id) => id,
            None => self.insert_word(&folded),
        };
        let min_uses = self.cfg.min_uses;
        let Some(word) = self.slots.get_mut(id as usize).and_then(Option::as_mut) else {
            return false;
        };
        let newly = !(word.pinned || word.uses >= min_uses);
        let was_pinned = std::mem::replace(&mut word.pinned, true);
        word.vote(w, 1);
        if !was_pinned {
            self.pinned += 1;
        }
        newly
    }

    /// Forget a word (case-insensitive) and every n-gram containing it. False if unknown.
    pub fn forget(&mut self, w: &str) -> bool {
        let folded = fold(w);
        let Some((mut key, id)) = self.index.remove_entry(folded.as_ref()) else {
            return false;
        };
        key.zeroize();
        if let Some(mut word) = self.slots.get_mut(id as usize).and_then(Option::take) {
            word.scrub();
        }
        self.free.push(id);
        self.bigrams.retain(|&(a, b), _| a != id && b != id);
        self.trigrams
            .retain(|&(a, b, c), _| a != id && b != id && c != id);
        self.recompute_total();
        true
    }

    /// Forget everything: words, n-grams, shortcuts (settings are kept).
    pub fn wipe(&mut self) {
        self.scrub();
        *self = UserModel::new(self.cfg);
    }

    fn scrub(&mut self) {
        for mut w in self.slots.drain(..).flatten() {
            w.scrub();
        }
        for (mut k, _) in std::mem::take(&mut self.index) {
            k.zeroize();
        }
        for (mut k, mut s) in std::mem::take(&mut self.shortcuts) {
            k.zeroize();
            s.abbrev.zeroize();
            s.expansion.zeroize();
        }
        self.bigrams.clear();
        self.trigrams.clear();
        self.free.clear();
    }

    /// Define (or replace) a shortcut; abbreviations match case-insensitively.
    pub fn set_shortcut(&mut self, abbrev: &str, expansion: &str) -> Result<()> {
        let bad = |m: &str| Err(Error::InvalidInput(m.into()));
        if abbrev.is_empty() || abbrev.len() > MAX_ABBREV_BYTES {
            return bad("shortcut abbreviation must be 1 to 32 bytes");
        }
        if abbrev.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return bad("shortcut abbreviation contains whitespace or control characters");
        }
        if expansion.trim().is_empty() || expansion.len() > MAX_EXPANSION_BYTES {
            return bad("shortcut expansion must be 1 to 1024 bytes");
        }
        if expansion.chars().any(char::is_control) {
            return bad("shortcut expansion contains control characters");
        }
        let key = fold(abbrev);
        if !self.shortcuts.contains_key(key.as_ref()) && self.shortcuts.len() >= MAX_SHORTCUTS {
            return bad("too many shortcuts");
        }
        let new = Shortcut {
            abbrev: abbrev.into(),
            expansion: expansion.into(),
        };
        if let Some(mut old) = self.shortcuts.insert(key.into(), new) {
            old.abbrev.zeroize();
            old.expansion.zeroize();
        }
        Ok(())
    }

    /// Remove a shortcut; false if there was none.
    pub fn remove_shortcut(&mut self, abbrev: &str) -> bool {
        match self.shortcuts.remove_entry(fold(abbrev).as_ref()) {
            Some((mut k, mut s)) => {
                k.zeroize();
                s.abbrev.zeroize();
                s.expansion.zeroize();
                true
            }
            None => false,
        }
    }

    /// All shortcuts as (abbreviation, expansion), by folded abbreviation.
    pub fn shortcuts(&self) -> Vec<(String, String)> {
        self.shortcuts
            .values()
            .map(|s| (s.abbrev.to_string(), s.expansion.to_string()))
            .collect()
    }

    /// The expansion of `abbrev` (case-insensitive), if defined.
    pub fn expand(&self, abbrev: &str) -> Option<&str> {
        self.shortcuts
            .get(fold(abbrev).as_ref())
            .map(|s| &*s.expansion)
    }

    fn context(&self, prev: &[&str], now: f64) -> Ctx {
        let id = |w: &&str| self.index.get(fold(w).as_ref()).copied();
        let n = prev.len();
        let b = n.checked_sub(1).and_then(|i| prev.get(i)).and_then(id);
        let a = match b {
            Some(_) => n.checked_sub(2).and_then(|i| prev.get(i)).and_then(id),
            None => None,
        };
        let gain = self.gain(now);
        let mut ctx = Ctx {
            gain,
            bi: b,
            bi_sum: 0.0,
            bi_types: 0.0,
            tri: a.zip(b),
            tri_sum: 0.0,
            tri_types: 0.0,
            uni_denom: self.total * gain + self.pinned as f64,
        };
        if let Some(b) = b {
            for (_, c) in self.bigrams.range((b, 0), (b, u32::MAX)) {
                ctx.bi_sum += f64::from(c);
                ctx.bi_types += 1.0;
            }
            ctx.bi_sum *= gain;
        }
        if let Some((a, b)) = ctx.tri {
            for (_, c) in self.trigrams.range((a, b, 0), (a, b, u32::MAX)) {
                ctx.tri_sum += f64::from(c);
                ctx.tri_types += 1.0;
            }
            ctx.tri_sum *= gain;
        }
        ctx
    }

    fn unigram_count(w: &Word, gain: f64) -> f64 {
        let c = f64::from(w.count) * gain;
        if w.pinned {
            c.max(1.0)
        } else {
            c
        }
    }

    /// Interpolated Witten-Bell: P(w|h) = (c(h,w) + T(h) P(w|h')) / (c(h) + T(h)).
    fn prob(&self, ctx: &Ctx, id: u32, w: &Word) -> f64 {
        if ctx.uni_denom <= 0.0 {
            return 0.0;
        }
        let mut p = Self::unigram_count(w, ctx.gain) / ctx.uni_denom;
        if let Some(b) = ctx.bi {
            if ctx.bi_sum > 0.0 {
                let c = self.bigrams.get(&(b, id)).map_or(0.0, f64::from) * ctx.gain;
                p = (c + ctx.bi_types * p) / (ctx.bi_sum + ctx.bi_types);
            }
        }
        if let Some((a, b)) = ctx.tri {
            if ctx.tri_sum > 0.0 {
                let c = self.trigrams.get(&(a, b, id)).map_or(0.0, f64::from) * ctx.gain;
                p = (c + ctx.tri_types * p) / (ctx.tri_sum + ctx.tri_types);
            }
        }
        p
    }

    /// log10 P_user(word | prev) for a learned word, or None if the word is not in the user's
    /// lexicon.
    pub fn log10_prob(&self, prev: &[&str], word: &str, now_days: f64) -> Option<f32> {
        self.query(prev, now_days)?.log10_prob(word)
    }

    /// Up to `k` learned words starting with `prefix`; see [`UserQuery::candidates`].
    pub fn candidates(
        &self,
        prev: &[&str],
        prefix: &str,
        k: usize,
        now_days: f64,
    ) -> Vec<(String, f32)> {
        self.query(prev, now_days)
            .map_or_else(Vec::new, |q| q.candidates(prefix, k))
    }

    /// The model's view of the context `prev` (the words before the cursor, oldest first) at
    /// day `now_days`, looked up once for every word scored in it; None for a non-finite day.
    pub fn query(&self, prev: &[&str], now_days: f64) -> Option<UserQuery<'_>> {
        now_days.is_finite().then(|| UserQuery {
            model: self,
            ctx: self.context(prev, now_days),
        })
    }

    /// Drop words and n-grams whose decayed count fell below 0.01 (added words stay), and
    /// enforce the capacities. The engine may call this now and then (e.g. before saving).
    pub fn prune(&mut self, now_days: f64) -> Result<()> {
        check_now(now_days)?;
        self.prune_words(now_days, true);
        self.prune_ngrams(now_days, true);
        Ok(())
    }

    /// Remove the weakest unpinned words down to 90% of capacity (and, with `floor`, every
    /// word under the floor), with their n-grams.
    fn prune_words(&mut self, now: f64, floor: bool) {
        let gain = self.gain(now);
        let cap = self.cfg.max_words;
        let target = if self.index.len() > cap {
            cap - cap / 10
        } else {
            cap
        };
        let mut cands: Vec<(f64, u32)> = self
            .index
            .values()
            .filter_map(|&id| {
                let w = self.slot(id)?;
                (!w.pinned).then(|| (f64::from(w.count) * gain, id))
            })
            .collect();
        cands.sort_unstable_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        let excess = self.index.len().saturating_sub(target);
        let under = if floor {
            cands.partition_point(|c| c.0 < FLOOR)
        } else {
            0
        };
        let n = excess.max(under).min(cands.len());
        if n == 0 {
            return;
        }
        let mut removed = vec![false; self.slots.len()];
        for &(_, id) in &cands[..n] {
            if let Some(mut w) = self.slots.get_mut(id as usize).and_then(Option::take) {
                if let Some((mut k, _)) = self.index.remove_entry(&*w.key) {
                    k.zeroize();
                }
                w.scrub();
                self.free.push(id);
                if let Some(r) = removed.get_mut(id as usize) {
                    *r = true;
                }
            }
        }
        let gone = |id: u32| removed.get(id as usize).copied().unwrap_or(false);
        self.bigrams.retain(|&(a, b), _| !gone(a) && !gone(b));
        self.trigrams
            .retain(|&(a, b, c), _| !gone(a) && !gone(b) && !gone(c));
        self.recompute_total();
    }

    fn prune_ngrams(&mut self, now: f64, floor: bool) {
        let gain = self.gain(now);
        let cap = self.cfg.max_ngrams;
        prune_table(&mut self.bigrams, cap, gain, floor);
        prune_table(&mut self.trigrams, cap, gain, floor);
    }

    /// Write the learned words to `path`, one display form a line, or as a Hunspell `.dic`
    /// (`dic`: first line the count, `/` escaped). The one plain-text output, on request.
    pub fn export_words(&self, path: &Path, dic: bool) -> Result<()> {
        let known: Vec<&Word> = self
            .index
            .values()
            .filter_map(|&id| self.slot(id))
            .filter(|w| self.is_known(w))
            .collect();
        let mut out = Zeroizing::new(String::new());
        if dic {
            out.push_str(&format!("{}\n", known.len()));
        }
        for w in known {
            let d = w.display();
            if dic && d.contains('/') {
                out.push_str(&d.replace('/', "\\/"));
            } else {
                out.push_str(d);
            }
            out.push('\n');
        }
        super::store::write_atomic(path, &[out.as_bytes()], false).map_err(|e| e.in_file(path))
    }

    /// Add the words of a list (plain, one a line, `#` comments; or Hunspell `.dic`: a count
    /// line, then `word[/flags]` with optional fields after whitespace). All or nothing: a bad
    /// line fails the import with its line number. Returns how many words were new to the
    /// user's lexicon.
    pub fn import_words(&mut self, path: &Path) -> Result<usize> {
        self.import_inner(path).map_err(|e| e.in_file(path))
    }

    fn import_inner(&mut self, path: &Path) -> Result<usize> {
        let len = std::fs::metadata(path)?.len();
        if len > MAX_IMPORT_BYTES {
            return Err(Error::InvalidInput(format!(
                "word list is larger than {MAX_IMPORT_BYTES} bytes"
            )));
        }
        let bytes = Zeroizing::new(std::fs::read(path)?);
        let text = std::str::from_utf8(&bytes).map_err(|e| Error::Parse {
            line: 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count(),
            what: "not valid UTF-8".into(),
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut words: Vec<String> = Vec::new();
        let mut dic = false;
        let mut first = true;
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if std::mem::take(&mut first) && line.bytes().all(|b| b.is_ascii_digit()) {
                dic = true;
                continue;
            }
            let word = if dic {
                let field = line.split_whitespace().next().unwrap_or("");
                dic_word(field)
            } else {
                line.to_string()
            };
            check_word(&word).map_err(|e| Error::Parse {
                line: i + 1,
                what: e.into(),
            })?;
            words.push(word);
        }
        let mut fresh: Vec<&str> = words
            .iter()
            .map(String::as_str)
            .filter(|w| !self.lookup(w).is_some_and(|(_, x)| x.pinned))
            .collect();
        fresh.sort_unstable_by_key(|w| fold(w));
        fresh.dedup_by_key(|w| fold(w));
        if self.pinned + fresh.len() > self.cfg.max_words {
            return Err(Error::InvalidInput(
                "word list exceeds the capacity of the user lexicon".into(),
            ));
        }
        let mut added = 0;
        for w in &words {
            if self.pin(w) {
                added += 1;
            }
        }
        for w in &mut words {
            w.zeroize();
        }
        Ok(added)
    }
}

/// Ids of the `n` entries with the highest counts.
/// A context looked up in a [`UserModel`] (see [`UserModel::query`]).
pub struct UserQuery<'a> {
    model: &'a UserModel,
    ctx: Ctx,
}

impl UserQuery<'_> {
    /// log10 P_user(word | context) for a learned word, or None if the user does not know it.
    pub fn log10_prob(&self, word: &str) -> Option<f32> {
        let m = self.model;
        let (id, w) = m.lookup(word)?;
        if !m.is_known(w) {
            return None;
        }
        let p = m.prob(&self.ctx, id, w);
        (p > 0.0).then(|| p.log10() as f32)
    }

    /// How often the user has typed this context: the decayed count of the longest one seen
    /// (the last two words, else the last word), 0 when neither was seen.
    pub fn evidence(&self) -> f64 {
        if self.ctx.tri_sum > 0.0 {
            self.ctx.tri_sum
        } else {
            self.ctx.bi_sum
        }
    }

    /// Up to `k` learned words starting with `prefix` (case-insensitive), with
    /// log10 P_user(word | context), best first. With an empty prefix: the words the user has
    /// followed the context with (nothing when it is empty or unseen; the pack covers that).
    /// Work is bounded: of a context's successors only the strongest 128 (next words) or
    /// 1024 (completions) by count are scored, so a weak successor of a very common context
    /// can be missed.
    pub fn candidates(&self, prefix: &str, k: usize) -> Vec<(String, f32)> {
        let m = self.model;
        let ctx = &self.ctx;
        if k == 0 {
            return Vec::new();
        }
        let prefix = fold(prefix);
        let mut ids: Vec<u32> = Vec::new();
        let fits = |id: u32| {
            m.slot(id)
                .is_some_and(|w| m.is_known(w) && w.key.starts_with(prefix.as_ref()))
        };
        // Bounded work per keystroke: only the strongest successors of each context are
        // looked at (a sequential pass picks them; word lookups are the costly part).
        let cap = if prefix.is_empty() {
            SUCCESSORS_NEXT
        } else {
            SUCCESSORS_PREFIX
        };
        if let Some(b) = ctx.bi {
            let succ = m.bigrams.range((b, 0), (b, u32::MAX));
            let strong = strongest(succ.map(|e| (e.0 .1, e.1)), cap);
            ids.extend(strong.into_iter().filter(|&id| fits(id)));
        }
        if let Some((a, b)) = ctx.tri {
            let succ = m.trigrams.range((a, b, 0), (a, b, u32::MAX));
            let strong = strongest(succ.map(|e| (e.0 .2, e.1)), cap);
            ids.extend(strong.into_iter().filter(|&id| fits(id)));
        }
        if !prefix.is_empty() {
            // Words outside the contexts score backoff x unigram, so the k best unigrams in
            // the prefix range are the only others that can make the top k.
            let mut top: Vec<(f64, u32)> = Vec::with_capacity(k + 1);
            let range = m
                .index
                .range::<str, _>((Bound::Included(prefix.as_ref()), Bound::Unbounded));
            for (key, &id) in range {
                if !key.starts_with(prefix.as_ref()) {
                    break;
                }
                let Some(w) = m.slot(id) else { continue };
                if !m.is_known(w) {
                    continue;
                }
                let c = UserModel::unigram_count(w, ctx.gain);
                if top.len() < k || top.last().is_some_and(|l| c > l.0) {
                    let pos = top.partition_point(|t| t.0 >= c);
                    top.insert(pos, (c, id));
                    top.truncate(k);
                }
            }
            ids.extend(top.iter().map(|t| t.1));
        }
        ids.sort_unstable();
        ids.dedup();
        let mut scored: Vec<(f64, &Word)> = ids
            .into_iter()
            .filter_map(|id| {
                let w = m.slot(id)?;
                Some((m.prob(ctx, id, w), w))
            })
            .filter(|s| s.0 > 0.0)
            .collect();
        scored.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| x.1.key.cmp(&y.1.key)));
        scored
            .into_iter()
            .take(k)
            .map(|(p, w)| (w.display().to_string(), p.log10() as f32))
            .collect()
    }
}

fn strongest(entries: impl Iterator<Item = (u32, f32)>, n: usize) -> Vec<u32> {
    let mut v: Vec<(f32, u32)> = entries.map(|(id, c)| (c, id)).collect();
    if v.len() > n {
        v.select_nth_unstable_by(n, |x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
        v.truncate(n);
    }
    v.into_iter().map(|e| e.1).collect()
}

/// The word of a `.dic` field: up to the first unescaped `/`, with `\/` unescaped.
fn dic_word(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut cs = field.chars().peekable();
    while let Some(c) = cs.next() {
        match c {
            '\\' if cs.peek() == Some(&'/') => {
                out.push('/');
                cs.next();
            }
            '/' => break,
            c => out.push(c),
        }
    }
    out
}

/// Down to 90% of `cap` when over it; with `floor`, also every entry under the floor.
fn prune_table<K: Ord + Copy>(t: &mut Table<K>, cap: usize, gain: f64, floor: bool) {
    if floor {
        t.retain(|_, c| f64::from(c) * gain >= FLOOR);
    }
    if t.len() > cap {
        t.remove_lowest(t.len() - (cap - cap / 10));
    }
}
