//! Plaintext serialisation of a [`UserModel`] (what the store encrypts).
//!
//! Little-endian and length-prefixed: magic `KWUM`, version u32, the config, then words in
//! folded order (their position is their id in the file), bigrams and trigrams in id order, and
//! shortcuts. The form is canonical (same content, same bytes). Reading checks every count
//! against the bytes left before allocating, and every invariant the model relies on; failures
//! are `Error::Corrupt` (only reachable with the right key, since the AEAD comes first).

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use super::fold;
use super::learn::{Decayed, LearnConfig, UserModel, Word, MAX_CAPACITY, MAX_FORMS};
use super::{MAX_ABBREV_BYTES, MAX_EXPANSION_BYTES, MAX_SHORTCUTS, MAX_WORD_BYTES};
use crate::error::{Error, Result};

const MAGIC: [u8; 4] = *b"KWUM";
const VERSION: u32 = 1;

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
    fn u16(&mut self, v: u16) {
        self.bytes(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.bytes(&v.to_le_bytes());
    }
    fn decayed(&mut self, d: Decayed) {
        self.f64(d.c);
        self.f64(d.t);
    }
    /// Strings here are bounded well under 64 KiB by the model's own checks.
    fn str16(&mut self, s: &str) {
        self.u16(s.len().min(u16::MAX as usize) as u16);
        self.bytes(&s.as_bytes()[..s.len().min(u16::MAX as usize)]);
    }
}

/// Serialise `m`, leaving `spare` bytes of capacity (room for the AEAD tag, so encrypting in
/// place does not reallocate and leave plaintext behind).
pub(super) fn encode(m: &UserModel, spare: usize) -> Zeroizing<Vec<u8>> {
    let estimate = 64
        + m.index.len() * 48
        + m.bigrams.len() * 24
        + m.trigrams.len() * 28
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

    // Dense ids in folded order.
    let mut remap = vec![u32::MAX; m.slots.len()];
    let mut identity = true;
    s.u32(m.index.len() as u32);
    for (i, &id) in m.index.values().enumerate() {
        let Some(w) = m.slots.get(id as usize).and_then(Option::as_ref) else {
            continue;
        };
        if let Some(r) = remap.get_mut(id as usize) {
            *r = i as u32;
        }
        identity &= id as usize == i;
        s.str16(&w.key);
        s.decayed(w.count);
        s.u32(w.uses);
        s.u8(u8::from(w.pinned));
        s.u8(w.forms.len() as u8);
        for (form, votes) in &w.forms {
            s.str16(form);
            s.u32(*votes);
        }
    }
    let map = |id: u32| remap.get(id as usize).copied().unwrap_or(u32::MAX);

    let mut bi: Vec<((u32, u32), Decayed)> = m
        .bigrams
        .iter()
        .map(|(&(a, b), &d)| ((map(a), map(b)), d))
        .collect();
    if !identity {
        bi.sort_unstable_by_key(|e| e.0);
    }
    s.u32(bi.len() as u32);
    for ((a, b), d) in bi {
        s.u32(a);
        s.u32(b);
        s.decayed(d);
    }
    let mut tri: Vec<((u32, u32, u32), Decayed)> = m
        .trigrams
        .iter()
        .map(|(&(a, b, c), &d)| ((map(a), map(b), map(c)), d))
        .collect();
    if !identity {
        tri.sort_unstable_by_key(|e| e.0);
    }
    s.u32(tri.len() as u32);
    for ((a, b, c), d) in tri {
        s.u32(a);
        s.u32(b);
        s.u32(c);
        s.decayed(d);
    }

    s.u32(m.shortcuts.len() as u32);
    for sc in m.shortcuts.values() {
        s.str16(&sc.abbrev);
        s.str16(&sc.expansion);
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
    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.arr()?))
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.arr()?))
    }
    fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.arr()?))
    }
    fn decayed(&mut self) -> Result<Decayed> {
        let (c, t) = (self.f64()?, self.f64()?);
        if !(c.is_finite() && c >= 0.0 && t.is_finite()) {
            return Err(bad("count out of range"));
        }
        Ok(Decayed { c, t })
    }
    fn str16(&mut self, max: usize, what: &str) -> Result<&'a str> {
        let n = self.u16()? as usize;
        if n == 0 || n > max {
            return Err(bad(what));
        }
        std::str::from_utf8(self.take(n)?).map_err(|_| bad(what))
    }
    /// A record count, refused if the records could not fit in the bytes left.
    fn count(&mut self, min_record: usize, max: usize, what: &str) -> Result<usize> {
        let n = self.u32()? as usize;
        if n > max || n.saturating_mul(min_record) > self.left() {
            return Err(bad(what));
        }
        Ok(n)
    }
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

    let n = r.count(25, 2 * MAX_CAPACITY, "word count")?;
    let mut keys: Vec<(Box<str>, u32)> = Vec::with_capacity(n);
    m.slots.reserve(n);
    for i in 0..n {
        let key = r.str16(MAX_WORD_BYTES, "word length")?;
        if fold(key) != key {
            return Err(bad("word key not folded"));
        }
        if keys.last().is_some_and(|(k, _)| **k >= *key) {
            return Err(bad("words out of order"));
        }
        let count = r.decayed()?;
        let uses = r.u32()?;
        let pinned = match r.u8()? {
            0 => false,
            1 => true,
            _ => return Err(bad("bad flag")),
        };
        let nf = r.u8()? as usize;
        if nf > MAX_FORMS {
            return Err(bad("too many forms"));
        }
        let mut forms = Vec::with_capacity(nf);
        for _ in 0..nf {
            let f = r.str16(MAX_WORD_BYTES, "form length")?;
            if fold(f) != key {
                return Err(bad("form does not match its word"));
            }
            forms.push((Box::from(f), r.u32()?));
        }
        keys.push((key.into(), i as u32));
        m.slots.push(Some(Word {
            key: key.into(),
            count,
            uses,
            pinned,
            forms,
        }));
    }
    // Sorted input: BTreeMap builds it in bulk.
    m.index = keys.into_iter().collect::<BTreeMap<_, _>>();

    let nb = r.count(24, 2 * MAX_CAPACITY, "bigram count")?;
    let mut bi = Vec::with_capacity(nb);
    for _ in 0..nb {
        let k = (r.u32()?, r.u32()?);
        check_ids(&[k.0, k.1], n)?;
        if bi.last().is_some_and(|l: &((u32, u32), Decayed)| l.0 >= k) {
            return Err(bad("bigrams out of order"));
        }
        bi.push((k, r.decayed()?));
    }
    m.bigrams = bi.into_iter().collect();

    let nt = r.count(28, 2 * MAX_CAPACITY, "trigram count")?;
    let mut tri = Vec::with_capacity(nt);
    for _ in 0..nt {
        let k = (r.u32()?, r.u32()?, r.u32()?);
        check_ids(&[k.0, k.1, k.2], n)?;
        if tri
            .last()
            .is_some_and(|l: &((u32, u32, u32), Decayed)| l.0 >= k)
        {
            return Err(bad("trigrams out of order"));
        }
        tri.push((k, r.decayed()?));
    }
    m.trigrams = tri.into_iter().collect();

    let ns = r.count(6, MAX_SHORTCUTS, "shortcut count")?;
    for _ in 0..ns {
        let abbrev = r.str16(MAX_ABBREV_BYTES, "shortcut length")?;
        let expansion = r.str16(MAX_EXPANSION_BYTES, "shortcut length")?;
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
