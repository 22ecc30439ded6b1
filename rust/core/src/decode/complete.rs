//! A small index over the large nodes of a vocabulary's implicit trie: their children and
//! their best words. It saves the search from bisecting big id ranges and completion from
//! scanning thousands of ids per keystroke. Build it once per lexicon and return it from
//! [`Vocab::index`].

use super::{Vocab, FIRST_WORD_ID};
use std::ops::Range;

/// Prefix ranges smaller than this are scanned directly (cheap), larger ones are indexed.
const MIN_INDEXED: u32 = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct IndexNode {
    lo: u32,
    hi: u32,
    top: u32,
    child: u32,
    n_child: u32,
}

/// One child of an indexed node: its character and id range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Child {
    pub(crate) ch: char,
    pub(crate) lo: u32,
    pub(crate) hi: u32,
    /// The child's prefix is itself a word (id `lo`).
    pub(crate) word: bool,
    /// Best log10 unigram of the words below the child (steers the search's pruning).
    pub(crate) best: f32,
}

/// Children and top-`k` ids by unigram of every trie node with at least 64 words.
#[derive(Debug, Clone, Default)]
pub struct TrieIndex {
    /// Sorted by (lo, hi).
    nodes: Vec<IndexNode>,
    ids: Vec<u32>,
    children: Vec<Child>,
    k: usize,
}

impl TrieIndex {
    /// Build by walking the vocabulary's implicit trie (O(words × depth of large nodes)).
    pub fn build(vocab: &dyn Vocab, k: usize) -> TrieIndex {
        let mut idx = TrieIndex {
            nodes: Vec::new(),
            ids: Vec::new(),
            children: Vec::new(),
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
            let first_child = idx.children.len();
            let node_top = idx.ids.len() as u32;
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
                let mut best = vocab.log10_unigram(c);
                // Children of big nodes are visited once each; a linear run is fine at build time.
                while e < hi && vocab.key(e).as_bytes().get(depth..end_b) == Some(pre) {
                    best = best.max(vocab.log10_unigram(e));
                    e += 1;
                }
                stack.push((c, e, end_b));
                let word = key.len() == end_b;
                idx.children.push(Child {
                    ch,
                    lo: c,
                    hi: e,
                    word,
                    best,
                });
                c = e;
            }
            idx.nodes.push(IndexNode {
                lo,
                hi,
                top: node_top,
                child: first_child as u32,
                n_child: (idx.children.len() - first_child) as u32,
            });
        }
        idx.nodes.sort_unstable();
        idx
    }

    fn find(&self, lo: u32, hi: u32) -> Option<&IndexNode> {
        if hi - lo < MIN_INDEXED {
            return None;
        }
        let i = self
            .nodes
            .binary_search_by(|n| (n.lo, n.hi).cmp(&(lo, hi)))
            .ok()?;
        self.nodes.get(i)
    }

    /// The children of node `[lo, hi)` (without its own word), if the node is indexed.
    pub(crate) fn children(&self, lo: u32, hi: u32) -> Option<&[Child]> {
        let n = self.find(lo, hi)?;
        self.children
            .get(n.child as usize..(n.child + n.n_child) as usize)
    }

    /// Append up to `k` best ids of `range` to `out` (best first); ranges the index does not
    /// hold are scanned.
    pub fn top<V: Vocab + ?Sized>(
        &self,
        vocab: &V,
        range: Range<u32>,
        k: usize,
        out: &mut Vec<u32>,
    ) {
        if k <= self.k {
            if let Some(n) = self.find(range.start, range.end) {
                // Indexed nodes have at least MIN_INDEXED >= self.k words, so k ids each.
                if let Some(ids) = self.ids.get(n.top as usize..n.top as usize + k) {
                    out.extend_from_slice(ids);
                    return;
                }
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
        let names: Vec<String> = (0..400)
            .map(|i| format!("p{:03}x", (i * 37) % 400))
            .collect();
        for (i, w) in names.iter().enumerate() {
            words.push((w.as_str(), (i as u64 * 7919) % 1000 + 1, 1u8));
        }
        words.push(("q", 5, 1));
        let v = TestVocab::new(&words);
        let idx = TrieIndex::build(&v, 8);
        assert!(idx.len() >= 2, "root, 'p' and 'p0'.. nodes are indexed");
        let p = v.prefix_range("p");
        let kids = idx.children(p.start, p.end).unwrap();
        assert_eq!(kids.iter().map(|c| c.ch).collect::<String>(), "0123");
        assert_eq!(kids[0].lo, p.start);
        assert_eq!(kids[3].hi, p.end);
        assert!(idx.children(p.start, p.start + 3).is_none());
        for prefix in ["", "p", "p0", "p1", "p12", "q"] {
            let r = v.prefix_range(prefix);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            idx.top(&v, r.clone(), 5, &mut a);
            scan(&v, r, 5, &mut b);
            assert_eq!(a, b, "{prefix}");
        }
    }
}
