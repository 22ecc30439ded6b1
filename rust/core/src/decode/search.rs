//! Beam search over the implicit trie of a sorted vocabulary.
//!
//! Each beam entry is a trie node (an id range sharing a prefix) carrying a row of a weighted
//! Damerau-Levenshtein alignment between its prefix and the input: `row[j]` is the cheapest
//! way to produce the first `j` typed characters from the prefix. One depth is expanded at a
//! time; children whose best cell is too far from the best node at that depth are dropped and
//! at most `beam_width` survive. Full words are scored from `row[n]`; with completion on, a node
//! whose `row[n]` improves on its parent's offers its best words as completions. Children of
//! big nodes come from the vocabulary's [`super::TrieIndex`] when it has one, else from a
//! galloping search over the sorted keys. All buffers live in [`Scratch`]: after the first
//! call nothing is allocated.

use super::params::Params;
use super::{Candidate, Vocab, FIRST_WORD_ID, NO_SUGGEST};
use crate::layout::Layout;

pub(crate) const NO_KEY: u16 = u16::MAX;
const LN10: f32 = std::f32::consts::LN_10;

/// Preprocessed input: characters, per-position key costs.
#[derive(Debug, Default)]
pub(crate) struct Input {
    pub(crate) chars: Vec<char>,
    /// Whether position j has a cost row in `table`.
    pub(crate) has_row: Vec<bool>,
    /// `table[j * k + key]`: touch/typing cost of key for position j.
    pub(crate) table: Vec<f32>,
    /// The same costs key-major, `cols[key * n + j]`, with the character rule filled in
    /// where a position has no row; one contiguous column per trie character.
    pub(crate) cols: Vec<f32>,
    pub(crate) k: usize,
    /// `space[j]`: cost that position j was meant as the space bar (its tap, else its key's
    /// geometry; infinite off the layout without a tap).
    pub(crate) space: Vec<f32>,
    /// Whether the costs come from taps.
    pub(crate) tapped: bool,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    lo: u32,
    hi: u32,
    bytes: u32,
    depth: u16,
    ch: char,
    kidx: u16,
    extra: f32,
    /// Parent slot in the beam (candidates only).
    parent: u32,
    /// Offset of the node's row in the candidate arena (candidates only).
    row: u32,
    /// Best log10 unigram below the node (inherited where the index has no entry).
    best: f32,
    /// What the beam ranks by: the row's cheapest cell (a lower bound on the cost of any word
    /// below) less `prefix_weight` × the best word's ln probability.
    key: f32,
    /// The node's prefix is itself a word (id `lo`).
    word: bool,
    /// First and last cells of the row within the bound (the band), and the parent's.
    first: u16,
    last: u16,
    gfirst: u16,
    glast: u16,
}

const ROOT_CH: char = '\0';

/// Reusable buffers for one decode at a time; create with `Decoder::scratch()` and keep it.
#[derive(Debug, Default)]
pub struct Scratch {
    pub(crate) input: Input,
    beam: Vec<Node>,
    beam_rows: Vec<f32>,
    next: Vec<Node>,
    next_rows: Vec<f32>,
    cand: Vec<Node>,
    cand_rows: Vec<f32>,
    pub(crate) pool: Vec<Candidate>,
    pool2: Vec<Candidate>,
    splits: Vec<(u32, u32, f32, f32)>,
    pub(crate) top: Vec<u32>,
    pub(crate) dist: Vec<u32>,
    pub(crate) rchars: Vec<char>,
    pub(crate) text: String,
    col: Vec<f32>,
    pcol: Vec<f32>,
    ins: Vec<f32>,
    /// Cheapest full-word (not completion) cost of the main search.
    pub(crate) best_full: f32,
}

impl Scratch {
    /// Empty buffers; they grow to the decoder's limits on first use and are then reused.
    pub fn new() -> Scratch {
        Scratch::default()
    }

