//! The lexicon: folded words in byte-sorted order, so that word id order is key order and every
//! prefix is a contiguous id range. Each word keeps a count, flags and its display form.
//!
//! Top-k completion of a prefix uses a segment tree of (count-)maxima over ids: the best words
//! of any id range come out in O(k log n) without scanning the range.

use std::ops::Range;

use crate::error::{Error, Result};
use crate::format::{self, Kind, Reader, Writer};

/// Flag bits stored per word.
pub mod flags {
    /// In a general word list.
    pub const GENERAL: u8 = 1;
    /// Clinical vocabulary.
    pub const MEDICAL: u8 = 2;
    /// A drug or brand name.
    pub const DRUG: u8 = 4;
    /// A medical abbreviation.
    pub const ABBREV: u8 = 8;
    /// Known, but never offered.
    pub const NO_SUGGEST: u8 = 16;
    /// A person name (never learned).
    pub const NAME: u8 = 32;
    /// Mostly written with a capital right after a capitalised word inside a sentence: it goes
    /// on a name ("Central Park", "Dodger Stadium").
    pub const CAPITAL_AFTER_NAME: u8 = 64;
    /// Often written in lower case outside names, whatever its display form ("a nice park"):
    /// a capital is not forced on it.
    pub const LOWER_ALONE: u8 = 128;
}

/// Id of the unknown word.
pub const UNK: u32 = 0;
/// Id of the sentence start.
pub const BOS: u32 = 1;
/// Id of the sentence end.
pub const EOS: u32 = 2;
/// First id of a real word.
pub const FIRST_WORD: u32 = 3;
const SPECIALS: [&str; 3] = ["<unk>", "<s>", "</s>"];

/// One word handed to [`LexiconBuilder`].
#[derive(Debug, Clone)]
pub struct Entry {
    /// How the word is shown ("MRI", "pH", "patient").
    pub display: String,
    /// Frequency used to rank completions.
    pub count: u32,
    /// [`flags`] bits.
    pub flags: u8,
}

/// Collects entries; merges those with the same folded key.
#[derive(Default)]
pub struct LexiconBuilder {
    map: std::collections::HashMap<String, (Entry, u32)>,
}

impl LexiconBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a word. The display form with the largest `count` seen for a key wins; counts add up
    /// and flags are OR-ed. Empty words and words with control characters are ignored.
    pub fn add(&mut self, display: &str, count: u32, flag_bits: u8) {
        if display.is_empty() || display.len() > 64 || display.chars().any(char::is_control) {
            return;
        }
        let key = crate::text::fold(display);
        if SPECIALS.contains(&key.as_str()) {
            return;
        }
        let e = self.map.entry(key).or_insert_with(|| {
            (
                Entry {
                    display: display.to_string(),
                    count: 0,
                    flags: 0,
                },
                0,
            )
        });
        // Most frequent form wins; among unweighted list entries the plain lower-case one.
        let plain = display.chars().all(|c| !c.is_uppercase());
        if count > e.1 || (count == e.1 && plain && e.0.display != display) {
            e.0.display = display.to_string();
            e.1 = count;
        }
        e.0.count = e.0.count.saturating_add(count);
        e.0.flags |= flag_bits;
    }

    /// True when the folded `key` was added.
    pub fn contains(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// Number of distinct keys so far.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no word was added.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Sort and freeze.
    pub fn build(self) -> Lexicon {
        let mut items: Vec<(String, Entry)> = self.map.into_iter().map(|(k, v)| (k, v.0)).collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let mut lex = Lexicon::empty();
        for (key, e) in items {
            let display = if e.display == key {
                ""
            } else {
                e.display.as_str()
            };
            lex.push(&key, display, e.count, e.flags);
        }
        lex.finish();
        lex
    }
}

