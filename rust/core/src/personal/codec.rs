//! Plaintext serialisation of a [`UserModel`] (what the store encrypts).
//!
//! Little-endian, compact: magic `KWUM`, version u32, the config, the clock (`t_ref`,
//! `t_last`), then words in folded order (their position is their id in the file), bigrams and
//! trigrams in key order with delta-coded ids (LEB128 varints), and shortcuts. Counts are the
//! model's own f32 values, so a round trip is exact, and the form is canonical (same content,
//! same bytes). Reading checks every count against the bytes left before allocating, and every
//! invariant the model relies on; failures are `Error::Corrupt` (only reachable with the right
//! key, since the AEAD is checked first).

use zeroize::Zeroizing;

use super::fold;
use super::learn::{LearnConfig, UserModel, Word, MAX_CAPACITY, MAX_FORMS};
use super::table::Table;
use super::{MAX_ABBREV_BYTES, MAX_EXPANSION_BYTES, MAX_SHORTCUTS, MAX_WORD_BYTES};
use crate::error::{Error, Result};

const MAGIC: [u8; 4] = *b"KWUM";
const VERSION: u32 = 1;
const FLAG_PINNED: u8 = 1;
const FLAG_KEY_SEEN: u8 = 2;

/// A growable buffer that never leaves a copy of its contents in freed memory.
struct Sink {
    buf: Zeroizing<Vec<u8>>,
}

impl Sink {
    fn reserve(&mut self, n: usize) {
        if self.buf.capacity() - self.buf.len() < n {
            let cap = (self.buf.len() + n).max(self.buf.capacity() * 2);
            let mut bigger = Zeroizing::new(Vec::with_capacity(cap));
            bigger.extend_from_slice(&self.buf);
            // The old buffer is zeroized as it drops.
            self.buf = bigger;
        }
    }
    fn bytes(&mut self, b: &[u8]) {
        self.reserve(b.len());
        self.buf.extend_from_slice(b);
    }
    fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }
    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }
    fn f32(&mut self, v: f32) {
        self.bytes(&v.to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.bytes(&v.to_le_bytes());
    }
    fn var(&mut self, mut v: u32) {
        let mut b = [0u8; 5];
        let mut n = 0;
        loop {
            let low = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                b[n] = low;
                n += 1;
                break;
            }
            b[n] = low | 0x80;
            n += 1;
        }
        self.bytes(&b[..n]);
    }
    /// A string with a varint length (callers bound lengths far below u32).
    fn str(&mut self, s: &str) {
        self.var(s.len() as u32);
        self.bytes(s.as_bytes());
    }
}

