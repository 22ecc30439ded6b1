//! Lexicon::from_bytes on arbitrary files, then queries on whatever parses.
//! First byte: bit 0 set = treat the rest as a payload and give it a valid header (so the
//! fuzzer gets past the checksums); bit 1 = verify the payload checksum.
#![no_main]
use keywise_core::format::{self, Kind};
use keywise_core::lexicon::Lexicon;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = if mode & 1 == 1 {
        format::wrap(Kind::Lexicon, rest)
    } else {
        rest.to_vec()
    };
    let Ok(lex) = Lexicon::from_bytes(&bytes, mode & 2 == 2) else {
        return;
    };
    let n = lex.len();
    let mut out = Vec::new();
    for id in (0..n).take(2000) {
        let k = lex.key(id).to_string();
        let _ = lex.display(id);
        let _ = lex.count(id);
        let _ = lex.flags(id);
        assert!(lex.log10_unigram(id).is_finite() || lex.count(id) == 0);
        if id >= 3 {
            assert_eq!(lex.id(&k), Some(id), "a parsed lexicon finds its own keys");
            let r = lex.prefix_range(&k);
            assert!(r.contains(&id));
        }
        let p: String = k.chars().take(2).collect();
        let r = lex.prefix_range(&p);
        out.clear();
        lex.top_in_range(r.clone(), 5, &mut out);
        assert!(out.iter().all(|i| r.contains(i)));
    }
    // Out-of-range ids and odd prefixes must not panic.
    let _ = lex.key(n);
    let _ = lex.display(u32::MAX);
    let _ = lex.prefix_range("\u{10FFFF}");
    lex.top_in_range(0..u32::MAX, 3, &mut out);
    lex.top_in_range(n..0, 3, &mut out);
    // Round trip.
    let again = Lexicon::from_bytes(&lex.to_bytes(), true).expect("round trip");
    assert_eq!(again.vocab_hash(), lex.vocab_hash());
});