    pub(crate) fn reserve(&mut self, p: &Params, n_keys: usize) {
        let w = p.max_chars + 1;
        let b = p.beam_width;
        let c = cand_cap(p);
        let long = 2 * p.max_chars + 2;
        at_least(&mut self.input.chars, p.max_chars);
        at_least(&mut self.input.has_row, p.max_chars);
        at_least(&mut self.input.space, p.max_chars);
        at_least(&mut self.input.table, p.max_chars * n_keys);
        at_least(&mut self.beam, b);
        at_least(&mut self.beam_rows, 2 * b * w);
        at_least(&mut self.next, b);
        at_least(&mut self.next_rows, 2 * b * w);
        at_least(&mut self.cand, c);
        at_least(&mut self.cand_rows, c * w);
        at_least(&mut self.pool, p.pool + 1);
        at_least(&mut self.pool2, p.pool + 1);
        at_least(&mut self.splits, p.max_splits + 1);
        at_least(&mut self.top, p.completions_per_node + 1);
        at_least(&mut self.dist, 3 * (long + 1));
        at_least(&mut self.rchars, long);
        at_least(&mut self.col, p.max_chars);
        at_least(&mut self.pcol, p.max_chars);
        at_least(&mut self.ins, p.max_chars);
        at_least(&mut self.input.cols, p.max_chars * n_keys);
        if self.text.capacity() < 4 * long {
            self.text.reserve(4 * long - self.text.len());
        }
    }
}

/// Grow `v` to hold `cap` items (only the first time: later calls find it big enough).
fn at_least<T>(v: &mut Vec<T>, cap: usize) {
    if v.capacity() < cap {
        v.reserve(cap - v.len());
    }
}

#[cfg(test)]
impl Scratch {
    pub(crate) fn capacities(&self) -> Vec<usize> {
        vec![
            self.input.chars.capacity(),
            self.input.has_row.capacity(),
            self.input.space.capacity(),
            self.input.table.capacity(),
            self.beam.capacity(),
            self.beam_rows.capacity(),
            self.next.capacity(),
            self.next_rows.capacity(),
            self.cand.capacity(),
            self.cand_rows.capacity(),
            self.pool.capacity(),
            self.pool2.capacity(),
            self.splits.capacity(),
            self.top.capacity(),
            self.dist.capacity(),
            self.rchars.capacity(),
            self.text.capacity(),
            self.col.capacity(),
            self.pcol.capacity(),
            self.ins.capacity(),
            self.input.cols.capacity(),
        ]
    }
}

fn cand_cap(p: &Params) -> usize {
    (p.beam_width * 8).max(256)
}

#[inline]
fn is_symbol(c: char) -> bool {
    matches!(c, '\'' | '-' | '.' | '’')
}

/// Base letter of a common accented Latin letter (for "cafe" ~ "café").
pub(crate) fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'ı' => 'i',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => 'u',
        'ý' | 'ÿ' => 'y',
        'š' | 'ś' | 'ş' | 'ß' => 's',
        'ž' | 'ź' | 'ż' => 'z',
        'ł' => 'l',
        'ř' => 'r',
        'đ' | 'ď' => 'd',
        'ť' => 't',
        _ => c,
    }
}

/// Key index and extra cost for a trie character.
fn key_of(layout: &Layout, p: &Params, c: char) -> (u16, f32) {
    if let Some(k) = layout.key_index(c) {
        return (k as u16, 0.0);
    }
    let b = fold_accent(c);
    if b != c {
        if let Some(k) = layout.key_index(b) {
            return (k as u16, p.accent);
        }
    }
    (NO_KEY, 0.0)
}

/// The first child of the node range `[lo, hi)` at byte depth `bytes`: its character and the
/// end of its id range. Gallops then bisects, so small child ranges cost little.
#[inline]
fn child_at(vocab: &dyn Vocab, lo: u32, hi: u32, bytes: usize) -> Option<(char, u32)> {
    let key = vocab.key(lo);
    let c = key.get(bytes..)?.chars().next()?;
    let end_b = bytes + c.len_utf8();
    let pre = key.as_bytes().get(bytes..end_b)?;
    let one = (pre.len() == 1).then(|| pre[0]);
    let same = |id: u32| {
        let k = vocab.key(id).as_bytes();
        match one {
            // ASCII: a single byte compare instead of a slice compare.
            Some(b) => k.get(bytes) == Some(&b),
            None => k.get(bytes..end_b) == Some(pre),
        }
    };
    let mut step = 1u32;
    let mut good = lo; // last id known to match
    loop {
        let probe = good.saturating_add(step);
        if probe >= hi || !same(probe) {
            break;
        }
        good = probe;
        step = step.saturating_mul(2);
    }
    // First non-matching id lies in (good, min(good + step, hi)].
    let (mut a, mut b) = (good + 1, (good.saturating_add(step)).min(hi));
    while a < b {
        let m = a + (b - a) / 2;
        if same(m) {
            a = m + 1;
        } else {
            b = m;
        }
    }
    Some((c, a))
}

