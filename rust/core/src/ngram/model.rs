//! The binary n-gram model: a trie of sorted word ids per order, opened zero-copy from bytes
//! (a `Vec` or an mmap). Probabilities are stored as quantised log10 values.
//!
//! Payload: order u32, vocab size u32, vocab hash u64, vocab keys + offsets; order 1: log10 p
//! (f32 × V), log10 backoff (f32 × V), child starts (u32 × V+1); each order n ≥ 2: words (u32),
//! log10 p (u16, −value × 2048), and for n < N log10 backoff (i16 × 2048) and child starts.

use std::ops::Range;
use std::path::Path;

use crate::error::{Error, Result};
use crate::format::{self, Kind, Reader, Writer};
use crate::lexicon::BOS;

/// Highest order this build supports.
pub const MAX_ORDER: usize = 6;
const P_SCALE: f32 = 2048.0;
const B_SCALE: f32 = 2048.0;

pub(crate) fn quant_p(log10p: f32) -> u16 {
    (-log10p.clamp(-31.99, 0.0) * P_SCALE).round() as u16
}
pub(crate) fn dequant_p(q: u16) -> f32 {
    -(q as f32) / P_SCALE
}
pub(crate) fn quant_b(log10b: f32) -> i16 {
    (log10b.clamp(-15.99, 15.99) * B_SCALE).round() as i16
}
pub(crate) fn dequant_b(q: i16) -> f32 {
    q as f32 / B_SCALE
}

/// An n-gram model's tables in memory, as produced by the builder or the ARPA reader.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    /// Model order (1..=MAX_ORDER).
    pub order: usize,
    /// Folded vocabulary; index = word id.
    pub vocab: Vec<String>,
    /// Unigram log10 probabilities.
    pub p1: Vec<f32>,
    /// Unigram log10 backoff weights.
    pub bow1: Vec<f32>,
    /// For each order n ≥ 2 (index n − 2): last word of each n-gram, sorted by full id tuple.
    pub words: Vec<Vec<u32>>,
    /// log10 p per n-gram (index n − 2).
    pub probs: Vec<Vec<f32>>,
    /// log10 backoff per n-gram (index n − 2; empty for the highest order).
    pub bows: Vec<Vec<f32>>,
    /// child_start per order n (index n − 1, for n < order): children of entry i in order n + 1
    /// are `child[n-1][i]..child[n-1][i+1]`.
    pub child: Vec<Vec<u32>>,
}

impl Tables {
    /// Serialise (quantising n ≥ 2 probabilities).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u32(self.order as u32);
        w.u32(self.vocab.len() as u32);
        w.u64(crate::lexicon::vocab_hash(
            self.vocab.iter().map(String::as_str),
        ));
        let mut blob = String::new();
        let mut offs = vec![0u32];
        for k in &self.vocab {
            blob.push_str(k);
            offs.push(blob.len() as u32);
        }
        w.section(blob.as_bytes());
        w.u32s(&offs);
        let f32s = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        w.section(&f32s(&self.p1));
        w.section(&f32s(&self.bow1));
        if self.order > 1 {
            w.u32s(&self.child[0]);
        }
        for n in 2..=self.order {
            let i = n - 2;
            w.u32s(&self.words[i]);
            let q: Vec<u8> = self.probs[i]
                .iter()
                .flat_map(|&p| quant_p(p).to_le_bytes())
                .collect();
            w.section(&q);
            if n < self.order {
                let b: Vec<u8> = self.bows[i]
                    .iter()
                    .flat_map(|&b| quant_b(b).to_le_bytes())
                    .collect();
                w.section(&b);
                w.u32s(&self.child[n - 1]);
            }
        }
        format::wrap(Kind::Ngram, &w.buf)
    }
}

