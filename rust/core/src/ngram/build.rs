//! Counting n-grams in bounded memory and estimating an interpolated modified Kneser-Ney model
//! (Chen & Goodman), pruned to a size budget with backoff weights renormalised so that every
//! context still sums to one.

use std::collections::HashMap;
use std::io::{BufReader, BufWriter, Read, Write};

use super::model::{Tables, MAX_ORDER};
use crate::error::{Error, Result};
use crate::lexicon::BOS;

const BITS: u32 = 21;
/// Largest vocabulary the builder packs (ids must fit in 21 bits).
pub const MAX_VOCAB: u32 = 1 << BITS;

#[inline]
pub(crate) fn pack(ids: &[u32]) -> u128 {
    let mut k = 0u128;
    for t in 0..MAX_ORDER {
        k = (k << BITS) | ids.get(t).copied().unwrap_or(0) as u128;
    }
    k
}

#[inline]
pub(crate) fn unpack(k: u128, n: usize, out: &mut [u32; MAX_ORDER]) {
    for (t, o) in out.iter_mut().enumerate() {
        *o = ((k >> (BITS as usize * (MAX_ORDER - 1 - t))) & ((1 << BITS) - 1)) as u32;
    }
    for x in out.iter_mut().skip(n) {
        *x = 0;
    }
}

/// Options for [`NgramBuilder`].
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Model order (1..=6).
    pub order: usize,
    /// Distinct n-grams held in memory per order before a sorted run is spilled to disk.
    pub max_in_memory: usize,
    /// Folder for spilled runs (default: the system temp folder).
    pub spill_dir: Option<std::path::PathBuf>,
    /// Minimum raw count to keep an n-gram, per order (index n − 1; order 1 is never pruned).
    pub min_count: Vec<u32>,
    /// Upper bound for the serialised model, in bytes; higher-order cut-offs rise until it fits.
    pub max_bytes: Option<usize>,
    /// A second start-of-sentence id (line starts), treated like `<s>`: never predicted.
    pub line_start: Option<u32>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            order: 4,
            max_in_memory: 4_000_000,
            spill_dir: None,
            min_count: vec![1, 1, 1, 1, 1, 1],
            max_bytes: None,
            line_start: None,
        }
    }
}

/// Counts n-grams of sentences of word ids.
pub struct NgramBuilder {
    opts: BuildOptions,
    vocab: Vec<String>,
    maps: Vec<HashMap<u128, u32>>,
    runs: Vec<Vec<tempfile::NamedTempFile>>,
    buf: Vec<u32>,
}

impl NgramBuilder {
    /// A builder over `vocab` (index = id; ids 0, 1, 2 are `<unk>`, `<s>`, `</s>`).
    pub fn new(vocab: Vec<String>, opts: BuildOptions) -> Result<NgramBuilder> {
        if !(1..=MAX_ORDER).contains(&opts.order) {
            return Err(Error::InvalidInput(format!(
                "order must be 1..={MAX_ORDER}"
            )));
        }
        if vocab.len() < 3 || vocab.len() as u32 >= MAX_VOCAB {
            return Err(Error::InvalidInput(format!(
                "vocabulary size must be 3..{MAX_VOCAB}"
            )));
        }
        let order = opts.order;
        Ok(NgramBuilder {
            opts,
            vocab,
            maps: (0..order).map(|_| HashMap::new()).collect(),
            runs: (0..order).map(|_| Vec::new()).collect(),
            buf: Vec::new(),
        })
    }

    /// The line-start id, if any.
    pub fn line_start(&self) -> Option<u32> {
        self.opts.line_start
    }

    /// Count one sentence (ids without `<s>`/`</s>`), `weight` times.
    pub fn add_sentence(&mut self, ids: &[u32], weight: u32) -> Result<()> {
        self.add_sentence_from(ids, weight, BOS)
    }

    /// Like [`Self::add_sentence`], starting from `start` (`<s>` or the line-start id).
    pub fn add_sentence_from(&mut self, ids: &[u32], weight: u32, start: u32) -> Result<()> {
        if ids.is_empty() || weight == 0 {
            return Ok(());
        }
        let v = self.vocab.len() as u32;
        self.buf.clear();
        self.buf.push(start);
        self.buf
            .extend(ids.iter().map(|&i| if i < v { i } else { 0 }));
        self.buf.push(crate::lexicon::EOS);
        for n in 1..=self.opts.order {
            for g in self.buf.windows(n) {
                if n == 1 && (g[0] == BOS || Some(g[0]) == self.opts.line_start) {
                    continue;
                }
                let e = self.maps[n - 1].entry(pack(g)).or_insert(0);
                *e = e.saturating_add(weight);
            }
            if self.maps[n - 1].len() >= self.opts.max_in_memory {
                self.spill(n - 1)?;
            }
        }
        Ok(())
    }

