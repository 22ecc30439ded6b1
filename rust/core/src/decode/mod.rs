//! Keystroke decoder and autocorrect: turns noisy taps or typed characters into words.
//!
//! The pieces, as in AOSP LatinIME: keyboard geometry ([`crate::layout`]), a touch model
//! (`touch`: Gaussian keys, per-user offsets), a weighting (edit costs in [`Params`]), a
//! traversal (`search`: a beam over the vocabulary's implicit trie) and a scoring policy
//! (`autocorrect`: when to replace, and the clinical safety guard). The decoder depends on
//! the lexicon and language model only through [`Vocab`] and a context-scoring closure.

mod autocorrect;
mod complete;
pub mod params;
mod search;
mod touch;

pub use autocorrect::{is_dose_unit, Correction, Guard, Level};
pub use complete::TrieIndex;
pub use params::Params;
pub use search::Scratch;
pub use touch::UserOffsets;

use crate::error::{Error, Result};
use crate::layout::Layout;
use search::{Ctx, SearchSpec};
use touch::TouchModel;

/// The lexicon's flag bits (the safety guard keys on `DRUG`).
pub use crate::lexicon::flags::{
    ABBREV, CAPITAL_AFTER_NAME, DRUG, GENERAL, LOWER_ALONE, MEDICAL, NAME, NO_SUGGEST,
};
/// Ids below this are specials (`<unk>`, `<s>`, `</s>`).
pub use crate::lexicon::FIRST_WORD as FIRST_WORD_ID;

/// What the decoder needs from a lexicon. Keys of ids `FIRST_WORD_ID..len()` are folded
/// (lower-case) and byte-sorted, so every prefix is a contiguous id range.
pub trait Vocab {
    /// Number of ids, specials included.
    fn len(&self) -> u32;
    /// Whether there are no words besides the specials.
    fn is_empty(&self) -> bool {
        self.len() <= FIRST_WORD_ID
    }
    /// Folded key of `id`.
    fn key(&self, id: u32) -> &str;
    /// Ids whose key starts with `prefix`.
    fn prefix_range(&self, prefix: &str) -> std::ops::Range<u32>;
    /// Id of an exact folded key.
    fn id(&self, key: &str) -> Option<u32>;
    /// Flag bits of `id` (see [`GENERAL`] and friends).
    fn flags(&self, id: u32) -> u8;
    /// log10 unigram probability of `id`.
    fn log10_unigram(&self, id: u32) -> f32;
    /// Up to `k` ids of `range` with the highest unigram, best first, appended to `out`.
    /// The default uses [`Vocab::index`] when there is one, else scans the range.
    fn top_unigram_in_range(&self, range: std::ops::Range<u32>, k: usize, out: &mut Vec<u32>) {
        match self.index() {
            Some(ix) => ix.top(self, range, k, out),
            None => complete::scan(self, range, k, out),
        }
    }
    /// A prebuilt [`TrieIndex`] of this vocabulary (`TrieIndex::build(self, 16)` once at load);
    /// without one the decoder still works, bisecting and scanning instead (slower).
    fn index(&self) -> Option<&TrieIndex> {
        None
    }
}

/// One tap in layout units (see [`crate::layout`] for the coordinate system).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tap {
    /// Key widths from the left edge.
    pub x: f32,
    /// Rows from the top edge.
    pub y: f32,
}

/// One decoded word (or two, for a missed space).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// The word's id.
    pub id: u32,
    /// The second word when the input was two words run together ("ofthe" -> "of the").
    pub second: Option<u32>,
    /// Total score, natural log: `-cost + lm_weight * ln(10) * lm_log10`. Higher is better.
    pub score: f32,
    /// Touch and edit cost (nats) of explaining the input by this word.
    pub cost: f32,
    /// Language-model log10 probability used (context for the first word, unigram for a second).
    pub lm_log10: f32,
    /// The input matched only the beginning of the word.
    pub completion: bool,
}

/// log10 P(second | context, first): scores the second word of a split in context.
pub type PairLm<'a> = &'a dyn Fn(u32, u32) -> f32;