enum Storage {
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl AsRef<[u8]> for Storage {
    fn as_ref(&self) -> &[u8] {
        match self {
            Storage::Owned(v) => v,
            Storage::Mapped(m) => m,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Sec {
    start: usize,
    len: usize,
}

#[derive(Debug, Clone, Copy, Default)]
struct Level {
    words: Sec,
    probs: Sec,
    bows: Sec,
    child: Sec,
    entries: usize,
}

/// An n-gram language model opened from bytes.
pub struct NgramModel {
    data: Storage,
    order: usize,
    vocab_size: u32,
    vocab_hash: u64,
    keys: Sec,
    key_off: Sec,
    p1: Sec,
    bow1: Sec,
    levels: [Level; MAX_ORDER + 1],
}

/// The words before the cursor that the model conditions on (most recent last). Plain data:
/// copy it, hash it, keep one per text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LmState {
    words: [u32; MAX_ORDER - 1],
    len: u8,
}

impl LmState {
    /// No context at all.
    pub const EMPTY: LmState = LmState {
        words: [0; MAX_ORDER - 1],
        len: 0,
    };

    /// The start of a sentence.
    pub fn sentence_start() -> LmState {
        let mut s = Self::EMPTY;
        s.push(BOS, MAX_ORDER - 1);
        s
    }

    /// Append `word`, keeping at most `keep` words.
    pub fn push(&mut self, word: u32, keep: usize) {
        let keep = keep.min(MAX_ORDER - 1);
        if keep == 0 {
            self.len = 0;
            return;
        }
        let len = self.len as usize;
        if len < keep {
            self.words[len] = word;
            self.len += 1;
        } else {
            self.words.copy_within(len - keep + 1..len, 0);
            self.words[keep - 1] = word;
            self.len = keep as u8;
        }
    }

    /// The context words, oldest first.
    pub fn words(&self) -> &[u32] {
        &self.words[..self.len as usize]
    }
}

/// A state resolved against the model once, so that scoring many words costs one binary search
/// per order each.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// For j = 1..=m: child range (in the order j+1 table) of the last j words, and their backoff.
    ranges: [(u32, u32); MAX_ORDER],
    bows: [f32; MAX_ORDER],
    m: usize,
}

const BEST_CAP: usize = 32;

fn argmax_q(v: &[(u16, u32)]) -> usize {
    let mut w = 0;
    for (i, x) in v.iter().enumerate() {
        if x.0 > v[w].0 {
            w = i;
        }
    }
    w
}

#[inline]
fn rd_u32(b: &[u8], i: usize) -> u32 {
    match b.get(i * 4..i * 4 + 4) {
        Some(s) => u32::from_le_bytes([s[0], s[1], s[2], s[3]]),
        None => 0,
    }
}
#[inline]
fn rd_u16(b: &[u8], i: usize) -> u16 {
    match b.get(i * 2..i * 2 + 2) {
        Some(s) => u16::from_le_bytes([s[0], s[1]]),
        None => u16::MAX,
    }
}
#[inline]
fn rd_f32(b: &[u8], i: usize) -> f32 {
    f32::from_bits(rd_u32(b, i))
}

impl NgramModel {
    /// Open a model file with mmap. Checks the header and every section length, not the checksum.
    pub fn open(path: &Path) -> Result<NgramModel> {
        let f = std::fs::File::open(path).map_err(|e| Error::from(e).in_file(path))?;
        // SAFETY: the map is read-only and every access is bounds-checked; a file changed
        // underneath us can give wrong numbers, never out-of-bounds reads.
        let m = unsafe { memmap2::Mmap::map(&f) }.map_err(|e| Error::from(e).in_file(path))?;
        Self::from_storage(Storage::Mapped(m)).map_err(|e| e.in_file(path))
    }

    /// Open a model held in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<NgramModel> {
        Self::from_storage(Storage::Owned(bytes))
    }

    fn from_storage(data: Storage) -> Result<NgramModel> {
        let bytes = data.as_ref();
        let payload = format::open(bytes, Kind::Ngram)?;
        let base = format::HEADER_LEN;
        let mut r = Reader::new(payload);
        let order = r.u32()? as usize;
        if !(1..=MAX_ORDER).contains(&order) {
            return Err(Error::corrupt(format!(
                "n-gram order {order} is out of range 1..={MAX_ORDER}"
            )));
        }
        let vocab_size = r.u32()?;
        if vocab_size < 3 {
            return Err(Error::corrupt("vocabulary smaller than the special words"));
        }
        let vocab_hash = r.u64()?;
        let v = vocab_size as usize;
        let sec = |r: &mut Reader, what: &str, elem: usize, count: Option<usize>| -> Result<Sec> {
            let s = r.section(what)?;
            let start = base + r.pos() - s.len() - (8 - s.len() % 8) % 8;
            if s.len() % elem != 0 || count.is_some_and(|c| c * elem != s.len()) {
                return Err(Error::corrupt(format!(
                    "{what}: section has the wrong length"
                )));
            }
            Ok(Sec {
                start,
                len: s.len(),
            })
        };
        let keys = sec(&mut r, "vocabulary", 1, None)?;
        let key_off = sec(&mut r, "vocabulary offsets", 4, Some(v + 1))?;
        let p1 = sec(&mut r, "unigram probabilities", 4, Some(v))?;
        let bow1 = sec(&mut r, "unigram backoffs", 4, Some(v))?;
        let mut levels = [Level::default(); MAX_ORDER + 1];
        levels[1].entries = v;
        if order > 1 {
            levels[1].child = sec(&mut r, "unigram children", 4, Some(v + 1))?;
        }
        for (n, level) in levels.iter_mut().enumerate().take(order + 1).skip(2) {
            let words = sec(&mut r, "n-gram words", 4, None)?;
            let e = words.len / 4;
            let probs = sec(&mut r, "n-gram probabilities", 2, Some(e))?;
            let (bows, child) = if n < order {
                (
                    sec(&mut r, "n-gram backoffs", 2, Some(e))?,
                    sec(&mut r, "n-gram children", 4, Some(e + 1))?,
                )
            } else {
                (Sec::default(), Sec::default())
            };
            *level = Level {
                words,
                probs,
                bows,
                child,
                entries: e,
            };
        }
        if r.pos() != payload.len() {
            return Err(Error::corrupt("trailing bytes after the last n-gram table"));
        }
        Ok(NgramModel {
            data,
            order,
            vocab_size,
            vocab_hash,
            keys,
            key_off,
            p1,
            bow1,
            levels,
        })
    }

    #[inline]
    fn s(&self, s: Sec) -> &[u8] {
        self.data
            .as_ref()
            .get(s.start..s.start + s.len)
            .unwrap_or(&[])
    }

    /// Check the payload checksum and the structure (child ranges, word ids) of every table.
    pub fn verify(&self) -> Result<()> {
        format::verify(self.data.as_ref(), Kind::Ngram)?;
        let keys = std::str::from_utf8(self.s(self.keys))
            .map_err(|_| Error::corrupt("vocabulary is not UTF-8"))?;
        let offs = self.s(self.key_off);
        let mut prev = 0u32;
        for i in 0..=self.vocab_size as usize {
            let o = rd_u32(offs, i);
            if o < prev || o as usize > keys.len() || !keys.is_char_boundary(o as usize) {
                return Err(Error::corrupt("vocabulary offsets are invalid"));
            }
            prev = o;
        }
        if rd_u32(offs, 0) != 0 || prev as usize != keys.len() {
            return Err(Error::corrupt("vocabulary offsets are invalid"));
        }
        for n in 1..self.order {
            let child = self.s(self.levels[n].child);
            let next = self.levels[n + 1].entries as u32;
            let mut prev = 0;
            for i in 0..=self.levels[n].entries {
                let c = rd_u32(child, i);
                if c < prev || c > next {
                    return Err(Error::corrupt(format!(
                        "order-{n} child ranges are invalid"
                    )));
                }
                prev = c;
            }
            if rd_u32(child, 0) != 0 || prev != next {
                return Err(Error::corrupt(format!(
                    "order-{n} child ranges do not cover order {}",
                    n + 1
                )));
            }
            let words = self.s(self.levels[n + 1].words);
            for i in 0..self.levels[n].entries {
                let (a, b) = (rd_u32(child, i) as usize, rd_u32(child, i + 1) as usize);
                for j in a..b {
                    let w = rd_u32(words, j);
                    if w >= self.vocab_size || (j > a && rd_u32(words, j - 1) >= w) {
                        return Err(Error::corrupt(format!(
                            "order-{} words are invalid or unsorted",
                            n + 1
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// Model order.
    pub fn order(&self) -> usize {
        self.order
    }
    /// Vocabulary size (ids `0..vocab_size`).
    pub fn vocab_size(&self) -> u32 {
        self.vocab_size
    }
    /// Hash of the vocabulary keys (see [`crate::lexicon::vocab_hash`]).
    pub fn vocab_hash(&self) -> u64 {
        self.vocab_hash
    }
    /// Number of stored n-grams of order `n`.
    pub fn entries(&self, n: usize) -> usize {
        self.levels.get(n).map_or(0, |l| l.entries)
    }
    /// Size of the model's bytes.
    pub fn byte_len(&self) -> usize {
        self.data.as_ref().len()
    }

    /// Folded key of word `id`.
    pub fn word(&self, id: u32) -> &str {
        let offs = self.s(self.key_off);
        let (a, b) = (
            rd_u32(offs, id as usize) as usize,
            rd_u32(offs, id as usize + 1) as usize,
        );
        std::str::from_utf8(self.s(self.keys).get(a..b).unwrap_or(&[])).unwrap_or("")
    }

    /// Number of words of context the model can use.
    pub fn context_len(&self) -> usize {
        self.order - 1
    }

    #[inline]
    fn child_range(&self, n: usize, entry: usize) -> (u32, u32) {
        let c = self.s(self.levels[n].child);
        let (a, b) = (rd_u32(c, entry), rd_u32(c, entry + 1));
        if a <= b {
            (a, b)
        } else {
            (0, 0)
        }
    }

    /// Index of `word` among the order-`n` entries `range`.
    #[inline]
    fn find(&self, n: usize, range: (u32, u32), word: u32) -> Option<usize> {
        let words = self.s(self.levels[n].words);
        let (mut lo, mut hi) = (range.0 as usize, range.1 as usize);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let w = rd_u32(words, mid);
            match w.cmp(&word) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// Entry index of the n-gram `gram` in the order-`gram.len()` table.
    fn lookup(&self, gram: &[u32]) -> Option<usize> {
        let first = *gram.first()?;
        if first >= self.vocab_size || gram.len() > self.order {
            return None;
        }
        let mut e = first as usize;
        for (t, &w) in gram.iter().enumerate().skip(1) {
            let r = self.child_range(t, e);
            e = self.find(t + 1, r, w)?;
        }
        Some(e)
    }

    fn bow(&self, n: usize, entry: usize) -> f32 {
        if n == 1 {
            rd_f32(self.s(self.bow1), entry)
        } else {
            dequant_b(rd_u16(self.s(self.levels[n].bows), entry) as i16)
        }
    }

    fn prob(&self, n: usize, entry: usize) -> f32 {
        if n == 1 {
            rd_f32(self.s(self.p1), entry)
        } else {
            dequant_p(rd_u16(self.s(self.levels[n].probs), entry))
        }
    }

    /// Resolve `state` against the tables.
    pub fn context(&self, state: &LmState) -> Context {
        let words = state.words();
        let m = words.len().min(self.order - 1);
        let words = &words[words.len() - m..];
        let mut ctx = Context {
            ranges: [(0, 0); MAX_ORDER],
            bows: [0.0; MAX_ORDER],
            m,
        };
        for j in 1..=m {
            if let Some(e) = self.lookup(&words[m - j..]) {
                ctx.ranges[j] = self.child_range(j, e);
                ctx.bows[j] = self.bow(j, e);
            }
        }
        ctx
    }

    /// log10 P(word | context).
    #[inline]
    pub fn log10_prob(&self, ctx: &Context, word: u32) -> f32 {
        if word >= self.vocab_size {
            return self.prob(1, 0);
        }
        let mut acc = 0.0;
        for j in (1..=ctx.m).rev() {
            if let Some(i) = self.find(j + 1, ctx.ranges[j], word) {
                return acc + self.prob(j + 1, i);
            }
            acc += ctx.bows[j];
        }
        acc + self.prob(1, word as usize)
    }

    /// KenLM-style query: log10 P(word | state) and the state after it.
    pub fn score(&self, state: &LmState, word: u32) -> (f32, LmState) {
        let p = self.log10_prob(&self.context(state), word);
        let mut next = *state;
        next.push(word, self.order - 1);
        (p, next)
    }

    /// Words in `ids` seen after the context at any order, at most `per_order` of the most
    /// probable per order, appended to `out` (duplicates possible).
    pub fn successors(&self, ctx: &Context, ids: Range<u32>, per_order: usize, out: &mut Vec<u32>) {
        for j in (1..=ctx.m).rev() {
            let (a, b) = ctx.ranges[j];
            if a >= b {
                continue;
            }
            let n = j + 1;
            let words = self.s(self.levels[n].words);
            let lower = |target: u32| {
                let (mut lo, mut hi) = (a as usize, b as usize);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    if rd_u32(words, mid) < target {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                lo
            };
            let (lo, hi) = (lower(ids.start), lower(ids.end));
            let probs = self.s(self.levels[n].probs);
            // Keep the `per_order` best by quantised probability (smaller q = more probable)
            // in a fixed stack buffer: no allocation per keystroke.
            let cap = per_order.min(BEST_CAP);
            let mut best = [(u16::MAX, 0u32); BEST_CAP];
            let (mut len, mut worst) = (0usize, 0usize);
            for i in lo..hi {
                let q = rd_u16(probs, i);
                if len < cap {
                    best[len] = (q, rd_u32(words, i));
                    len += 1;
                    if len == cap {
                        worst = argmax_q(&best[..len]);
                    }
                } else if cap > 0 && q < best[worst].0 {
                    best[worst] = (q, rd_u32(words, i));
                    worst = argmax_q(&best[..len]);
                }
            }
            out.extend(best[..len].iter().map(|x| x.1));
        }
    }

    /// Walk every stored n-gram (ids, log10 p, log10 backoff or None), in id order per order.
    pub fn for_each(&self, mut f: impl FnMut(&[u32], f32, Option<f32>)) {
        let mut path = Vec::with_capacity(self.order);
        for w in 0..self.vocab_size as usize {
            let bow = (self.order > 1).then(|| self.bow(1, w));
            f(&[w as u32], self.prob(1, w), bow);
        }
        for n in 2..=self.order {
            for e in 0..self.vocab_size as usize {
                path.clear();
                path.push(e as u32);
                self.walk_children(1, e, n, &mut path, &mut f);
            }
        }
    }

    fn walk_children(
        &self,
        n: usize,
        e: usize,
        target: usize,
        path: &mut Vec<u32>,
        f: &mut impl FnMut(&[u32], f32, Option<f32>),
    ) {
        let (a, b) = self.child_range(n, e);
        let words = self.s(self.levels[n + 1].words);
        for c in a as usize..b as usize {
            path.push(rd_u32(words, c));
            if n + 1 == target {
                let bow = (n + 1 < self.order).then(|| self.bow(n + 1, c));
                f(path, self.prob(n + 1, c), bow);
            } else {
                self.walk_children(n + 1, c, target, path, f);
            }
            path.pop();
        }
    }
}