    fn spill(&mut self, i: usize) -> Result<()> {
        let mut v: Vec<(u128, u32)> = self.maps[i].drain().collect();
        v.sort_unstable_by_key(|x| x.0);
        let f = match &self.opts.spill_dir {
            Some(d) => tempfile::NamedTempFile::new_in(d)?,
            None => tempfile::NamedTempFile::new()?,
        };
        let mut w = BufWriter::new(f.as_file());
        for (k, c) in &v {
            w.write_all(&k.to_le_bytes())?;
            w.write_all(&c.to_le_bytes())?;
        }
        w.flush()?;
        drop(w);
        self.runs[i].push(f);
        Ok(())
    }

    /// Sorted (key, count) for order index `i`, merging spilled runs.
    fn sorted(&mut self, i: usize) -> Result<Vec<(u128, u32)>> {
        let mut mem: Vec<(u128, u32)> = self.maps[i].drain().collect();
        mem.sort_unstable_by_key(|x| x.0);
        if self.runs[i].is_empty() {
            return Ok(mem);
        }
        let mut readers: Vec<BufReader<std::fs::File>> = Vec::new();
        for f in &self.runs[i] {
            readers.push(BufReader::new(f.reopen()?));
        }
        let next = |r: &mut BufReader<std::fs::File>| -> Result<Option<(u128, u32)>> {
            let mut b = [0u8; 20];
            match r.read_exact(&mut b) {
                Ok(()) => Ok(Some((
                    u128::from_le_bytes(b[..16].try_into().unwrap_or_default()),
                    u32::from_le_bytes(b[16..].try_into().unwrap_or_default()),
                ))),
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
                Err(e) => Err(e.into()),
            }
        };
        let mut heads: Vec<Option<(u128, u32)>> = Vec::new();
        for r in readers.iter_mut() {
            heads.push(next(r)?);
        }
        let mut mi = 0;
        let mut out: Vec<(u128, u32)> = Vec::with_capacity(mem.len() * 2);
        loop {
            let mut best: Option<u128> = mem.get(mi).map(|x| x.0);
            for h in heads.iter().flatten() {
                if best.is_none_or(|b| h.0 < b) {
                    best = Some(h.0);
                }
            }
            let Some(k) = best else { break };
            let mut c = 0u32;
            if mem.get(mi).is_some_and(|x| x.0 == k) {
                c = c.saturating_add(mem[mi].1);
                mi += 1;
            }
            for (h, r) in heads.iter_mut().zip(readers.iter_mut()) {
                if h.is_some_and(|x| x.0 == k) {
                    c = c.saturating_add(h.map_or(0, |x| x.1));
                    *h = next(r)?;
                }
            }
            out.push((k, c));
        }
        Ok(out)
    }

    /// Estimate the model. `prior` (one probability per id, summing to 1, zero for `<s>`) is the
    /// distribution the unigram level interpolates with; uniform when `None`.
    pub fn estimate(mut self, prior: Option<&[f64]>) -> Result<Tables> {
        let order = self.opts.order;
        let v = self.vocab.len();
        let mut raw: Vec<Vec<(u128, u32)>> = Vec::new();
        for i in 0..order {
            raw.push(self.sorted(i)?);
        }
        let est = Estimate::new(order, v, raw, prior, self.opts.line_start)?;
        est.prune_and_pack(std::mem::take(&mut self.vocab), &self.opts)
    }
}

/// Full, unpruned estimates per order: (key, raw count, log10 p interpolated, log10 gamma as context).
struct Estimate {
    order: usize,
    v: usize,
    keys: Vec<Vec<u128>>,
    raw: Vec<Vec<u32>>,
    p: Vec<Vec<f64>>,
    p1: Vec<f64>,
}