/// Per-call options.
#[derive(Clone, Copy)]
pub struct DecodeOptions<'a> {
    /// How many candidates to return.
    pub k: usize,
    /// Offer words that the input is a (noisy) prefix of.
    pub allow_completion: bool,
    /// Consider a missing space ("ofthe" -> "of the").
    pub allow_split: bool,
    /// This user's learned touch offsets.
    pub offsets: Option<&'a UserOffsets>,
    /// Scores a split's second word after the first ("heart" + "attack"); without it the
    /// second word has only its unigram.
    pub pair_lm: Option<PairLm<'a>>,
}

impl std::fmt::Debug for DecodeOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodeOptions")
            .field("k", &self.k)
            .field("allow_completion", &self.allow_completion)
            .field("allow_split", &self.allow_split)
            .field("offsets", &self.offsets)
            .field("pair_lm", &self.pair_lm.is_some())
            .finish()
    }
}

impl Default for DecodeOptions<'_> {
    fn default() -> Self {
        DecodeOptions {
            k: 3,
            allow_completion: true,
            allow_split: true,
            offsets: None,
            pair_lm: None,
        }
    }
}

/// The decoder: layout, parameters and touch model. Immutable; share it between threads.
#[derive(Debug, Clone)]
pub struct Decoder {
    layout: Layout,
    params: Params,
    touch: TouchModel,
}

impl Decoder {
    /// Build a decoder; fails only when `params` are out of range.
    pub fn new(layout: Layout, params: Params) -> Result<Decoder> {
        params.validate()?;
        let touch = TouchModel::new(&layout, &params);
        Ok(Decoder {
            layout,
            params,
            touch,
        })
    }

    /// The keyboard layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Buffers sized for this decoder; keep one per thread and pass it to every call.
    pub fn scratch(&self) -> Scratch {
        let mut s = Scratch::new();
        s.reserve(&self.params, self.touch.n_keys());
        s
    }

    /// Fill the scratch input from `typed` and `taps`. Returns the number of characters, or
    /// `None` when the input is too long to be a word.
    fn prepare(
        &self,
        typed: &str,
        taps: Option<&[Tap]>,
        offsets: Option<&UserOffsets>,
        s: &mut Scratch,
    ) -> Result<Option<usize>> {
        if let Some(taps) = taps {
            if taps.iter().any(|t| !(t.x.is_finite() && t.y.is_finite())) {
                return Err(Error::InvalidInput("tap coordinates must be finite".into()));
            }
            // Counting stops early: a huge input is rejected below without walking it all.
            let n = typed.chars().take(taps.len() + 1).count();
            if n != taps.len() {
                return Err(Error::InvalidInput(
                    "taps must have one entry per typed character".into(),
                ));
            }
        }
        if typed.chars().nth(self.params.max_chars).is_some() {
            return Ok(None);
        }
        s.reserve(&self.params, self.touch.n_keys());
        let k = self.touch.n_keys();
        let inp = &mut s.input;
        inp.chars.clear();
        inp.has_row.clear();
        inp.space.clear();
        inp.table.clear();
        inp.k = k;
        inp.tapped = taps.is_some();
        let space = self.layout.key_index(' ');
        for (j, c) in typed.chars().enumerate() {
            let c = c.to_lowercase().next().unwrap_or(c);
            inp.chars.push(c);
            let at = inp.table.len();
            let key = self.layout.key_index(c);
            match taps {
                Some(taps) => {
                    // Off-layout characters ("." where the space bar was missed) still have a
                    // tap: its row gives the space-bar cost, the letters fall back to rules.
                    let (x, y) = self.layout.clamp(taps[j].x, taps[j].y);
                    inp.table.resize(at + k, 0.0);
                    self.touch.tap_row(
                        &self.layout,
                        Tap { x, y },
                        offsets,
                        &mut inp.table[at..at + k],
                    );
                    inp.has_row.push(key.is_some());
                }
                None => match key {
                    Some(t) => {
                        inp.table.extend_from_slice(self.touch.typed_row(t));
                        inp.has_row.push(true);
                    }
                    None => {
                        inp.table.resize(at + k, 0.0);
                        inp.has_row.push(false);
                    }
                },
            }
            if let Some(t) = key {
                let row = &mut inp.table[at..at + k];
                for (cost, cap) in row.iter_mut().zip(self.touch.spelling_row(t)) {
                    *cost = cost.min(*cap);
                }
            }
            let has_cost = taps.is_some() || key.is_some();
            inp.space.push(match space {
                Some(sp) if has_cost => inp.table[at + sp],
                _ => f32::INFINITY,
            });
        }
        // Key-major copy for the search's inner loop.
        let n = inp.chars.len();
        inp.cols.clear();
        inp.cols.resize(n * k, 0.0);
        for (key, ch) in self.layout.keys().iter().map(|key| key.ch).enumerate() {
            for j in 0..n {
                inp.cols[key * n + j] = if inp.has_row[j] {
                    inp.table[j * k + key]
                } else if search::fold_accent(inp.chars[j]) == ch {
                    self.params.accent
                } else {
                    self.params.substitution
                };
            }
        }
        Ok(Some(n))
    }

