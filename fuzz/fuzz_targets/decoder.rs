//! Decoder::decode and Decoder::autocorrect on random text and taps (any f32 bit pattern:
//! NaN, inf, huge), against the tiny engine's lexicon.
//! Layout: [flags][n_taps][8 bytes per tap...][text as lossy UTF-8].
#![no_main]
#[path = "../common.rs"]
mod common;
use keywise_core::decode::{DecodeOptions, Level};
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;

thread_local! {
    static SCRATCH: RefCell<Option<keywise_core::decode::Scratch>> = const { RefCell::new(None) };
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let (flags, n) = (data[0], data[1] as usize);
    let rest = &data[2..];
    let taps_end = (n * 8).min(rest.len());
    let taps: Vec<_> = rest[..taps_end].chunks(8).map(common::tap_from).collect();
    let text = String::from_utf8_lossy(&rest[taps_end..]).into_owned();
    let e = common::engine();
    let dec = e.decoder();
    let vocab = e.lexicon();
    let lm = |id: u32| vocab.log10_unigram(id);
    // A stand-in for the n-gram after the first word of a split: any finite log10 will do.
    let pair = |a: u32, b: u32| vocab.log10_unigram(b) - f32::from(a == b);
    let pair_lm = (flags & 0x40 == 0x40).then_some(&pair as &dyn Fn(u32, u32) -> f32);
    let taps = (flags & 1 == 1).then_some(&taps[..]);
    let opts = DecodeOptions {
        k: (flags >> 2) as usize % 70,
        allow_completion: flags & 2 == 2,
        allow_split: flags & 0x80 == 0,
        offsets: None,
        pair_lm,
    };
    SCRATCH.with(|c| {
        let mut c = c.borrow_mut();
        let scratch = c.get_or_insert_with(|| dec.scratch());
        let mut out = Vec::new();
        match dec.decode(vocab, &text, taps, &lm, &opts, scratch, &mut out) {
            Ok(()) => {
                assert!(out.len() <= opts.k);
                for c in &out {
                    assert!(c.id < vocab.len());
                    assert!(!c.score.is_nan(), "NaN score");
                }
            }
            Err(err) => {
                // Fixed wording (the same message on neutral text) may match typed text.
                let msg = err.to_string();
                let plain = "x".repeat(text.chars().count());
                let fixed = dec
                    .decode(vocab, &plain, taps, &lm, &opts, scratch, &mut Vec::new())
                    .is_err_and(|e| e.to_string() == msg);
                assert!(
                    fixed || text.chars().count() < 4 || !msg.contains(text.as_str()),
                    "user text in error"
                );
            }
        }
        let level = [
            Level::Off,
            Level::Conservative,
            Level::Normal,
            Level::Aggressive,
        ][(flags >> 4) as usize % 4];
        let rejected = |_: &str, r: &str| r.len().is_multiple_of(2);
        if let Ok(Some(c)) = dec.autocorrect(
            vocab,
            &text,
            taps,
            &lm,
            pair_lm,
            level,
            flags & 8 == 8,
            &rejected,
            scratch,
        ) {
            assert!(c.id < vocab.len());
            assert!(level != Level::Off);
        }
    });
});