fn discounts(adj: &[u32]) -> [f64; 4] {
    let mut t = [0f64; 5];
    for &a in adj {
        if (1..=4).contains(&a) {
            t[a as usize] += 1.0;
        }
    }
    let fallback = [0.0, 0.5, 1.0, 1.5];
    if t[1] == 0.0 || t[2] == 0.0 || t[3] == 0.0 || t[4] == 0.0 {
        return fallback;
    }
    let y = t[1] / (t[1] + 2.0 * t[2]);
    let d = [
        0.0,
        1.0 - 2.0 * y * t[2] / t[1],
        2.0 - 3.0 * y * t[3] / t[2],
        3.0 - 4.0 * y * t[4] / t[3],
    ];
    if d[1..]
        .iter()
        .enumerate()
        .all(|(i, &x)| x > 0.0 && x < (i + 1) as f64)
    {
        d
    } else {
        fallback
    }
}

#[inline]
fn disc(d: &[f64; 4], a: u32) -> f64 {
    d[(a as usize).min(3)]
}

/// Key of the n-gram made of ids[from..n] (shifted to the front).
#[inline]
fn suffix_key(k: u128, n: usize, from: usize) -> u128 {
    let mut ids = [0u32; MAX_ORDER];
    unpack(k, n, &mut ids);
    pack(&ids[from..n])
}

#[inline]
fn prefix_key(k: u128, n: usize) -> u128 {
    let mut ids = [0u32; MAX_ORDER];
    unpack(k, n, &mut ids);
    pack(&ids[..n - 1])
}

fn find(keys: &[u128], k: u128) -> Option<usize> {
    keys.binary_search(&k).ok()
}

impl Estimate {
    fn new(
        order: usize,
        v: usize,
        raw_sorted: Vec<Vec<(u128, u32)>>,
        prior: Option<&[f64]>,
        line_start: Option<u32>,
    ) -> Result<Estimate> {
        let is_start = |w: u32| w == BOS || Some(w) == line_start;
        let keys: Vec<Vec<u128>> = raw_sorted
            .iter()
            .map(|r| r.iter().map(|x| x.0).collect())
            .collect();
        let raw: Vec<Vec<u32>> = raw_sorted
            .iter()
            .map(|r| r.iter().map(|x| x.1).collect())
            .collect();
        drop(raw_sorted);
        // Adjusted counts: raw for the highest order and for n-grams starting with <s>; otherwise
        // the number of distinct words seen before the n-gram.
        let mut adj: Vec<Vec<u32>> = raw.clone();
        for n in 1..order {
            let i = n - 1;
            let mut cont = vec![0u32; keys[i].len()];
            for &k in &keys[i + 1] {
                if let Some(j) = find(&keys[i], suffix_key(k, n + 1, 1)) {
                    cont[j] += 1;
                }
            }
            let mut ids = [0u32; MAX_ORDER];
            for (j, &k) in keys[i].iter().enumerate() {
                unpack(k, n, &mut ids);
                if !is_start(ids[0]) {
                    adj[i][j] = cont[j];
                }
            }
        }
        let mut est = Estimate {
            order,
            v,
            keys,
            raw,
            p: Vec::new(),
            p1: vec![0.0; v],
        };
        // Unigrams.
        let d = discounts(&adj[0]);
        let mut total = 0f64;
        let (mut n1, mut n2, mut n3) = (0f64, 0f64, 0f64);
        let mut ids = [0u32; MAX_ORDER];
        for (j, &k) in est.keys[0].iter().enumerate() {
            unpack(k, 1, &mut ids);
            let a = adj[0][j];
            if is_start(ids[0]) || a == 0 {
                continue;
            }
            total += a as f64;
            match a {
                1 => n1 += 1.0,
                2 => n2 += 1.0,
                _ => n3 += 1.0,
            }
        }
        let uniform = 1.0 / (v as f64 - 1.0);
        let base = |w: usize| -> f64 {
            if is_start(w as u32) {
                0.0
            } else {
                prior.and_then(|p| p.get(w).copied()).unwrap_or(uniform)
            }
        };
        if total > 0.0 {
            let g = (d[1] * n1 + d[2] * n2 + d[3] * n3) / total;
            for w in 0..v {
                est.p1[w] = g * base(w);
            }
            for (j, &k) in est.keys[0].iter().enumerate() {
                unpack(k, 1, &mut ids);
                let a = adj[0][j];
                if !is_start(ids[0]) && a > 0 {
                    est.p1[ids[0] as usize] += (a as f64 - disc(&d, a)) / total;
                }
            }
        } else {
            for w in 0..v {
                est.p1[w] = base(w);
            }
        }
        // Higher orders, grouped by context (the first n-1 ids are contiguous in sorted order).
        for n in 2..=order {
            let i = n - 1;
            let d = discounts(&adj[i]);
            let len = est.keys[i].len();
            let mut p = vec![0f64; len];
            let mut s = 0;
            while s < len {
                let ctx = prefix_key(est.keys[i][s], n);
                let mut e = s;
                let (mut total, mut n1, mut n2, mut n3) = (0f64, 0f64, 0f64, 0f64);
                while e < len && prefix_key(est.keys[i][e], n) == ctx {
                    let a = adj[i][e];
                    total += a as f64;
                    match a {
                        0 => {}
                        1 => n1 += 1.0,
                        2 => n2 += 1.0,
                        _ => n3 += 1.0,
                    }
                    e += 1;
                }
                let g = if total > 0.0 {
                    (d[1] * n1 + d[2] * n2 + d[3] * n3) / total
                } else {
                    1.0
                };
                for j in s..e {
                    let a = adj[i][j];
                    let lower = est.p_full(n - 1, suffix_key(est.keys[i][j], n, 1));
                    let u = if total > 0.0 {
                        (a as f64 - disc(&d, a)).max(0.0) / total
                    } else {
                        0.0
                    };
                    p[j] = u + g * lower;
                }
                s = e;
            }
            est.p.push(p);
        }
        Ok(est)
    }