pub(crate) struct Ctx<'a> {
    pub(crate) vocab: &'a dyn Vocab,
    pub(crate) layout: &'a Layout,
    pub(crate) p: &'a Params,
    pub(crate) lm: &'a dyn Fn(u32) -> f32,
    pub(crate) pair_lm: Option<super::PairLm<'a>>,
}

/// Input cost of position `j` (absolute) for a trie char.
#[inline]
fn sub_cost(inp: &Input, p: &Params, j: usize, c: char, kidx: u16, extra: f32) -> f32 {
    if kidx != NO_KEY && inp.has_row[j] {
        return inp.table[j * inp.k + kidx as usize] + extra;
    }
    let t = inp.chars[j];
    if t == c {
        0.0
    } else if fold_accent(t) == fold_accent(c) {
        p.accent
    } else {
        p.substitution
    }
}

/// Substitution costs of trie char `c` against input positions `start..end`, into `col`.
#[allow(clippy::too_many_arguments)]
fn fill_col(
    col: &mut Vec<f32>,
    inp: &Input,
    p: &Params,
    start: usize,
    end: usize,
    c: char,
    kidx: u16,
    extra: f32,
) {
    col.clear();
    for j in start..end {
        col.push(sub_cost(inp, p, j, c, kidx, extra));
    }
}

#[inline]
fn ins_cost(inp: &Input, p: &Params, start: usize, j: usize) -> f32 {
    let t = inp.chars[j];
    if t == ' ' {
        p.extra_space
    } else if t == '.' || t == ',' {
        // Only ever a missed space bar (a split), never a stray key: dropping it would drop
        // the user's punctuation ("for.helping" tapped as a full stop is not "for helping").
        f32::INFINITY
    } else if j > start && inp.chars[j - 1] == t {
        p.doubled_insertion
    } else if j == start {
        p.insertion + p.first_letter_extra
    } else if t == 'h' || super::is_vowel(t) {
        p.insertion.min(p.spelling_insertion)
    } else {
        p.insertion
    }
}

#[inline]
fn om_cost(p: &Params, c: char, parent: char, depth: u16) -> f32 {
    if is_symbol(c) {
        p.symbol_omission
    } else if c == parent {
        p.doubled_omission
    } else if depth == 0 {
        p.omission + p.first_letter_extra
    } else {
        p.omission
    }
}

/// What one search produces besides candidates.
pub(crate) struct SearchSpec {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) completion: bool,
    pub(crate) splits: bool,
    /// Score words with the unigram (second word of a split) instead of the context LM.
    pub(crate) unigram: bool,
    pub(crate) to_pool2: bool,
}

