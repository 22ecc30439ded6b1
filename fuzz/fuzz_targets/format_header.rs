//! format::open / verify on arbitrary bytes for both kinds, and the Reader on the payload.
#![no_main]
use keywise_core::format::{self, Kind, Reader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for kind in [Kind::Lexicon, Kind::Ngram] {
        let a = format::open(data, kind);
        let b = format::verify(data, kind);
        // verify never accepts what open rejects, and both give the same payload
        if let Ok(p) = &b {
            assert_eq!(a.as_ref().ok(), Some(p));
        }
    }
    // Walk a Reader over the bytes as a sequence of sections/u32s/u64s chosen by the data.
    let mut r = Reader::new(data);
    for &op in data.iter().take(64) {
        let res = match op % 5 {
            0 => r.u32().map(|_| ()),
            1 => r.u64().map(|_| ()),
            2 => r.section("s").map(|_| ()),
            3 => r.u32s("u").map(|u| {
                let n = u.len();
                if n > 0 {
                    let _ = u.get(n - 1);
                }
            }),
            _ => r.f32().map(|_| ()),
        };
        if res.is_err() {
            break;
        }
        assert!(r.pos() <= data.len());
    }
    // Round trip: wrap then open gives the payload back.
    let w = format::wrap(Kind::Lexicon, data);
    assert_eq!(format::verify(&w, Kind::Lexicon).ok(), Some(data));
});
