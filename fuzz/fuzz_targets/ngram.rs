//! NgramModel::from_bytes + verify + queries. First byte as in the lexicon target (bit 0: give
//! the payload a valid header). Unverified models get only O(log n) queries (their docs promise
//! bounds-checked reads, not bounded loops); verified ones get successors, for_each and ARPA.
#![no_main]
use keywise_core::format::{self, Kind};
use keywise_core::ngram::{arpa, LmState, NgramModel};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = if mode & 1 == 1 {
        format::wrap(Kind::Ngram, rest)
    } else {
        rest.to_vec()
    };
    let Ok(m) = NgramModel::from_bytes(bytes) else {
        return;
    };
    let v = m.vocab_size();
    let mut st = LmState::sentence_start();
    for w in [3u32, 4, v - 1, v, u32::MAX, 0, 2] {
        let (p, next) = m.score(&st, w);
        let _ = p;
        st = next;
        let ctx = m.context(&st);
        let _ = m.log10_prob(&ctx, w);
    }
    let _ = m.word(v);
    let _ = m.word(u32::MAX);
    if m.verify().is_err() {
        return;
    }
    let ctx = m.context(&st);
    let mut out = Vec::new();
    m.successors(&ctx, 0..v, 8, &mut out);
    m.successors(&ctx, v..0, 8, &mut out);
    m.successors(&ctx, 0..u32::MAX, 40, &mut out);
    assert!(out.iter().all(|&w| w < v));
    let mut count = 0usize;
    m.for_each(|g, _, _| {
        assert!(g.iter().all(|&w| w < v));
        count += 1;
    });
    assert!(count >= v as usize);
    if (v as usize) < 5000 {
        let mut txt = Vec::new();
        if arpa::write_arpa(&m, &mut txt).is_ok() {
            let _ = arpa::read_arpa(&txt[..]);
        }
    }
});