pub(crate) fn search(cx: &Ctx, s: &mut Scratch, spec: &SearchSpec) {
    let p = cx.p;
    let vocab = cx.vocab;
    let (start, end) = (spec.start, spec.end);
    let n = end - start;
    let w = n + 1;
    let bound = p.max_cost_base + p.max_cost_per_char * n as f32;
    let total = vocab.len();
    if total <= FIRST_WORD_ID || n == 0 {
        return;
    }
    s.beam.clear();
    s.beam_rows.clear();
    // Root: own row (all input inserted) then an unused parent row.
    s.beam_rows.push(0.0);
    for j in start..end {
        let prev = s.beam_rows[s.beam_rows.len() - 1];
        s.beam_rows.push(prev + ins_cost(&s.input, p, start, j));
    }
    s.beam_rows.extend(std::iter::repeat_n(f32::INFINITY, w));
    let root_last = (0..=n)
        .rev()
        .find(|&j| s.beam_rows[j] <= bound)
        .unwrap_or(0);
    s.beam.push(Node {
        lo: FIRST_WORD_ID,
        hi: total,
        bytes: 0,
        depth: 0,
        ch: ROOT_CH,
        kidx: NO_KEY,
        extra: 0.0,
        parent: 0,
        row: 0,
        best: 0.0,
        key: 0.0,
        word: vocab.key(FIRST_WORD_ID).is_empty(),
        first: 0,
        last: root_last as u16,
        gfirst: u16::MAX,
        glast: 0,
    });
    if spec.splits {
        s.splits.clear();
    }
    if !spec.to_pool2 {
        s.best_full = f32::INFINITY;
    }
    let max_depth = (n + 8).min(p.max_chars + 8);
    let cap = cand_cap(p);
    // Per-position insertion costs for this span.
    s.ins.clear();
    for j in start..end {
        s.ins.push(ins_cost(&s.input, p, start, j));
    }
    let nn = s.input.chars.len();
    let index = vocab.index();
    for _depth in 0..max_depth {
        s.cand.clear();
        s.cand_rows.clear();
        let mut level_best = f32::INFINITY;
        for pi in 0..s.beam.len() {
            let node = s.beam[pi];
            let prow = pi * 2 * w; // node's own row
            let grow = prow + w; // node's parent row
            if node.depth >= 1 {
                fill_col(
                    &mut s.pcol,
                    &s.input,
                    p,
                    start,
                    end,
                    node.ch,
                    node.kidx,
                    node.extra,
                );
            }
            let terminal_self = node.word;
            let kids = index.and_then(|ix| ix.children(node.lo, node.hi));
            let mut lo = node.lo + terminal_self as u32;
            let mut ki = 0;
            loop {
                let (c, clo, chi, known_word, best) = match kids {
                    Some(k) => match k.get(ki) {
                        Some(ch) => (ch.ch, ch.lo, ch.hi, Some(ch.word), ch.best),
                        None => break,
                    },
                    None => {
                        if lo >= node.hi {
                            break;
                        }
                        match child_at(vocab, lo, node.hi, node.bytes as usize) {
                            Some((c, chi)) => (c, lo, chi, None, node.best),
                            None => break,
                        }
                    }
                };
                ki += 1;
                lo = chi;
                let (kidx, extra) = key_of(cx.layout, p, c);
                let om = om_cost(p, c, node.ch, node.depth);
                let direct = kidx != NO_KEY && extra == 0.0;
                if !direct {
                    fill_col(&mut s.col, &s.input, p, start, end, c, kidx, extra);
                }
                let col: &[f32] = if direct {
                    let at = kidx as usize * nn;
                    &s.input.cols[at + start..at + end]
                } else {
                    &s.col[..n]
                };
                let par = &s.beam_rows[prow..prow + w];
                let gp = &s.beam_rows[grow..grow + w];
                let pcol = &s.pcol[..];
                let ins = &s.ins[..n];
                let trans = node.depth >= 1 && c != node.ch;
                // The child's row goes straight into the candidate arena.
                let base = s.cand_rows.len();
                // Banded: cells over `bound` can never lead to an output, so only the span
                // reachable from the parent's (and grandparent's) live cells is computed.
                let (pf, pl) = (node.first as usize, node.last as usize);
                let (js, je) = if trans {
                    (
                        pf.min(node.gfirst as usize + 2),
                        (pl + 1).max(node.glast as usize + 2),
                    )
                } else {
                    (pf, pl + 1)
                };
                let (js, je) = (js.max(1), je.min(n));
                let mut prev = par[0] + om;
                s.cand_rows.push(prev);
                let mut mn = prev;
                let (mut first, mut last) = if prev <= bound { (0, 0) } else { (u16::MAX, 0) };
                for _ in 1..js {
                    s.cand_rows.push(f32::INFINITY);
                }
                if js > 1 {
                    prev = f32::INFINITY;
                }
                for j in js..=n {
                    let mut r = prev + ins[j - 1];
                    if j <= je {
                        r = r.min(par[j - 1] + col[j - 1]).min(par[j] + om);
                        if trans && j >= 2 {
                            r = r.min(gp[j - 2] + p.transposition + col[j - 2] + pcol[j - 1]);
                        }
                    } else if r > bound {
                        // Past the band only insertions continue; once over the bound, stop.
                        for _ in j..=n {
                            s.cand_rows.push(f32::INFINITY);
                        }
                        prev = f32::INFINITY;
                        break;
                    }
                    s.cand_rows.push(r);
                    if r <= bound {
                        first = first.min(j as u16);
                        last = j as u16;
                    }
                    mn = mn.min(r);
                    prev = r;
                }
                let full = prev;
                let parent_full = par[n];
                let cbytes = node.bytes as usize + c.len_utf8();
                let terminal = known_word.unwrap_or_else(|| vocab.key(clo).len() == cbytes);
                if terminal && full <= bound {
                    emit(cx, s, spec, clo, None, full, 0.0, false);
                }
                if terminal && spec.splits {
                    record_splits(cx, s, spec, clo, base);
                }
                if spec.completion && full <= bound && full < parent_full {
                    let from = clo + terminal as u32;
                    if from < chi {
                        emit_completions(cx, s, spec, from, chi, full + p.completion);
                    }
                }
                let has_children = chi > clo + terminal as u32;
                let key = mn - p.prefix_weight * LN10 * best;
                if has_children && mn <= bound && key <= level_best + p.beam_margin {
                    level_best = level_best.min(key);
                    s.cand.push(Node {
                        lo: clo,
                        hi: chi,
                        bytes: cbytes as u32,
                        depth: node.depth + 1,
                        ch: c,
                        kidx,
                        extra,
                        parent: pi as u32,
                        row: base as u32,
                        best,
                        key,
                        word: terminal,
                        first,
                        last,
                        gfirst: node.first,
                        glast: node.last,
                    });
                    if s.cand.len() >= cap {
                        shrink_candidates(s, p.beam_width, w, level_best + p.beam_margin);
                    }
                } else {
                    s.cand_rows.truncate(base);
                }
            }
        }
        if s.cand.is_empty() {
            break;
        }
        shrink_candidates(s, p.beam_width, w, level_best + p.beam_margin);
        // New beam: each slot holds the child's row then its parent's row.
        s.next.clear();
        s.next_rows.clear();
        for ci in 0..s.cand.len() {
            let c = s.cand[ci];
            let own = c.row as usize;
            s.next_rows.extend_from_slice(&s.cand_rows[own..own + w]);
            let par = c.parent as usize * 2 * w;
            s.next_rows.extend_from_slice(&s.beam_rows[par..par + w]);
            s.next.push(c);
        }
        std::mem::swap(&mut s.beam, &mut s.next);
        std::mem::swap(&mut s.beam_rows, &mut s.next_rows);
    }
}

