//! The user model: learned words, n-gram counts with decay, shortcuts, and the estimates the
//! engine asks for on every keystroke.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Bound;
use std::path::Path;

use zeroize::{Zeroize, Zeroizing};

use super::phi::{scan, Event, PhiFilter};
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

/// A count that halves every half-life: value `c` as of day `t`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Decayed {
    pub c: f64,
    pub t: f64,
}

impl Decayed {
    pub(super) fn at(self, now: f64, inv_h: f64) -> f64 {
        let dt = now - self.t;
        // A clock that went backwards does not inflate counts.
        if dt <= 0.0 || inv_h == 0.0 || self.c == 0.0 {
            self.c
        } else {
            self.c * (-dt * inv_h).exp2()
        }
    }

    fn bump(&mut self, now: f64, inv_h: f64) {
        self.c = self.at(now, inv_h) + 1.0;
        self.t = self.t.max(now);
    }
}

/// One word of the user's vocabulary.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Word {
    /// Folded key (duplicate of the index key, for id -> word lookups).
    pub key: Box<str>,
    pub count: Decayed,
    /// Raw uses (saturating), compared with `min_uses`.
    pub uses: u32,
    /// Added by the user (add_word, import): known at once, never pruned.
    pub pinned: bool,
    /// Forms as typed, with votes (sentence-initial capitalisation does not vote).
    pub forms: Vec<(Box<str>, u32)>,
}

impl Word {
    fn new(key: &str, now: f64) -> Word {
        Word {
            key: key.into(),
            count: Decayed { c: 0.0, t: now },
            uses: 0,
            pinned: false,
            forms: Vec::new(),
        }
    }

    fn display(&self) -> &str {
        let mut best: Option<&(Box<str>, u32)> = None;
        for f in &self.forms {
            if best.is_none_or(|b| f.1 > b.1) {
                best = Some(f);
            }
        }
        best.map_or(&self.key, |f| &f.0)
    }