/// Serialise `m`, leaving `spare` bytes of capacity (room for the AEAD tag, so encrypting in
/// place does not reallocate and leave plaintext behind).
pub(super) fn encode(m: &UserModel, spare: usize) -> Zeroizing<Vec<u8>> {
    let estimate = 64
        + m.index.len() * 20
        + m.bigrams.len() * 8
        + m.trigrams.len() * 9
        + m.shortcuts.len() * 64
        + spare;
    let mut s = Sink {
        buf: Zeroizing::new(Vec::with_capacity(estimate)),
    };
    s.bytes(&MAGIC);
    s.u32(VERSION);
    s.u32(m.cfg.min_uses);
    s.f64(m.cfg.half_life_days);
    s.u32(m.cfg.max_words as u32);
    s.u32(m.cfg.max_ngrams as u32);
    s.f64(m.t_ref);
    s.f64(m.t_last);

    // Dense ids in folded order.
    let mut remap = vec![u32::MAX; m.slots.len()];
    let mut identity = true;
    s.var(m.index.len() as u32);
    for (i, &id) in m.index.values().enumerate() {
        let Some(w) = m.slots.get(id as usize).and_then(Option::as_ref) else {
            continue;
        };
        if let Some(r) = remap.get_mut(id as usize) {
            *r = i as u32;
        }
        identity &= id as usize == i;
        s.str(&w.key);
        s.f32(w.count);
        s.var(w.uses);
        let flags =
            if w.pinned { FLAG_PINNED } else { 0 } | if w.key_seen { FLAG_KEY_SEEN } else { 0 };
        s.u8(flags);
        s.var(w.key_votes);
        s.u8(w.forms.len() as u8);
        for (form, votes) in &w.forms {
            s.str(form);
            s.var(*votes);
        }
    }
    let map = |id: u32| remap.get(id as usize).copied().unwrap_or(u32::MAX);

    // Loaded stores keep file ids, so the common case streams without sorting.
    let bi: Box<dyn Iterator<Item = ((u32, u32), f32)>> = if identity {
        Box::new(m.bigrams.iter_sorted())
    } else {
        let mut v: Vec<_> = m
            .bigrams
            .iter_sorted()
            .map(|((a, b), c)| ((map(a), map(b)), c))
            .collect();
        v.sort_unstable_by_key(|e| e.0);
        Box::new(v.into_iter())
    };
    s.var(m.bigrams.len() as u32);
    let mut prev = (0u32, 0u32);
    for (i, ((a, b), c)) in bi.enumerate() {
        // First key, or a new first word: absolute; else the gap to the previous second word.
        let da = if i == 0 { a } else { a - prev.0 };
        s.var(da);
        s.var(if i > 0 && da == 0 { b - prev.1 - 1 } else { b });
        s.f32(c);
        prev = (a, b);
    }
    let tri: Box<dyn Iterator<Item = ((u32, u32, u32), f32)>> = if identity {
        Box::new(m.trigrams.iter_sorted())
    } else {
        let mut v: Vec<_> = m
            .trigrams
            .iter_sorted()
            .map(|((a, b, c), n)| ((map(a), map(b), map(c)), n))
            .collect();
        v.sort_unstable_by_key(|e| e.0);
        Box::new(v.into_iter())
    };
    s.var(m.trigrams.len() as u32);
    let mut prev = (0u32, 0u32, 0u32);
    for (i, ((a, b, c), n)) in tri.enumerate() {
        let da = if i == 0 { a } else { a - prev.0 };
        s.var(da);
        if i > 0 && da == 0 {
            let db = b - prev.1;
            s.var(db);
            s.var(if db == 0 { c - prev.2 - 1 } else { c });
        } else {
            s.var(b);
            s.var(c);
        }
        s.f32(n);
        prev = (a, b, c);
    }

    s.var(m.shortcuts.len() as u32);
    for sc in m.shortcuts.values() {
        s.str(&sc.abbrev);
        s.str(&sc.expansion);
    }
    s.reserve(spare);
    s.buf
}

struct Src<'a> {
    b: &'a [u8],
    pos: usize,
}

fn bad(what: &str) -> Error {
    Error::corrupt(format!("user store payload: {what}"))
}

impl<'a> Src<'a> {
    fn left(&self) -> usize {
        self.b.len() - self.pos
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.left() {
            return Err(bad("truncated"));
        }
        let out = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }
    fn arr<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.arr::<1>()?[0])
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.arr()?))
    }
    fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.arr()?))
    }
    fn count_f32(&mut self) -> Result<f32> {
        let c = f32::from_le_bytes(self.arr()?);
        if !(c.is_finite() && c >= 0.0) {
            return Err(bad("count out of range"));
        }
        Ok(c)
    }
    fn var(&mut self) -> Result<u32> {
        let mut v: u64 = 0;
        for shift in (0..35).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return u32::try_from(v).map_err(|_| bad("varint overflow"));
            }
        }
        Err(bad("varint too long"))
    }
    fn str(&mut self, max: usize, what: &str) -> Result<&'a str> {
        let n = self.var()? as usize;
        if n == 0 || n > max {
            return Err(bad(what));
        }
        std::str::from_utf8(self.take(n)?).map_err(|_| bad(what))
    }
    /// A record count, refused if the records could not fit in the bytes left.
    fn count(&mut self, min_record: usize, max: usize, what: &str) -> Result<usize> {
        let n = self.var()? as usize;
        if n > max || n.saturating_mul(min_record) > self.left() {
            return Err(bad(what));
        }
        Ok(n)
    }
}

fn add(a: u32, b: u32) -> Result<u32> {
    a.checked_add(b).ok_or_else(|| bad("id overflow"))
}

