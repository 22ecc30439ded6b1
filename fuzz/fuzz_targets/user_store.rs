//! UserStore::open on damaged files. First byte picks the mode:
//!  0: the rest is a codec payload, sealed with the right key (fuzzes the decoder of the
//!     plaintext, which the AEAD otherwise keeps out of reach), then opened.
//!  1: a real saved store with bit flips / truncation driven by the rest, opened with the
//!     right key and a wrong one: always an IntegrityError, never a panic.
//!  2: the rest as the whole file, opened with a raw key and a passphrase.
#![no_main]
#[path = "../common.rs"]
mod common;
use keywise_core::personal::{PhiFilter, PhiPolicy, StoreKey, UserStore};
use keywise_core::Error;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn real_store() -> &'static [u8] {
    static B: OnceLock<Vec<u8>> = OnceLock::new();
    B.get_or_init(|| {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path().join("u.kws");
        let mut s = UserStore::open(&p, StoreKey::Raw(common::KEY)).expect("new store");
        let phi = PhiFilter::new(PhiPolicy::default(), Vec::<String>::new());
        s.model_mut()
            .learn(
                "the patient denies chest pain and reports dyspnea on exertion",
                &phi,
                20000.0,
            )
            .expect("learn");
        s.model_mut()
            .set_shortcut("sob", "shortness of breath")
            .expect("shortcut");
        s.save().expect("save");
        std::fs::read(&p).expect("read store")
    })
}

fn open(bytes: &[u8], key: StoreKey) -> Result<UserStore, Error> {
    let d = tempfile::tempdir().expect("tempdir");
    let p = d.path().join("u.kws");
    std::fs::write(&p, bytes).expect("write");
    let r = UserStore::open(&p, key);
    // Opening never changes the file.
    assert_eq!(std::fs::read(&p).expect("reread"), bytes);
    r
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => {
            let file = common::seal_store(&common::KEY, [1; 24], rest);
            if let Ok(mut s) = open(&file, StoreKey::Raw(common::KEY)) {
                let m = s.model_mut();
                let _ = m.words(20000.0);
                let _ = m.candidates(&["the"], "p", 5, 20000.0);
                let _ = m.log10_prob(&["the"], "patient", 20000.0);
                let _ = m.prune(20000.0);
            }
        }
        1 => {
            let mut b = real_store().to_vec();
            let mut changed = false;
            for c in rest.chunks(3) {
                match c {
                    [0, hi, lo] => {
                        let at = (((*hi as usize) << 8) | *lo as usize) % (b.len() + 1);
                        changed |= at < b.len();
                        b.truncate(at);
                    }
                    [bit, hi, lo] => {
                        if b.is_empty() {
                            break;
                        }
                        let at = (((*hi as usize) << 8) | *lo as usize) % b.len();
                        b[at] ^= 1 << (bit % 8);
                        changed = true;
                    }
                    _ => {}
                }
            }
            let r = open(&b, StoreKey::Raw(common::KEY));
            if changed && b != real_store() {
                assert!(matches!(
                    r.as_ref().map_err(Error::root),
                    Err(Error::Integrity(_))
                ));
            }
            let w = open(&b, StoreKey::Raw(common::WRONG_KEY));
            assert!(w.is_err());
        }
        _ => {
            let _ = open(rest, StoreKey::Raw(common::KEY));
            // A passphrase runs Argon2id with the header's own (bounded) cost: keep the
            // fuzzer off the slow end, which is a bound, not a bug.
            let cheap = rest.len() >= 20
                && u32::from_le_bytes([rest[8], rest[9], rest[10], rest[11]]) <= 64
                && u32::from_le_bytes([rest[12], rest[13], rest[14], rest[15]]) <= 1;
            if cheap {
                let _ = open(rest, StoreKey::Passphrase("pw".into()));
            }
        }
    }
});
