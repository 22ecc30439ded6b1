//! A text field's memory: words shown for the word being typed and typed past give way.

use std::path::PathBuf;

use keywise_core::engine::{Engine, Suggestion};
use keywise_core::field::FieldMemory;
use keywise_core::pack::{self, Recipe};

fn engine() -> (tempfile::TempDir, Engine) {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let dir = tempfile::tempdir().unwrap();
    pack::build(&Recipe::fixture(&fixtures, "t"), dir.path(), &mut |_, _| {}).unwrap();
    let e = pack::load(dir.path()).unwrap();
    (dir, e)
}

fn words(v: &[Suggestion]) -> Vec<String> {
    v.iter().map(|s| s.text.to_lowercase()).collect()
}

fn plain(e: &Engine, text: &str) -> Vec<String> {
    plain_k(e, text, 3)
}

fn plain_k(e: &Engine, text: &str, k: usize) -> Vec<String> {
    let mut out = Vec::new();
    e.suggest_blended(text, None, k, None, true, &mut out)
        .unwrap();
    words(&out)
}

fn in_field(e: &Engine, f: &mut FieldMemory, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    e.suggest_in_field(text, None, 3, None, true, f, true, &mut out)
        .unwrap();
    words(&out)
}

#[test]
fn words_typed_past_give_way_and_the_list_refills() {
    let (_d, e) = engine();
    let mut f = FieldMemory::new();
    let next = in_field(&e, &mut f, "The patient ");
    assert_eq!(next, plain(&e, "The patient "));
    let mut seen = next.clone();
    for text in ["The patient d", "The patient di"] {
        let got = in_field(&e, &mut f, text);
        assert!(
            got.iter().all(|w| !seen.contains(w)),
            "{text}: {got:?} after {seen:?}"
        );
        // Every word it shows is a completion the plain engine also knows, and the strip is
        // as full as the pack allows.
        assert!(
            got.iter()
                .all(|w| w.starts_with(&text[12..].to_lowercase())),
            "{got:?}"
        );
        let left = plain_k(&e, text, 64)
            .into_iter()
            .filter(|w| !seen.contains(w))
            .count();
        assert_eq!(got.len(), left.min(3), "{text}: {got:?}");
        seen.extend(got);
    }
    // The plain engine repeats what the field already showed (so the test above can fail).
    let first_d = plain(&e, "The patient d");
    assert!(plain(&e, "The patient di")
        .iter()
        .any(|w| first_d.contains(w)));
}

#[test]
fn the_same_text_asked_again_gives_the_same_list() {
    let (_d, e) = engine();
    let mut f = FieldMemory::new();
    in_field(&e, &mut f, "The patient ");
    let a = in_field(&e, &mut f, "The patient d");
    let b = in_field(&e, &mut f, "The patient d");
    assert_eq!(a, b);
}

#[test]
fn the_memory_ends_with_the_word() {
    let (_d, e) = engine();
    // A deletion, another word, another field's text: the plain list again.
    for text in ["The patient ", "He has d", "Yesterday the patient d"] {
        let mut f = FieldMemory::new();
        in_field(&e, &mut f, "The patient ");
        in_field(&e, &mut f, "The patient d");
        in_field(&e, &mut f, "The patient de");
        assert_eq!(in_field(&e, &mut f, text), plain(&e, text), "{text}");
    }
    let mut f = FieldMemory::new();
    in_field(&e, &mut f, "The patient ");
    in_field(&e, &mut f, "The patient d");
    f.clear();
    assert_eq!(
        in_field(&e, &mut f, "The patient de"),
        plain(&e, "The patient de")
    );
    // record_shown makes a reranked list count as shown.
    let mut f = FieldMemory::new();
    e.record_shown("The patient ", &["daily"], &mut f);
    assert!(!in_field(&e, &mut f, "The patient d").contains(&"daily".to_string()));
    assert!(plain(&e, "The patient d").contains(&"daily".to_string()));
}

#[test]
fn a_sliding_window_of_the_text_keeps_the_memory() {
    // Keyboards pass the last N characters: the start of the text moves with every letter.
    let (_d, e) = engine();
    let mut f = FieldMemory::new();
    let long = "Seen today for a routine visit. The patient ";
    let window = |t: String| t[t.len() - 30..].to_string();
    let mut seen: Vec<String> = Vec::new();
    for typed in ["", "d", "di"] {
        let got = in_field(&e, &mut f, &window(format!("{long}{typed}")));
        assert!(
            got.iter().all(|w| !seen.contains(w)),
            "{typed}: {got:?} after {seen:?}"
        );
        seen.extend(got);
    }
}

#[test]
fn debug_output_never_shows_what_was_typed() {
    let (_d, e) = engine();
    let mut f = FieldMemory::new();
    in_field(&e, &mut f, "Zorblat the patient d");
    let shown = format!("{f:?}");
    assert!(
        !shown.contains("Zorblat") && !shown.contains("patient"),
        "{shown}"
    );
    assert!(shown.starts_with("FieldMemory"), "{shown}");
}

#[test]
fn a_word_typed_to_its_end_still_gets_a_strip() {
    // Typed letter by letter, the candidates run out: when every word left was typed past, they
    // come back rather than an empty strip.
    let (_d, e) = engine();
    let mut f = FieldMemory::new();
    let word = "denies";
    let mut seen: Vec<String> = Vec::new();
    let mut all_typed_past = 0;
    for n in 0..=word.len() {
        let text = format!("The patient {}", &word[..n]);
        let got = in_field(&e, &mut f, &text);
        let plain = plain(&e, &text);
        assert!(!plain.is_empty(), "{text}");
        if plain.iter().all(|w| seen.contains(w)) {
            all_typed_past += 1;
            assert_eq!(got, plain, "{text}");
        } else {
            assert!(got.iter().all(|w| !seen.contains(w)), "{text}: {got:?}");
        }
        seen.extend(got);
    }
    assert!(
        all_typed_past >= 2,
        "the fixture must run the word's completions out"
    );
}
