//! The engine's entry points on random text, k, taps and every autocorrect level:
//! suggest, suggest_with_taps, suggest_for_user (with a small learned user model), a text field
//! typed into, autocorrect, reject. Layout: [k][flags][n_taps][8 bytes per tap...][text, lossy UTF-8].
#![no_main]
#[path = "../common.rs"]
mod common;
use keywise_core::decode::Level;
use keywise_core::engine::MAX_K;
use keywise_core::field::FieldMemory;
use keywise_core::personal::{PhiFilter, PhiPolicy, UserModel};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn user() -> &'static UserModel {
    static U: OnceLock<UserModel> = OnceLock::new();
    U.get_or_init(|| {
        let mut u = UserModel::default();
        let phi = PhiFilter::new(PhiPolicy::default(), Vec::<String>::new());
        u.learn(
            "patient reports dyspnoea dyspnoea and orthopnoea",
            &phi,
            keywise_core::blend::now_days(),
        )
        .expect("learn");
        u.set_shortcut("sob", "shortness of breath")
            .expect("shortcut");
        u
    })
}

/// An error must not quote the text. A message that the same call also gives on neutral text
/// of the same length is fixed wording, even when the fuzzer has typed that wording in (found by
/// the 10-minute campaign: a text ending in "must be 1..=6").
fn no_text_in(
    err: &keywise_core::Error,
    text: &str,
    neutral: impl FnOnce(&str) -> Option<keywise_core::Error>,
) {
    let msg = err.to_string();
    let plain = "x".repeat(text.chars().count());
    if neutral(&plain).is_some_and(|e| e.to_string() == msg) {
        return;
    }
    let tail: String = text
        .chars()
        .rev()
        .take(12)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert!(
        tail.chars().count() < 6 || !msg.contains(tail.as_str()),
        "user text in an error"
    );
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (k, flags, n) = (data[0] as usize % (MAX_K + 3), data[1], data[2] as usize);
    let rest = &data[3..];
    let taps_end = (n * 8).min(rest.len());
    let taps: Vec<_> = rest[..taps_end].chunks(8).map(common::tap_from).collect();
    let mut text = String::from_utf8_lossy(&rest[taps_end..]).into_owned();
    if flags & 0x40 != 0 {
        // long inputs without a long corpus entry: repeat the text
        text = text.repeat(200);
    }
    let e = common::engine();
    let mut out = Vec::new();
    let ok_k = (1..=MAX_K).contains(&k);
    match e.suggest(&text, k, &mut out) {
        Ok(()) => {
            assert!(ok_k, "k={k} accepted");
            assert!(out.len() <= k);
        }
        Err(err) => {
            no_text_in(&err, &text, |p| e.suggest(p, k, &mut Vec::new()).err());
        }
    }
    let t = (flags & 1 == 1).then_some(&taps[..]);
    match e.suggest_with_taps(&text, t, k, &mut out) {
        Ok(()) => {
            assert!(out.len() <= k);
            assert!(out.iter().all(|s| !s.text.is_empty() && !s.score.is_nan()));
        }
        Err(err) => no_text_in(&err, &text, |p| {
            e.suggest_with_taps(p, t, k, &mut Vec::new()).err()
        }),
    }
    let u = (flags & 2 == 2).then(user);
    match e.suggest_for_user(&text, t, k, u, &mut out) {
        Ok(()) => assert!(out.len() <= k),
        Err(err) => no_text_in(&err, &text, |p| {
            e.suggest_for_user(p, t, k, u, &mut Vec::new()).err()
        }),
    }
    // A text field typed into: the last 16 prefixes of the text, in order.
    if ok_k {
        let mut field = FieldMemory::new();
        let ends: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .collect();
        for &end in ends.iter().skip(ends.len().saturating_sub(16)) {
            match e.suggest_in_field(&text[..end], None, k, u, true, &mut field, true, &mut out) {
                Ok(()) => assert!(out.len() <= k),
                Err(err) => no_text_in(&err, &text[..end], |p| {
                    e.suggest_for_user(p, None, k, u, &mut Vec::new()).err()
                }),
            }
        }
    }
    let level = [
        Level::Off,
        Level::Conservative,
        Level::Normal,
        Level::Aggressive,
    ][(flags >> 2) as usize % 4];
    let known = |w: &str| w.len() == 5;
    match e.autocorrect(&text, t, level, &known) {
        Ok(Some(r)) => {
            assert!(level != Level::Off);
            assert!(!r.suggestion.text.is_empty());
            if flags & 0x10 != 0 {
                // after a rejection the same pair is not applied again
                let typed = text.trim_end().rsplit(' ').next().unwrap_or("");
                e.reject(typed, &r.suggestion.text);
            }
        }
        Ok(None) => {}
        Err(err) => no_text_in(&err, &text, |p| e.autocorrect(p, t, level, &known).err()),
    }
});
