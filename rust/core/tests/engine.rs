//! Pack build + load + suggest on the committed fixtures.

use std::path::PathBuf;

use keywise_core::engine::{Suggestion, SuggestionKind};
use keywise_core::pack::{self, Recipe};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn recipe(domain: bool) -> Recipe {
    let mut r = Recipe::fixture(&fixtures(), "t");
    if !domain {
        r.domain_corpora.clear();
    }
    r
}

fn words(v: &[Suggestion]) -> Vec<&str> {
    v.iter().map(|s| s.text.as_str()).collect()
}

#[test]
fn build_load_suggest() {
    for domain in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        pack::build(&recipe(domain), dir.path(), &mut |_, _| {}).unwrap();
        let e = pack::load(dir.path()).unwrap();
        let mut out = Vec::new();
        e.suggest("The patient denies ch", 3, &mut out).unwrap();
        assert!(words(&out).contains(&"chest"), "{out:?}");
        assert!(out.iter().all(|s| s.kind == SuggestionKind::Completion));
        e.suggest("He reports shortness of ", 3, &mut out).unwrap();
        assert_eq!(out[0].text, "breath");
        assert!(e.suggest("x", 0, &mut out).is_err());
        e.suggest(&"é".repeat(100_000), 3, &mut out).unwrap();
        // probabilities of the mixture still sum to one over the vocabulary
        let ctx = e.context(&keywise_core::ngram::LmState::sentence_start());
        let s: f64 = (0..e.lexicon().len())
            .filter(|&w| w != keywise_core::lexicon::BOS)
            .map(|w| 10f64.powf(e.log10_prob(&ctx, w) as f64))
            .sum();
        assert!((s - 1.0).abs() < 5e-3, "{s}");
    }
}

#[test]
fn refuses_eval_paths() {
    let mut r = recipe(false);
    r.corpora[0].path = PathBuf::from("/x/corpora/clinical/eval/notes.txt");
    let dir = tempfile::tempdir().unwrap();
    assert!(pack::build(&r, dir.path(), &mut |_, _| {}).is_err());
}

#[test]
fn manifest_decoder_overrides_are_used_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = recipe(false);
    r.decoder = Some(keywise_core::decode::Params {
        beam_width: 12,
        ..Default::default()
    });
    pack::build(&r, dir.path(), &mut |_, _| {}).unwrap();
    let e = pack::load(dir.path()).unwrap();
    assert_eq!(e.decoder().params().beam_width, 12);
    let path = dir.path().join("manifest.json");
    let base: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    // Partial overrides keep the other defaults; bad or unknown values are refused at load.
    for (decoder, ok) in [
        (serde_json::json!({"threshold": [0.5, 0.3, 0.1]}), true),
        (serde_json::json!({"beam_width": 0}), false),
        (serde_json::json!({"threshold": [0.5, 0.3]}), false),
        (serde_json::json!({"no_such_knob": 1}), false),
    ] {
        let mut m = base.clone();
        m["decoder"] = decoder.clone();
        std::fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
        match pack::load(dir.path()) {
            Ok(e) => {
                assert!(ok, "{decoder} accepted");
                assert_eq!(e.decoder().params().threshold, [0.5, 0.3, 0.1]);
                assert_eq!(
                    e.decoder().params().beam_width,
                    keywise_core::decode::Params::default().beam_width
                );
            }
            Err(err) => assert!(!ok, "{decoder} refused: {err}"),
        }
    }
}

#[test]
fn bigram_cache_brings_back_what_followed_the_word() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = recipe(false);
    r.cache_weight = 0.0;
    pack::build(&r, dir.path(), &mut |_, _| {}).unwrap();
    let text = "Discussed the metformin and the lisinopril. He stopped the ";
    let rank = |e: &keywise_core::engine::Engine, w: &str| {
        let mut out = Vec::new();
        e.suggest(text, 20, &mut out).unwrap();
        out.iter().position(|s| s.text == w)
    };
    let plain = pack::load(dir.path()).unwrap();
    let cached = pack::load(dir.path())
        .unwrap()
        .with_cache_bigram_weight(0.3)
        .unwrap();
    // "the" was followed by "metformin" and "lisinopril" earlier: both rise.
    for w in ["metformin", "lisinopril"] {
        let after = rank(&cached, w).expect("cached word is offered");
        assert!(rank(&plain, w).is_none_or(|before| after < before), "{w}");
    }
    // A sentence boundary before the cursor: no previous word, nothing to bring back.
    let mut a = Vec::new();
    let mut b = Vec::new();
    plain
        .suggest("Discussed the metformin. ", 5, &mut a)
        .unwrap();
    cached
        .suggest("Discussed the metformin. ", 5, &mut b)
        .unwrap();
    assert_eq!(words(&a), words(&b));
    // The two cache weights together must stay below one.
    let e = pack::load(dir.path())
        .unwrap()
        .with_cache_weight(0.6)
        .unwrap();
    assert!(e.with_cache_bigram_weight(0.5).is_err());
}

#[test]
fn a_trailing_joiner_continues_the_word_when_words_go_on() {
    let dir = tempfile::tempdir().unwrap();
    pack::build(&recipe(false), dir.path(), &mut |_, _| {}).unwrap();
    let e = pack::load(dir.path()).unwrap();
    let mut out = Vec::new();
    // "follow-" is the start of "follow-up", not a boundary before a next word.
    e.suggest("I recommended physical therapy and follow-", 3, &mut out)
        .unwrap();
    assert_eq!(words(&out), ["follow-up"], "{out:?}");
    assert_eq!(out[0].kind, SuggestionKind::Completion);
    let cur = e.parse("and follow-");
    assert_eq!(cur.partial, "follow-");
    e.suggest("She tested negative for COVID-", 3, &mut out)
        .unwrap();
    assert_eq!(words(&out), ["COVID-19"]);
    // No word goes on: the joiner separates as before (next words, partial empty).
    assert_eq!(e.parse("the pain-").partial, "");
    e.suggest("the pain-", 3, &mut out).unwrap();
    assert!(
        out.iter().all(|s| s.kind == SuggestionKind::Next),
        "{out:?}"
    );
    // Digits before the hyphen are a range, not a word being typed.
    assert_eq!(e.parse("a 45-").partial, "");
}

#[test]
fn digits_typed_are_not_capitals() {
    let dir = tempfile::tempdir().unwrap();
    pack::build(&recipe(false), dir.path(), &mut |_, _| {}).unwrap();
    let e = pack::load(dir.path()).unwrap();
    let id = e.lexicon().id("45-year-old").unwrap();
    assert_eq!(e.surface(id, &e.parse("The 45")), "45-year-old");
    assert_eq!(e.surface(id, &e.parse("The 45-YE")), "45-YEAR-OLD");
    let hyp = e.lexicon().id("hypertension").unwrap();
    assert_eq!(e.surface(hyp, &e.parse("The HY")), "HYPERTENSION");
    assert_eq!(e.surface(hyp, &e.parse("The H")), "Hypertension");
}
