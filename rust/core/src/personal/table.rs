//! A count table for n-grams: a sorted vector (fast to load, compact, binary-searched) plus a
//! small sorted map of keys added since, merged into the vector once it grows past 1/16 of it.
//! Keys are never in both parts.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Table<K> {
    base: Vec<(K, f32)>,
    delta: BTreeMap<K, f32>,
}

impl<K: Ord + Copy> Table<K> {
    pub fn new() -> Self {
        Table {
            base: Vec::new(),
            delta: BTreeMap::new(),
        }
    }

    /// From entries in strictly increasing key order (the caller checks the order).
    pub fn from_sorted(base: Vec<(K, f32)>) -> Self {
        Table {
            base,
            delta: BTreeMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.base.len() + self.delta.len()
    }

    pub fn get(&self, k: &K) -> Option<f32> {
        match self.base.binary_search_by(|e| e.0.cmp(k)) {
            Ok(i) => self.base.get(i).map(|e| e.1),
            Err(_) => self.delta.get(k).copied(),
        }
    }

    pub fn add(&mut self, k: K, inc: f32) {
        match self.base.binary_search_by(|e| e.0.cmp(&k)) {
            Ok(i) => {
                if let Some(e) = self.base.get_mut(i) {
                    e.1 += inc;
                }
            }
            Err(_) => {
                *self.delta.entry(k).or_insert(0.0) += inc;
                if self.delta.len() > (self.base.len() / 16).max(1024) {
                    self.compact();
                }
            }
        }
    }

    /// Entries with `lo <= key <= hi`, in no particular order.
    pub fn range(&self, lo: K, hi: K) -> impl Iterator<Item = (K, f32)> + '_ {
        let a = self.base.partition_point(|e| e.0 < lo);
        let b = self.base.partition_point(|e| e.0 <= hi).max(a);
        let base = self.base.get(a..b).unwrap_or(&[]);
        base.iter()
            .copied()
            .chain(self.delta.range(lo..=hi).map(|(k, v)| (*k, *v)))
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&K, f32) -> bool) {
        self.base.retain(|e| keep(&e.0, e.1));
        self.delta.retain(|k, v| keep(k, *v));
    }

    pub fn scale(&mut self, factor: f32) {
        for e in &mut self.base {
            e.1 *= factor;
        }
        for v in self.delta.values_mut() {
            *v *= factor;
        }
    }

    pub fn clear(&mut self) {
        self.base = Vec::new();
        self.delta.clear();
    }

    /// All entries in key order.
    pub fn iter_sorted(&self) -> impl Iterator<Item = (K, f32)> + '_ {
        let mut a = self.base.iter().copied().peekable();
        let mut b = self.delta.iter().map(|(k, v)| (*k, *v)).peekable();
        std::iter::from_fn(move || match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => {
                if x.0 < y.0 {
                    a.next()
                } else {
                    b.next()
                }
            }
            (Some(_), None) => a.next(),
            (None, _) => b.next(),
        })
    }

    /// Merge the recent keys into the sorted vector.
    fn compact(&mut self) {
        let mut merged = Vec::with_capacity(self.len());
        merged.extend(self.iter_sorted());
        self.base = merged;
        self.delta.clear();
    }

    /// Remove the `n` entries with the lowest counts (ties broken by key).
    pub fn remove_lowest(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        if n >= self.len() {
            self.clear();
            return;
        }
        let mut all: Vec<(f32, K)> = self.iter_sorted().map(|(k, v)| (v, k)).collect();
        all.select_nth_unstable_by(n, |x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        let mut gone: Vec<K> = all[..n].iter().map(|e| e.1).collect();
        gone.sort_unstable();
        self.retain(|k, _| gone.binary_search(k).is_err());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        /// The table behaves like a plain map under adds, removals and pruning.
        #[test]
        fn matches_a_btreemap(ops in proptest::collection::vec((0u32..50, 0u32..50, 0u8..10), 0..3000)) {
            let mut t: Table<(u32, u32)> = Table::new();
            let mut m: BTreeMap<(u32, u32), f32> = BTreeMap::new();
            for (a, b, op) in ops {
                match op {
                    0 => {
                        t.retain(|k, _| k.0 != a);
                        m.retain(|k, _| k.0 != a);
                    }
                    1 if t.len() > 100 => {
                        t.remove_lowest(10);
                        let mut v: Vec<(f32, (u32, u32))> = m.iter().map(|(k, v)| (*v, *k)).collect();
                        v.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
                        for (_, k) in v.into_iter().take(10) {
                            m.remove(&k);
                        }
                    }
                    _ => {
                        t.add((a, b), 1.0);
                        *m.entry((a, b)).or_insert(0.0) += 1.0;
                    }
                }
                prop_assert_eq!(t.len(), m.len());
            }
            let got: Vec<_> = t.iter_sorted().collect();
            let want: Vec<_> = m.iter().map(|(k, v)| (*k, *v)).collect();
            prop_assert_eq!(got, want);
            for a in 0..50 {
                let mut r: Vec<_> = t.range((a, 0), (a, u32::MAX)).collect();
                r.sort_by_key(|e| e.0);
                let w: Vec<_> = m.range((a, 0)..=(a, u32::MAX)).map(|(k, v)| (*k, *v)).collect();
                prop_assert_eq!(r, w);
                prop_assert_eq!(t.get(&(a, 7)), m.get(&(a, 7)).copied());
            }
        }
    }
}
