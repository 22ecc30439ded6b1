//! Property tests: the lexicon finds every word it was built with, and the engine's entry
//! points never panic on arbitrary text, k and taps. (n-gram sum-to-one and the ARPA round
//! trip live in tests/ngram.rs; learn-then-forget in src/personal/tests.rs.)

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use keywise_core::decode::{Level, Tap};
use keywise_core::engine::{Engine, MAX_K};
use keywise_core::lexicon::{flags, Lexicon, LexiconBuilder, FIRST_WORD};
use keywise_core::pack::{self, Recipe};
use keywise_core::text;
use proptest::prelude::*;

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,12}",
        "[A-Za-z][a-z'\\-]{0,10}",
        "[a-zéèüößçñ]{1,8}",
        "\\PC{1,6}",
    ]
}

fn words() -> impl Strategy<Value = Vec<(String, u32, u8)>> {
    proptest::collection::vec((word(), 0u32..10_000, 0u8..64), 0..80)
}

/// What the builder should keep: folded key -> (summed count, OR of flags).
fn expected(ws: &[(String, u32, u8)]) -> BTreeMap<String, (u32, u8)> {
    let mut m: BTreeMap<String, (u32, u8)> = BTreeMap::new();
    for (w, c, f) in ws {
        if w.is_empty() || w.len() > 64 || w.chars().any(char::is_control) {
            continue;
        }
        let k = text::fold(w);
        if ["<unk>", "<s>", "</s>"].contains(&k.as_str()) {
            continue;
        }
        let e = m.entry(k).or_default();
        e.0 = e.0.saturating_add(*c);
        e.1 |= f;
    }
    m
}

fn build(ws: &[(String, u32, u8)]) -> Lexicon {
    let mut b = LexiconBuilder::new();
    for (w, c, f) in ws {
        b.add(w, *c, *f);
    }
    b.build()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn lexicon_returns_every_word(ws in words()) {
        let want = expected(&ws);
        for lex in [build(&ws), Lexicon::from_bytes(&build(&ws).to_bytes(), true).unwrap()] {
            prop_assert_eq!(lex.len() as usize, FIRST_WORD as usize + want.len());
            for (key, &(count, fl)) in &want {
                let id = lex.id(key);
                prop_assert!(id.is_some(), "word lost");
                let id = id.unwrap();
                prop_assert_eq!(lex.key(id), key.as_str());
                prop_assert_eq!(lex.count(id), count);
                prop_assert_eq!(lex.flags(id), fl);
                prop_assert_eq!(text::fold(lex.display(id)), key.clone());
                // every prefix (on char boundaries) of the key is a range holding the word
                for (i, _) in key.char_indices().chain([(key.len(), ' ')]) {
                    let p = &key[..i];
                    let r = lex.prefix_range(p);
                    prop_assert!(r.contains(&id));
                    for j in r.clone() {
                        prop_assert!(lex.key(j).starts_with(p));
                    }
                    // and nothing outside the range starts with the prefix
                    if r.start > FIRST_WORD {
                        prop_assert!(!lex.key(r.start - 1).starts_with(p));
                    }
                    if r.end < lex.len() {
                        prop_assert!(!lex.key(r.end).starts_with(p));
                    }
                }
            }
        }
    }

    #[test]
    fn top_in_range_is_the_true_top(ws in words(), k in 0usize..20, a in 0u32..100, b in 0u32..100) {
        let lex = build(&ws);
        let mut out = Vec::new();
        lex.top_in_range(a..b, k, &mut out);
        let lo = a.min(lex.len());
        let hi = b.min(lex.len());
        let mut brute: Vec<u32> = (lo..hi.max(lo))
            .filter(|&i| lex.flags(i) & flags::NO_SUGGEST == 0)
            .collect();
        brute.sort_by_key(|&i| std::cmp::Reverse(lex.count(i)));
        prop_assert_eq!(out.len(), k.min(brute.len()));
        // same multiset of counts as the brute force top k (ties may pick other ids)
        let got: Vec<u32> = out.iter().map(|&i| lex.count(i)).collect();
        let want: Vec<u32> = brute.iter().take(k).map(|&i| lex.count(i)).collect();
        prop_assert_eq!(got, want);
        for &i in &out {
            prop_assert!((lo..hi).contains(&i));
        }
    }

    #[test]
    fn top_in_range_any_k_never_panics(ws in words(), k in any::<usize>()) {
        let lex = build(&ws);
        let mut out = Vec::new();
        lex.top_in_range(0..u32::MAX, k, &mut out);
        prop_assert!(out.len() <= lex.len() as usize);
    }
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn engine() -> &'static Engine {
    static E: OnceLock<(tempfile::TempDir, Engine)> = OnceLock::new();
    &E.get_or_init(|| {
        let f = fixtures();
        let r = Recipe::fixture(&f, "props");
        let d = tempfile::tempdir().unwrap();
        pack::build(&r, d.path(), &mut |_, _| {}).unwrap();
        let e = pack::load(d.path()).unwrap();
        (d, e)
    })
    .1
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z ,.'\n]{0,80}",
        "\\PC{0,40}",
        ("[a-z ]{0,20}", 0usize..3000).prop_map(|(s, n)| s.repeat(n)),
    ]
}

fn any_tap() -> impl Strategy<Value = Tap> {
    let f = prop_oneof![
        -2f32..12.0,
        Just(f32::NAN),
        Just(f32::INFINITY),
        Just(f32::NEG_INFINITY),
        Just(f32::MAX),
        Just(-1e30f32),
        any::<f32>(),
    ];
    (f.clone(), f).prop_map(|(x, y)| Tap { x, y })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn suggest_never_panics(t in any_text(), k in 0usize..=MAX_K + 2) {
        let e = engine();
        let mut out = Vec::new();
        let r = e.suggest(&t, k, &mut out);
        if (1..=MAX_K).contains(&k) {
            prop_assert!(r.is_ok());
            prop_assert!(out.len() <= k);
            prop_assert!(out.iter().all(|s| s.score.is_finite() && !s.text.is_empty()));
        } else {
            prop_assert!(r.is_err());
        }
    }

    #[test]
    fn taps_and_autocorrect_never_panic(
        t in any_text(),
        k in 1usize..=MAX_K,
        taps in proptest::collection::vec(any_tap(), 0..40),
        level in 0usize..4,
    ) {
        let e = engine();
        let mut out = Vec::new();
        let r = e.suggest_with_taps(&t, Some(&taps), k, &mut out);
        let finite = taps.iter().all(|p| p.x.is_finite() && p.y.is_finite());
        if let Ok(()) = r {
            prop_assert!(out.len() <= k);
        }
        let _ = e.suggest_for_user(&t, None, k, None, &mut out);
        let level = [Level::Off, Level::Conservative, Level::Normal, Level::Aggressive][level];
        let a = e.autocorrect(&t, Some(&taps), level, &|_| false);
        if let Ok(Some(c)) = &a {
            prop_assert!(level != Level::Off);
            prop_assert!(!c.suggestion.text.is_empty());
        }
        // finite taps of the right length are never refused
        let n = e.parse(&t).partial.chars().count();
        if finite && taps.len() == n {
            prop_assert!(e.suggest_with_taps(&t, Some(&taps), k, &mut out).is_ok());
        }
    }
}
