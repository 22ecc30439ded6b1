//! A small index of the best words under each large prefix, so completion does not scan
//! thousands of ids per keystroke. A `Vocab` implementation can answer
//! `top_unigram_in_range` from it.

use super::{Vocab, FIRST_WORD_ID};
use std::ops::Range;

/// Prefix ranges smaller than this are scanned directly (cheap), larger ones are indexed.
const MIN_INDEXED: u32 = 64;

/// Top-`k` ids by unigram for every trie node with at least 64 words.
#[derive(Debug, Clone, Default)]
pub struct CompletionIndex {
    /// (lo, hi, offset into `ids`), sorted by (lo, hi).
    nodes: Vec<(u32, u32, u32)>,
    ids: Vec<u32>,
    k: usize,
}

impl CompletionIndex {
    /// Build by walking the vocabulary's implicit trie (O(words × depth of large nodes)).
    pub fn build(vocab: &dyn Vocab, k: usize) -> CompletionIndex {
        let mut idx = CompletionIndex {
            nodes: Vec::new(),
            ids: Vec::new(),
            k: k.clamp(1, 64),
        };
        let (lo, hi) = (FIRST_WORD_ID, vocab.len());
        if hi <= lo {
            return idx;
        }
        // Explicit stack of (lo, hi, byte depth): no recursion on deep tries.
        let mut stack = vec![(lo, hi, 0usize)];
        let mut top = Vec::with_capacity(idx.k + 1);
        while let Some((lo, hi, depth)) = stack.pop() {
            if hi - lo < MIN_INDEXED {
                continue;
            }
            top.clear();
            scan(vocab, lo..hi, idx.k, &mut top);
            idx.nodes.push((lo, hi, idx.ids.len() as u32));
            idx.ids.extend_from_slice(&top);
            // Children: runs of ids sharing the character at `depth`.
            let mut c = lo + u32::from(vocab.key(lo).len() == depth);
            while c < hi {
                let key = vocab.key(c);
                let Some(ch) = key.get(depth..).and_then(|r| r.chars().next()) else {
                    c += 1;
                    continue;
                };
                let end_b = depth + ch.len_utf8();
                let pre = &key.as_bytes()[depth..end_b];
                let mut e = c + 1;
                // Children of big nodes are visited once each; a linear run is fine at build time.
                while e < hi && vocab.key(e).as_bytes().get(depth..end_b) == Some(pre) {
                    e += 1;
                }
                stack.push((c, e, end_b));
                c = e;
            }
        }
        idx.nodes.sort_unstable();
        idx
    }

    /// Append up to `k` best ids of `range` to `out` (best first); ranges the index does not
    /// hold are scanned.
    pub fn top(&self, vocab: &dyn Vocab, range: Range<u32>, k: usize, out: &mut Vec<u32>) {
        if k <= self.k && range.end - range.start >= MIN_INDEXED {
            if let Ok(i) = self.nodes.binary_search_by(|n| (n.0, n.1).cmp(&(range.start, range.end))) {
                // Indexed nodes have at least MIN_INDEXED >= self.k words, so k ids each.
                let off = self.nodes[i].2 as usize;
                out.extend_from_slice(&self.ids[off..off + k]);
                return;
            }
        }
        scan(vocab, range, k, out);
    }

    /// Number of indexed prefixes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether no prefix is indexed.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

/// Keep the `k` best of `range` in `out[base..]`, best first (ties: lower id first).
pub(crate) fn scan<V: Vocab + ?Sized>(vocab: &V, range: Range<u32>, k: usize, out: &mut Vec<u32>) {
    let base = out.len();
    if k == 0 {
        return;
    }
    for id in range {
        let u = vocab.log10_unigram(id);
        let full = out.len() - base == k;
        if full && out.last().is_some_and(|&l| vocab.log10_unigram(l) >= u) {
            continue;
        }
        let pos = base + out[base..].partition_point(|&o| vocab.log10_unigram(o) >= u);
        if full {
            out.pop();
        }
        out.insert(pos, id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::tests::TestVocab;

    #[test]
    fn index_matches_scan() {
        let mut words = Vec::new();
        let names: Vec<String> = (0..400).map(|i| format!("p{:03}x", (i * 37) % 400)).collect();
        for (i, w) in names.iter().enumerate() {
            words.push((w.as_str(), (i as u64 * 7919) % 1000 + 1, 1u8));
        }
        words.push(("q", 5, 1));
        let v = TestVocab::new(&words);
        let idx = CompletionIndex::build(&v, 8);
        assert!(idx.len() >= 2, "root, 'p' and 'p0'.. nodes are indexed");
        for prefix in ["", "p", "p0", "p1", "p12", "q"] {
            let r = v.prefix_range(prefix);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            idx.top(&v, r.clone(), 5, &mut a);
            scan(&v, r, 5, &mut b);
            assert_eq!(a, b, "{prefix}");
        }
    }
}