    /// Interpolated probability of the order-`n` n-gram `k` (which exists whenever a longer
    /// n-gram ending in it was counted).
    fn p_full(&self, n: usize, k: u128) -> f64 {
        if n == 1 {
            let mut ids = [0u32; MAX_ORDER];
            unpack(k, 1, &mut ids);
            return self.p1[ids[0] as usize];
        }
        match find(&self.keys[n - 1], k) {
            Some(j) => self.p[n - 2][j],
            None => 0.0,
        }
    }

    fn bytes_estimate(&self, kept: &[Vec<bool>]) -> usize {
        let mut b = self.v * 12 + 64 + self.v * 12;
        for n in 2..=self.order {
            let e = kept[n - 1].iter().filter(|&&x| x).count();
            b += e * if n < self.order { 12 } else { 6 };
        }
        b
    }

    fn keep_sets(&self, cut: &[u32]) -> Vec<Vec<bool>> {
        let mut kept: Vec<Vec<bool>> = (0..self.order)
            .map(|i| {
                let c = cut.get(i).copied().unwrap_or(1).max(1);
                self.raw[i].iter().map(|&r| i == 0 || r >= c).collect()
            })
            .collect();
        // A kept n-gram needs its prefix (which carries the backoff weight of the context).
        for n in (3..=self.order).rev() {
            for j in 0..self.keys[n - 1].len() {
                if kept[n - 1][j] {
                    if let Some(pj) = find(&self.keys[n - 2], prefix_key(self.keys[n - 1][j], n)) {
                        kept[n - 2][pj] = true;
                    }
                }
            }
        }
        kept
    }

    fn prune_and_pack(self, vocab: Vec<String>, opts: &BuildOptions) -> Result<Tables> {
        let mut cut: Vec<u32> = (0..self.order)
            .map(|i| opts.min_count.get(i).copied().unwrap_or(1))
            .collect();
        let mut kept = self.keep_sets(&cut);
        if let Some(max) = opts.max_bytes {
            // Raise cut-offs from the highest order down until the model fits.
            let mut level = self.order;
            while self.bytes_estimate(&kept) > max && level >= 2 {
                cut[level - 1] += 1;
                if cut[level - 1] > 64 {
                    level -= 1;
                    continue;
                }
                kept = self.keep_sets(&cut);
                if level > 2 && cut[level - 1] >= cut[level - 2] + 2 {
                    level -= 1;
                } else if level < self.order && cut[level - 1] > cut[self.order - 1] {
                    level = self.order;
                }
            }
        }
        self.pack(vocab, &kept)
    }