/// An immutable, sorted lexicon.
#[derive(Debug, Clone)]
pub struct Lexicon {
    keys: String,
    key_off: Vec<u32>,
    disp: String,
    disp_off: Vec<u32>,
    counts: Vec<u32>,
    flags: Vec<u8>,
    log10_uni: Vec<f32>,
    tree: Vec<u32>,
    leaves: usize,
}

impl Lexicon {
    fn empty() -> Lexicon {
        let mut lex = Lexicon {
            keys: String::new(),
            key_off: vec![0],
            disp: String::new(),
            disp_off: vec![0],
            counts: Vec::new(),
            flags: Vec::new(),
            log10_uni: Vec::new(),
            tree: Vec::new(),
            leaves: 0,
        };
        for s in SPECIALS {
            lex.push(s, "", 0, flags::NO_SUGGEST);
        }
        lex
    }

    fn push(&mut self, key: &str, display: &str, count: u32, f: u8) {
        self.keys.push_str(key);
        self.key_off.push(self.keys.len() as u32);
        self.disp.push_str(display);
        self.disp_off.push(self.disp.len() as u32);
        self.counts.push(count);
        self.flags.push(f);
    }

    fn finish(&mut self) {
        let total: f64 = self.counts.iter().map(|&c| c as f64 + 0.5).sum();
        self.log10_uni = self
            .counts
            .iter()
            .map(|&c| ((c as f64 + 0.5) / total).log10() as f32)
            .collect();
        // Segment tree of argmax over suggestable counts.
        let n = self.counts.len();
        let leaves = n.next_power_of_two().max(1);
        let mut tree = vec![u32::MAX; 2 * leaves];
        for i in 0..n {
            tree[leaves + i] = i as u32;
        }
        for i in (1..leaves).rev() {
            tree[i] = self.better(tree[2 * i], tree[2 * i + 1]);
        }
        self.tree = tree;
        self.leaves = leaves;
    }

    #[inline]
    fn rank(&self, id: u32) -> u64 {
        match self.counts.get(id as usize) {
            Some(&c) if self.flags[id as usize] & flags::NO_SUGGEST == 0 => c as u64 + 1,
            _ => 0,
        }
    }

    #[inline]
    fn better(&self, a: u32, b: u32) -> u32 {
        if a == u32::MAX {
            return b;
        }
        if b == u32::MAX {
            return a;
        }
        if self.rank(b) > self.rank(a) {
            b
        } else {
            a
        }
    }

    fn range_best(&self, lo: usize, hi: usize) -> u32 {
        let (mut l, mut r) = (lo + self.leaves, hi + self.leaves);
        let mut best = u32::MAX;
        while l < r {
            if l & 1 == 1 {
                best = self.better(best, self.tree[l]);
                l += 1;
            }
            if r & 1 == 1 {
                r -= 1;
                best = self.better(best, self.tree[r]);
            }
            l >>= 1;
            r >>= 1;
        }
        best
    }

    /// Number of ids (specials included).
    #[inline]
    pub fn len(&self) -> u32 {
        self.counts.len() as u32
    }

    /// True when the lexicon holds only the special ids.
    pub fn is_empty(&self) -> bool {
        self.len() <= FIRST_WORD
    }

    /// Folded key of `id` ("" for an id out of range).
    #[inline]
    pub fn key(&self, id: u32) -> &str {
        let i = id as usize;
        match (self.key_off.get(i), self.key_off.get(i + 1)) {
            (Some(&a), Some(&b)) => self.keys.get(a as usize..b as usize).unwrap_or(""),
            _ => "",
        }
    }

    /// Display form of `id`.
    #[inline]
    pub fn display(&self, id: u32) -> &str {
        let i = id as usize;
        match (self.disp_off.get(i), self.disp_off.get(i + 1)) {
            (Some(&a), Some(&b)) if b > a => self.disp.get(a as usize..b as usize).unwrap_or(""),
            _ => self.key(id),
        }
    }

    /// Count of `id`.
    #[inline]
    pub fn count(&self, id: u32) -> u32 {
        self.counts.get(id as usize).copied().unwrap_or(0)
    }