/// Keep the best `width` candidates under `limit`, compacting their rows (no allocation).
fn shrink_candidates(s: &mut Scratch, width: usize, w: usize, limit: f32) {
    s.cand.retain(|c| c.key <= limit);
    if s.cand.len() > width {
        s.cand.select_nth_unstable_by(width, |a, b| {
            a.key.total_cmp(&b.key).then(a.row.cmp(&b.row))
        });
        s.cand.truncate(width);
    }
    // Move kept rows to the front; in ascending source order each destination is <= its source.
    s.cand.sort_unstable_by_key(|c| c.row);
    for i in 0..s.cand.len() {
        let from = s.cand[i].row as usize;
        if from != i * w {
            s.cand_rows.copy_within(from..from + w, i * w);
        }
        s.cand[i].row = (i * w) as u32;
    }
    s.cand_rows.truncate(s.cand.len() * w);
}

fn record_splits(cx: &Ctx, s: &mut Scratch, spec: &SearchSpec, id: u32, base: usize) {
    let p = cx.p;
    if cx.vocab.flags(id) & NO_SUGGEST != 0 {
        return;
    }
    let n = spec.end - spec.start;
    for j in 1..n {
        let cost = s.cand_rows[base + j];
        // The first word of a split must be nearly clean: it is not the word being fixed.
        if cost > p.substitution * 0.5 + 0.5 * j as f32 {
            continue;
        }
        let lm = (cx.lm)(id);
        let key = -cost + p.lm_weight * LN10 * lm;
        let at = (spec.start + j) as u32;
        if s.splits.len() < p.max_splits {
            s.splits.push((id, at, cost, key));
        } else if let Some((wi, _)) = s
            .splits
            .iter()
            .enumerate()
            .min_by(|a, b| a.1 .3.total_cmp(&b.1 .3))
        {
            if s.splits[wi].3 < key {
                s.splits[wi] = (id, at, cost, key);
            }
        }
    }
}

pub(crate) fn take_splits(s: &mut Scratch, out: &mut [(u32, u32, f32); 16]) -> usize {
    let n = s.splits.len().min(16);
    for (i, sp) in s.splits.iter().take(n).enumerate() {
        out[i] = (sp.0, sp.1, sp.2);
    }
    n
}

fn lm_of(cx: &Ctx, spec: &SearchSpec, id: u32) -> f32 {
    if spec.unigram {
        cx.p.split_unigram_weight * cx.vocab.log10_unigram(id)
    } else {
        (cx.lm)(id)
    }
}

#[allow(clippy::too_many_arguments)]
fn emit(
    cx: &Ctx,
    s: &mut Scratch,
    spec: &SearchSpec,
    id: u32,
    second: Option<u32>,
    cost: f32,
    lm_extra: f32,
    completion: bool,
) {
    if cx.vocab.flags(id) & NO_SUGGEST != 0 {
        return;
    }
    let lm = lm_of(cx, spec, id) + lm_extra;
    if !lm.is_finite() {
        return;
    }
    let score = -cost + cx.p.lm_weight * LN10 * lm;
    if !completion && !spec.to_pool2 && second.is_none() {
        s.best_full = s.best_full.min(cost);
    }
    let pool = if spec.to_pool2 {
        &mut s.pool2
    } else {
        &mut s.pool
    };
    pool.push(Candidate {
        id,
        second,
        score,
        cost,
        lm_log10: lm,
        completion,
    });
    if pool.len() >= cx.p.pool {
        compact_pool(pool, cx.p.pool / 4);
    }
}