    fn pack(self, vocab: Vec<String>, kept: &[Vec<bool>]) -> Result<Tables> {
        let order = self.order;
        let v = self.v;
        let mut t = Tables {
            order,
            vocab,
            p1: self
                .p1
                .iter()
                .map(|&p| if p > 0.0 { p.log10() as f32 } else { -99.0 })
                .collect(),
            bow1: vec![0.0; v],
            ..Default::default()
        };
        // Kept keys per order (sorted) with their probabilities.
        let mut kkeys: Vec<Vec<u128>> = vec![Vec::new()];
        let mut kp: Vec<Vec<f64>> = vec![Vec::new()];
        for n in 2..=order {
            let (mut ks, mut ps) = (Vec::new(), Vec::new());
            for (j, _) in kept[n - 1].iter().enumerate().filter(|x| *x.1) {
                ks.push(self.keys[n - 1][j]);
                ps.push(self.p[n - 2][j]);
            }
            kkeys.push(ks);
            kp.push(ps);
        }
        // Backoff weights, orders ascending: bow(h) = (1 − Σ kept p(w|h)) / (1 − Σ kept p'(w|h')).
        let mut bows: Vec<Vec<f64>> = vec![vec![1.0; v]];
        for n in 2..order {
            bows.push(vec![1.0; kkeys[n - 1].len()]);
        }
        let mut ids = [0u32; MAX_ORDER];
        for n in 2..=order {
            let len = kkeys[n - 1].len();
            let mut s = 0;
            while s < len {
                let ctx = prefix_key(kkeys[n - 1][s], n);
                let mut e = s;
                let (mut num, mut den) = (1.0f64, 1.0f64);
                while e < len && prefix_key(kkeys[n - 1][e], n) == ctx {
                    num -= kp[n - 1][e];
                    unpack(kkeys[n - 1][e], n, &mut ids);
                    den -= pruned_prob(&kkeys, &kp, &bows, &t.p1, &ids[1..n]);
                    e += 1;
                }
                let b = num.max(1e-12) / den.max(1e-12);
                unpack(ctx, n - 1, &mut ids);
                if n == 2 {
                    bows[0][ids[0] as usize] = b;
                } else if let Some(j) = find(&kkeys[n - 2], ctx) {
                    bows[n - 2][j] = b;
                }
                s = e;
            }
        }
        t.bow1 = bows[0].iter().map(|&b| b.log10() as f32).collect();
        // Trie arrays.
        for n in 2..=order {
            let ks = &kkeys[n - 1];
            t.words.push(
                ks.iter()
                    .map(|&k| {
                        unpack(k, n, &mut ids);
                        ids[n - 1]
                    })
                    .collect(),
            );
            t.probs.push(
                kp[n - 1]
                    .iter()
                    .map(|&p| p.max(1e-99).log10() as f32)
                    .collect(),
            );
            t.bows.push(if n < order {
                bows[n - 1].iter().map(|&b| b.log10() as f32).collect()
            } else {
                Vec::new()
            });
        }
        for n in 1..order {
            // children of order-n entries in order n+1
            let parents = if n == 1 { v } else { kkeys[n - 1].len() };
            let mut counts = vec![0u32; parents + 1];
            for &k in &kkeys[n] {
                let pk = prefix_key(k, n + 1);
                let j = if n == 1 {
                    unpack(pk, 1, &mut ids);
                    Some(ids[0] as usize)
                } else {
                    find(&kkeys[n - 1], pk)
                };
                match j {
                    Some(j) => counts[j + 1] += 1,
                    None => return Err(Error::corrupt("pruned model lost a context")),
                }
            }
            for j in 1..counts.len() {
                counts[j] += counts[j - 1];
            }
            t.child.push(counts);
        }
        Ok(t)
    }
}

/// Probability of `gram` (ids, last = predicted word) in the pruned backoff model built so far.
fn pruned_prob(
    kkeys: &[Vec<u128>],
    kp: &[Vec<f64>],
    bows: &[Vec<f64>],
    p1: &[f32],
    gram: &[u32],
) -> f64 {
    let n = gram.len();
    if n == 1 {
        return 10f64.powf(p1.get(gram[0] as usize).copied().unwrap_or(-99.0) as f64);
    }
    if let Some(j) = find(&kkeys[n - 1], pack(gram)) {
        return kp[n - 1][j];
    }
    let ctx = &gram[..n - 1];
    let b = if n == 2 {
        bows[0].get(ctx[0] as usize).copied().unwrap_or(1.0)
    } else {
        find(&kkeys[n - 2], pack(ctx)).map_or(1.0, |j| bows[n - 2][j])
    };
    b * pruned_prob(kkeys, kp, bows, p1, &gram[1..])
}