/// Rebuild a model from [`encode`]'s bytes, checking everything.
pub(super) fn decode(bytes: &[u8]) -> Result<UserModel> {
    let mut r = Src { b: bytes, pos: 0 };
    if r.arr::<4>()? != MAGIC {
        return Err(bad("bad magic"));
    }
    if r.u32()? != VERSION {
        return Err(bad("unknown payload version"));
    }
    let cfg = LearnConfig {
        min_uses: r.u32()?,
        half_life_days: r.f64()?,
        max_words: r.u32()? as usize,
        max_ngrams: r.u32()? as usize,
    };
    cfg.validate().map_err(|_| bad("settings out of range"))?;
    let mut m = UserModel::new(cfg);
    m.t_ref = r.f64()?;
    m.t_last = r.f64()?;
    if !m.t_ref.is_finite() || m.t_last.is_nan() || m.t_last == f64::INFINITY {
        return Err(bad("clock out of range"));
    }

    let n = r.count(10, 2 * MAX_CAPACITY, "word count")?;
    let mut keys: Vec<(Box<str>, u32)> = Vec::with_capacity(n);
    m.slots.reserve(n);
    for i in 0..n {
        let key = r.str(MAX_WORD_BYTES, "word length")?;
        if fold(key) != key {
            return Err(bad("word key not folded"));
        }
        if keys.last().is_some_and(|(k, _)| **k >= *key) {
            return Err(bad("words out of order"));
        }
        let count = r.count_f32()?;
        let uses = r.var()?;
        let flags = r.u8()?;
        if flags & !(FLAG_PINNED | FLAG_KEY_SEEN) != 0 {
            return Err(bad("bad flags"));
        }
        let key_votes = r.var()?;
        let nf = r.u8()? as usize;
        if nf > MAX_FORMS {
            return Err(bad("too many forms"));
        }
        let mut forms: Vec<(Box<str>, u32)> = Vec::with_capacity(nf);
        for _ in 0..nf {
            let f = r.str(MAX_WORD_BYTES, "form length")?;
            if f == key || fold(f) != key || forms.iter().any(|(g, _)| **g == *f) {
                return Err(bad("form does not match its word"));
            }
            forms.push((Box::from(f), r.var()?));
        }
        keys.push((key.into(), i as u32));
        m.slots.push(Some(Word {
            key: key.into(),
            count,
            uses,
            pinned: flags & FLAG_PINNED != 0,
            key_seen: flags & FLAG_KEY_SEEN != 0,
            key_votes,
            forms,
        }));
    }
    // Sorted input: the map is built in bulk.
    m.index = keys.into_iter().collect();

    let nb = r.count(6, 2 * MAX_CAPACITY, "bigram count")?;
    let mut bi: Vec<((u32, u32), f32)> = Vec::with_capacity(nb);
    let mut prev = (0u32, 0u32);
    for i in 0..nb {
        let da = r.var()?;
        let a = if i == 0 { da } else { add(prev.0, da)? };
        let x = r.var()?;
        let b = if i > 0 && da == 0 {
            add(add(prev.1, x)?, 1)?
        } else {
            x
        };
        check_ids(&[a, b], n)?;
        bi.push(((a, b), r.count_f32()?));
        prev = (a, b);
    }
    m.bigrams = Table::from_sorted(bi);

    let nt = r.count(7, 2 * MAX_CAPACITY, "trigram count")?;
    let mut tri: Vec<((u32, u32, u32), f32)> = Vec::with_capacity(nt);
    let mut prev = (0u32, 0u32, 0u32);
    for i in 0..nt {
        let da = r.var()?;
        let a = if i == 0 { da } else { add(prev.0, da)? };
        let (b, c) = if i > 0 && da == 0 {
            let db = r.var()?;
            let b = add(prev.1, db)?;
            let x = r.var()?;
            let c = if db == 0 { add(add(prev.2, x)?, 1)? } else { x };
            (b, c)
        } else {
            (r.var()?, r.var()?)
        };
        check_ids(&[a, b, c], n)?;
        tri.push(((a, b, c), r.count_f32()?));
        prev = (a, b, c);
    }
    m.trigrams = Table::from_sorted(tri);

    let ns = r.count(4, MAX_SHORTCUTS, "shortcut count")?;
    for _ in 0..ns {
        let abbrev = r.str(MAX_ABBREV_BYTES, "shortcut length")?;
        let expansion = r.str(MAX_EXPANSION_BYTES, "shortcut length")?;
        if m.shortcuts.contains_key(fold(abbrev).as_ref()) {
            return Err(bad("duplicate shortcut"));
        }
        m.set_shortcut(abbrev, expansion)
            .map_err(|_| bad("invalid shortcut"))?;
    }
    if r.left() != 0 {
        return Err(bad("trailing bytes"));
    }
    m.recompute_total();
    Ok(m)
}

fn check_ids(ids: &[u32], n: usize) -> Result<()> {
    if ids.iter().all(|&id| (id as usize) < n) {
        Ok(())
    } else {
        Err(bad("n-gram refers to a missing word"))
    }
}