    fn vote(&mut self, raw: &str, votes: u32) {
        if let Some(f) = self.forms.iter_mut().find(|f| &*f.0 == raw) {
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
pub struct UserModel {
    pub(super) cfg: LearnConfig,
    pub(super) index: BTreeMap<Box<str>, u32>,
    pub(super) slots: Vec<Option<Word>>,
    pub(super) free: Vec<u32>,
    pub(super) bigrams: BTreeMap<(u32, u32), Decayed>,
    pub(super) trigrams: BTreeMap<(u32, u32, u32), Decayed>,
    pub(super) shortcuts: BTreeMap<Box<str>, Shortcut>,
    /// Sum of all word counts, decayed to `total.t` (the latest stamp).
    total: Decayed,
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

/// Per-query context statistics.
struct Ctx {
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
            bigrams: BTreeMap::new(),
            trigrams: BTreeMap::new(),
            shortcuts: BTreeMap::new(),
            total: Decayed { c: 0.0, t: 0.0 },
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
        let now = now_days;
        let inv_h = self.cfg.inv_half_life();
        let mut rep = LearnReport::default();
        let mut chain: [Option<u32>; 2] = [None, None];
        scan(text, phi, |e| match e {
            Event::Word {
                raw,
                folded,
                sentence_start,
            } => {
                let id = self.bump_word(raw, folded, sentence_start, now, inv_h);
                if let Some(b) = chain[1] {
                    self.bigrams
                        .entry((b, id))
                        .or_insert(Decayed { c: 0.0, t: now })
                        .bump(now, inv_h);
                    if let Some(a) = chain[0] {
                        self.trigrams
                            .entry((a, b, id))
                            .or_insert(Decayed { c: 0.0, t: now })
                            .bump(now, inv_h);
                    }
                }
                chain = [chain[1], Some(id)];
                rep.words += 1;
                if self.index.len() > self.cfg.max_words {
                    self.prune_words(now, false);
                    // Pruning may have freed ids in the chain.
                    chain = [None, None];
                }
                if self.bigrams.len() > self.cfg.max_ngrams
                    || self.trigrams.len() > self.cfg.max_ngrams
                {
                    self.prune_ngrams(now, false);
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

    fn bump_word(&mut self, raw: &str, folded: &str, start: bool, now: f64, inv_h: f64) -> u32 {
        let id = match self.index.get(folded) {
            Some(&id) => id,
            None => self.insert_word(folded, now),
        };
        if let Some(w) = self.slot_mut(id) {
            w.count.bump(now, inv_h);
            w.uses = w.uses.saturating_add(1);
            // "Xarelto" at a sentence start says nothing about how the word is written.
            let votes = u32::from(!(start && plain_titlecase(raw)));
            w.vote(raw, votes);
        }
        self.total.bump(now, inv_h);
        id
    }

    fn insert_word(&mut self, folded: &str, now: f64) -> u32 {
        let word = Word::new(folded, now);
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
        let inv_h = self.cfg.inv_half_life();
        let words = self.slots.iter().flatten();
        let t = words.clone().map(|w| w.count.t).fold(0.0, f64::max);
        let c = words.map(|w| w.count.at(t, inv_h)).sum();
        self.total = Decayed { c, t };
        self.pinned = self.slots.iter().flatten().filter(|w| w.pinned).count();
    }

    /// Learned words (past the use threshold, or added) in folded order, as
    /// (display form, decayed count at `now_days`).
    pub fn words(&self, now_days: f64) -> Vec<(String, f64)> {
        let inv_h = self.cfg.inv_half_life();
        self.index
            .values()
            .filter_map(|&id| self.slot(id))
            .filter(|w| self.is_known(w))
            .map(|w| (w.display().to_string(), w.count.at(now_days, inv_h)))
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
        let t = self.total.t;
        let id = match self.index.get(folded.as_ref()) {
            Some(&id) => id,
            None => self.insert_word(&folded, t),
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

    fn context(&self, prev: &[&str], now: f64, inv_h: f64) -> Ctx {
        let id = |w: &&str| self.index.get(fold(w).as_ref()).copied();
        let n = prev.len();
        let b = n.checked_sub(1).and_then(|i| prev.get(i)).and_then(id);
        let a = match b {
            Some(_) => n.checked_sub(2).and_then(|i| prev.get(i)).and_then(id),
            None => None,
        };
        let mut ctx = Ctx {
            bi: b,
            bi_sum: 0.0,
            bi_types: 0.0,
            tri: a.zip(b),
            tri_sum: 0.0,
            tri_types: 0.0,
            uni_denom: self.total.at(now, inv_h) + self.pinned as f64,
        };
        if let Some(b) = b {
            for d in self.bigrams.range((b, 0)..=(b, u32::MAX)).map(|e| e.1) {
                ctx.bi_sum += d.at(now, inv_h);
                ctx.bi_types += 1.0;
            }
        }
        if let Some((a, b)) = ctx.tri {
            for d in self
                .trigrams
                .range((a, b, 0)..=(a, b, u32::MAX))
                .map(|e| e.1)
            {
                ctx.tri_sum += d.at(now, inv_h);
                ctx.tri_types += 1.0;
            }
        }
        ctx
    }

    fn unigram_count(w: &Word, now: f64, inv_h: f64) -> f64 {
        let c = w.count.at(now, inv_h);
        if w.pinned {
            c.max(1.0)
        } else {
            c
        }
    }

    /// Interpolated Witten-Bell: P(w|h) = (c(h,w) + T(h) P(w|h')) / (c(h) + T(h)).
    fn prob(&self, ctx: &Ctx, id: u32, w: &Word, now: f64, inv_h: f64) -> f64 {
        if ctx.uni_denom <= 0.0 {
            return 0.0;
        }
        let mut p = Self::unigram_count(w, now, inv_h) / ctx.uni_denom;
        if let Some(b) = ctx.bi {
            if ctx.bi_sum > 0.0 {
                let c = self.bigrams.get(&(b, id)).map_or(0.0, |d| d.at(now, inv_h));
                p = (c + ctx.bi_types * p) / (ctx.bi_sum + ctx.bi_types);
            }
        }
        if let Some((a, b)) = ctx.tri {
            if ctx.tri_sum > 0.0 {
                let c = self
                    .trigrams
                    .get(&(a, b, id))
                    .map_or(0.0, |d| d.at(now, inv_h));
                p = (c + ctx.tri_types * p) / (ctx.tri_sum + ctx.tri_types);
            }
        }
        p
    }

    /// log10 P_user(word | prev) for a learned word, or None if the word is not in the user's
    /// lexicon.
    pub fn log10_prob(&self, prev: &[&str], word: &str, now_days: f64) -> Option<f32> {
        if !now_days.is_finite() {
            return None;
        }
        let (id, w) = self.lookup(word)?;
        if !self.is_known(w) {
            return None;
        }
        let inv_h = self.cfg.inv_half_life();
        let ctx = self.context(prev, now_days, inv_h);
        let p = self.prob(&ctx, id, w, now_days, inv_h);
        (p > 0.0).then(|| p.log10() as f32)
    }

    /// Up to `k` learned words starting with `prefix` (case-insensitive), with
    /// log10 P_user(word | prev), best first. With an empty prefix: the words the user has
    /// followed `prev` with (nothing when `prev` is empty or unseen; the pack covers that).
    pub fn candidates(
        &self,
        prev: &[&str],
        prefix: &str,
        k: usize,
        now_days: f64,
    ) -> Vec<(String, f32)> {
        if k == 0 || !now_days.is_finite() {
            return Vec::new();
        }
        let now = now_days;
        let inv_h = self.cfg.inv_half_life();
        let prefix = fold(prefix);
        let ctx = self.context(prev, now, inv_h);
        let mut ids: Vec<u32> = Vec::new();
        let fits = |id: u32| {
            self.slot(id)
                .is_some_and(|w| self.is_known(w) && w.key.starts_with(prefix.as_ref()))
        };
        if let Some(b) = ctx.bi {
            let succ = self.bigrams.range((b, 0)..=(b, u32::MAX));
            ids.extend(succ.map(|e| e.0 .1).filter(|&id| fits(id)));
        }
        if let Some((a, b)) = ctx.tri {
            let succ = self.trigrams.range((a, b, 0)..=(a, b, u32::MAX));
            ids.extend(succ.map(|e| e.0 .2).filter(|&id| fits(id)));
        }
        if !prefix.is_empty() {
            // Words outside the contexts score backoff x unigram, so the k best unigrams in
            // the prefix range are the only others that can make the top k.
            let mut top: Vec<(f64, u32)> = Vec::with_capacity(k + 1);
            let range = self
                .index
                .range::<str, _>((Bound::Included(prefix.as_ref()), Bound::Unbounded));
            for (key, &id) in range {
                if !key.starts_with(prefix.as_ref()) {
                    break;
                }
                let Some(w) = self.slot(id) else { continue };
                if !self.is_known(w) {
                    continue;
                }
                let c = Self::unigram_count(w, now, inv_h);
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
                let w = self.slot(id)?;
                Some((self.prob(&ctx, id, w, now, inv_h), w))
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
        let inv_h = self.cfg.inv_half_life();
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
                (!w.pinned).then(|| (w.count.at(now, inv_h), id))
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
        let inv_h = self.cfg.inv_half_life();
        let cap = self.cfg.max_ngrams;
        prune_map(&mut self.bigrams, cap, now, inv_h, floor);
        prune_map(&mut self.trigrams, cap, now, inv_h, floor);
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

fn prune_map<K: Ord + Copy>(
    map: &mut BTreeMap<K, Decayed>,
    cap: usize,
    now: f64,
    inv_h: f64,
    floor: bool,
) {
    let over = map.len() > cap;
    if !over && !floor {
        return;
    }
    let target = if over { cap - cap / 10 } else { cap };
    let mut vals: Vec<(f64, K)> = map.iter().map(|(k, d)| (d.at(now, inv_h), *k)).collect();
    vals.sort_unstable_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    let under = if floor {
        vals.partition_point(|v| v.0 < FLOOR)
    } else {
        0
    };
    let n = map.len().saturating_sub(target).max(under);
    for (_, k) in vals.iter().take(n) {
        map.remove(k);
    }
}