    /// Top-`opts.k` words for a (noisy) word at the cursor, best first, into `out` (cleared).
    /// `typed`: the characters as typed; `taps`: optional coordinates, one per character.
    /// `lm(id)`: log10 P(word | context). Input longer than `max_chars` yields no candidates.
    #[allow(clippy::too_many_arguments)]
    pub fn decode(
        &self,
        vocab: &dyn Vocab,
        typed: &str,
        taps: Option<&[Tap]>,
        lm: &dyn Fn(u32) -> f32,
        opts: &DecodeOptions,
        scratch: &mut Scratch,
        out: &mut Vec<Candidate>,
    ) -> Result<()> {
        out.clear();
        self.run(vocab, typed, taps, lm, opts, scratch)?;
        let k = opts.k.min(scratch.pool.len());
        out.extend_from_slice(&scratch.pool[..k]);
        Ok(())
    }

    /// Decode into `scratch.pool` (sorted, deduplicated).
    fn run(
        &self,
        vocab: &dyn Vocab,
        typed: &str,
        taps: Option<&[Tap]>,
        lm: &dyn Fn(u32) -> f32,
        opts: &DecodeOptions,
        s: &mut Scratch,
    ) -> Result<()> {
        s.pool.clear();
        let Some(n) = self.prepare(typed, taps, opts.offsets, s)? else {
            return Ok(());
        };
        if n == 0 || vocab.is_empty() {
            return Ok(());
        }
        let cx = Ctx {
            vocab,
            layout: &self.layout,
            p: &self.params,
            lm,
            pair_lm: opts.pair_lm,
        };
        let split = opts.allow_split && n >= 2 && self.params.max_splits > 0;
        let spec = SearchSpec {
            start: 0,
            end: n,
            completion: opts.allow_completion,
            splits: split,
            unigram: false,
            to_pool2: false,
        };
        search::search(&cx, s, &spec);
        // A split costs at least `missing_space`, so a cleaner single word makes it moot;
        // a typed space is always worth trying as a boundary.
        let split =
            split && (s.best_full > self.params.missing_space || s.input.chars.contains(&' '));
        if split {
            search::decode_splits(&cx, s, n, opts.allow_completion);
        }
        let keep = s.pool.len();
        search::compact_pool(&mut s.pool, keep);
        Ok(())
    }
}

/// Letters English spellers confuse by sound (not by key position): any two vowels (y counts),
/// and the consonant pairs c/k, c/s, s/z, k/q, m/n, d/t, b/p, g/j, f/v.
fn sounds_alike(a: char, b: char) -> bool {
    const PAIRS: [(char, char); 9] = [
        ('c', 'k'),
        ('c', 's'),
        ('s', 'z'),
        ('k', 'q'),
        ('m', 'n'),
        ('d', 't'),
        ('b', 'p'),
        ('g', 'j'),
        ('f', 'v'),
    ];
    a != b
        && ((is_vowel(a) && is_vowel(b))
            || PAIRS
                .iter()
                .any(|&(x, y)| (a, b) == (x, y) || (a, b) == (y, x)))
}

/// A vowel for spelling purposes (y counts).
pub(crate) fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y')
}

#[cfg(test)]
pub(crate) mod tests;