fn emit_completions(cx: &Ctx, s: &mut Scratch, spec: &SearchSpec, lo: u32, hi: u32, cost: f32) {
    let k = cx.p.completions_per_node;
    if k == 0 {
        return;
    }
    let mut top = std::mem::take(&mut s.top);
    top.clear();
    cx.vocab.top_unigram_in_range(lo..hi, k, &mut top);
    for &id in top.iter().take(k) {
        if (lo..hi).contains(&id) {
            emit(cx, s, spec, id, None, cost, 0.0, true);
        }
    }
    s.top = top;
}

/// Sort by score (best first), drop duplicate words keeping the best, keep `keep`.
pub(crate) fn compact_pool(pool: &mut Vec<Candidate>, keep: usize) {
    pool.sort_unstable_by(|a, b| {
        (a.id, a.second)
            .cmp(&(b.id, b.second))
            .then(b.score.total_cmp(&a.score))
    });
    pool.dedup_by(|a, b| a.id == b.id && a.second == b.second);
    pool.sort_unstable_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    pool.truncate(keep);
}

/// Second words for each recorded split, appended to the main pool as two-word candidates.
pub(crate) fn decode_splits(cx: &Ctx, s: &mut Scratch, end: usize, completion: bool) {
    let mut buf = [(0u32, 0u32, 0.0f32); 16];
    let n = take_splits(s, &mut buf);
    for &(first, at0, cost1) in buf.iter().take(n) {
        let at0 = at0 as usize;
        // Where the second word starts and what the join costs: a typed space is free; a letter
        // next to the space bar may be the space itself, as well as the second word's start.
        let mut variants = [(at0, cx.p.missing_space), (usize::MAX, 0.0)];
        match s.input.chars.get(at0) {
            Some(' ') => variants[0] = (at0 + 1, 0.0),
            // Only after a first word typed cleanly: each variant is one more search. Typed
            // letters count when their key borders the space bar; a tap by how near it fell.
            Some(_) if cost1 < 1.0 && s.input.space[at0] < SPACE_GATE => {
                let touch = if s.input.tapped {
                    s.input.space[at0]
                } else {
                    0.0
                };
                variants[1] = (at0 + 1, cx.p.mistyped_space + touch)
            }
            _ => {}
        }
        for (at, join) in variants {
            if at >= end {
                continue;
            }
            split_second(cx, s, first, at, cost1 + join, end, completion);
        }
    }
}

/// A position whose space-bar cost is below this (nats) may have been a missed space: on
/// QWERTY the typed keys x, c, v, b, n qualify; a tap must land within about three spreads.
pub(crate) const SPACE_GATE: f32 = 6.5;

/// Two-word candidates `first` + a word decoded from `at..end`, `cost1` spent so far.
fn split_second(
    cx: &Ctx,
    s: &mut Scratch,
    first: u32,
    at: usize,
    cost1: f32,
    end: usize,
    completion: bool,
) {
    s.pool2.clear();
    let spec = SearchSpec {
        start: at,
        end,
        completion,
        splits: false,
        unigram: true,
        to_pool2: true,
    };
    search(cx, s, &spec);
    // In context the unigram's runner-up may win ("heart" + "attack"), so keep more.
    compact_pool(&mut s.pool2, if cx.pair_lm.is_some() { 4 } else { 2 });
    let lm1 = (cx.lm)(first);
    for i in 0..s.pool2.len() {
        let c2 = s.pool2[i];
        let cost = cost1 + c2.cost;
        let lm2 = match cx.pair_lm {
            Some(pair) => pair(first, c2.id),
            None => c2.lm_log10,
        };
        let lm = lm1 + lm2;
        let score = -cost + cx.p.lm_weight * LN10 * lm;
        s.pool.push(Candidate {
            id: first,
            second: Some(c2.id),
            score,
            cost,
            lm_log10: lm,
            completion: c2.completion,
        });
    }
    if s.pool.len() >= cx.p.pool {
        compact_pool(&mut s.pool, cx.p.pool / 4);
    }
}