    /// Flags of `id`.
    #[inline]
    pub fn flags(&self, id: u32) -> u8 {
        self.flags.get(id as usize).copied().unwrap_or(0)
    }

    /// log10 of the smoothed relative frequency of `id`.
    #[inline]
    pub fn log10_unigram(&self, id: u32) -> f32 {
        self.log10_uni.get(id as usize).copied().unwrap_or(-99.0)
    }

    /// Ids whose folded key starts with `prefix` (already folded). The empty prefix gives all words.
    pub fn prefix_range(&self, prefix: &str) -> Range<u32> {
        let n = self.len();
        let mut lo = FIRST_WORD;
        let mut hi = n;
        // lower bound: first key >= prefix
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.key(mid) < prefix {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let start = lo;
        hi = n;
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.key(mid).starts_with(prefix) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        start..lo
    }

    /// Id of an exact folded key.
    pub fn id(&self, key: &str) -> Option<u32> {
        let r = self.prefix_range(key);
        (r.start < r.end && self.key(r.start) == key).then_some(r.start)
    }

    /// The `k` most frequent suggestable ids in `range`, best first, appended to `out`.
    pub fn top_in_range(&self, range: Range<u32>, k: usize, out: &mut Vec<u32>) {
        let lo = (range.start as usize).min(self.counts.len());
        let hi = (range.end as usize).min(self.counts.len());
        if lo >= hi || k == 0 {
            return;
        }
        // Best-first over sub-ranges: pop the best, split its range around it.
        let mut heap: std::collections::BinaryHeap<(u64, u32, u32, u32)> =
            std::collections::BinaryHeap::with_capacity(2 * k.min(hi - lo) + 2);
        let b = self.range_best(lo, hi);
        heap.push((self.rank(b), b, lo as u32, hi as u32));
        while let Some((rank, id, l, h)) = heap.pop() {
            if rank == 0 {
                break;
            }
            out.push(id);
            if out.len() >= k {
                break;
            }
            for (a, z) in [(l, id), (id + 1, h)] {
                if a < z {
                    let b = self.range_best(a as usize, z as usize);
                    heap.push((self.rank(b), b, a, z));
                }
            }
        }
    }

    /// Serialise to a keywise `.kwl` file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u32(self.len());
        w.section(self.keys.as_bytes());
        w.u32s(&self.key_off);
        w.section(self.disp.as_bytes());
        w.u32s(&self.disp_off);
        w.u32s(&self.counts);
        w.section(&self.flags);
        format::wrap(Kind::Lexicon, &w.buf)
    }

    /// Parse a `.kwl` file, checking every offset; `verify` also checks the payload checksum.
    pub fn from_bytes(bytes: &[u8], verify: bool) -> Result<Lexicon> {
        let payload = if verify {
            format::verify(bytes, Kind::Lexicon)?
        } else {
            format::open(bytes, Kind::Lexicon)?
        };
        let mut r = Reader::new(payload);
        let n = r.u32()? as usize;
        let keys = std::str::from_utf8(r.section("keys")?)
            .map_err(|_| Error::corrupt("lexicon keys are not UTF-8"))?;
        let key_off = r.u32s("key offsets")?;
        let disp = std::str::from_utf8(r.section("display forms")?)
            .map_err(|_| Error::corrupt("lexicon display forms are not UTF-8"))?;
        let disp_off = r.u32s("display offsets")?;
        let counts = r.u32s("counts")?;
        let fl = r.section("flags")?;
        if n < FIRST_WORD as usize
            || key_off.len() != n + 1
            || disp_off.len() != n + 1
            || counts.len() != n
            || fl.len() != n
        {
            return Err(Error::corrupt("lexicon section lengths disagree"));
        }
        let check = |offs: &format::U32s, s: &str, what: &str| -> Result<Vec<u32>> {
            let v: Vec<u32> = (0..offs.len()).map(|i| offs.get(i)).collect();
            let ok = v.first() == Some(&0)
                && v.windows(2).all(|p| p[0] <= p[1])
                && v.last().is_some_and(|&e| e as usize == s.len())
                && v.iter().all(|&o| s.is_char_boundary(o as usize));
            if ok {
                Ok(v)
            } else {
                Err(Error::corrupt(format!(
                    "lexicon {what} offsets are invalid"
                )))
            }
        };
        let key_off = check(&key_off, keys, "key")?;
        let disp_off = check(&disp_off, disp, "display")?;
        let mut lex = Lexicon {
            keys: keys.to_string(),
            key_off,
            disp: disp.to_string(),
            disp_off,
            counts: (0..n).map(|i| counts.get(i)).collect(),
            flags: fl.to_vec(),
            log10_uni: Vec::new(),
            tree: Vec::new(),
            leaves: 0,
        };
        for i in FIRST_WORD as usize + 1..n {
            if lex.key(i as u32 - 1) >= lex.key(i as u32) {
                return Err(Error::corrupt("lexicon keys are not strictly sorted"));
            }
        }
        lex.finish();
        Ok(lex)
    }

    /// Hash of the key list, used to check that a lexicon and an n-gram model share ids.
    pub fn vocab_hash(&self) -> u64 {
        vocab_hash((0..self.len()).map(|i| self.key(i)))
    }
}

/// FNV-1a over the keys (with separators): stable across builds and platforms.
pub fn vocab_hash<'a>(keys: impl Iterator<Item = &'a str>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for k in keys {
        for &b in k.as_bytes().iter().chain(std::iter::once(&0xffu8)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Lexicon {
        let mut b = LexiconBuilder::new();
        for (w, c, f) in [
            ("patient", 50, flags::MEDICAL),
            ("pain", 80, 0),
            ("pale", 3, 0),
            ("MRI", 20, flags::MEDICAL),
            ("mri", 1, 0),
            ("pH", 5, 0),
            ("Tylenol", 7, flags::DRUG),
            ("damn", 90, flags::NO_SUGGEST),
            ("denies", 40, 0),
        ] {
            b.add(w, c, f);
        }
        b.build()
    }

    #[test]
    fn prefix_ranges_and_display_forms() {
        let l = small();
        assert_eq!(l.len(), 3 + 8);
        let r = l.prefix_range("pa");
        let words: Vec<_> = r.clone().map(|i| l.key(i)).collect();
        assert_eq!(words, vec!["pain", "pale", "patient"]);
        assert_eq!(l.display(l.id("mri").unwrap()), "MRI");
        assert_eq!(l.count(l.id("mri").unwrap()), 21);
        assert_eq!(l.display(l.id("ph").unwrap()), "pH");
        assert_eq!(l.display(l.id("pain").unwrap()), "pain");
        assert!(l.prefix_range("zz").is_empty());
        assert_eq!(l.id("pa"), None);
        let mut out = vec![];
        l.top_in_range(l.prefix_range(""), 3, &mut out);
        let top: Vec<_> = out.iter().map(|&i| l.key(i)).collect();
        assert_eq!(top, vec!["pain", "patient", "denies"]); // "damn" is NO_SUGGEST
    }

    #[test]
    fn round_trip_and_corruption() {
        let l = small();
        let bytes = l.to_bytes();
        let m = Lexicon::from_bytes(&bytes, true).unwrap();
        assert_eq!(m.vocab_hash(), l.vocab_hash());
        assert_eq!(m.display(m.id("tylenol").unwrap()), "Tylenol");
        for cut in [0, 10, 40, bytes.len() - 3] {
            assert!(Lexicon::from_bytes(&bytes[..cut], true).is_err());
        }
        for i in (32..bytes.len()).step_by(7) {
            let mut b = bytes.clone();
            b[i] ^= 0x5a;
            assert!(Lexicon::from_bytes(&b, true).is_err());
            let _ = Lexicon::from_bytes(&b, false); // must not panic
        }
    }
}
