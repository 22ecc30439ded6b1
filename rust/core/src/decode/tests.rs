//! Decoder tests over a small in-test vocabulary (never ../shared).

use super::*;

/// A sorted word list with counts and flags; ids 0..3 are the specials.
pub(crate) struct TestVocab {
    keys: Vec<String>,
    log10: Vec<f32>,
    flags: Vec<u8>,
    index: Option<TrieIndex>,
}

impl TestVocab {
    pub(crate) fn new(words: &[(&str, u64, u8)]) -> TestVocab {
        let mut w: Vec<(String, u64, u8)> = words
            .iter()
            .map(|(k, c, f)| (k.to_string(), *c, *f))
            .collect();
        w.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        w.dedup_by(|a, b| a.0 == b.0);
        let total: u64 = w.iter().map(|x| x.1).sum::<u64>().max(1);
        let mut keys = vec!["<unk>".to_string(), "<s>".to_string(), "</s>".to_string()];
        let mut log10 = vec![-9.0; 3];
        let mut flags = vec![0; 3];
        for (k, c, f) in w {
            keys.push(k);
            log10.push(((c.max(1)) as f32 / total as f32).log10());
            flags.push(f);
        }
        TestVocab {
            keys,
            log10,
            flags,
            index: None,
        }
    }
}

impl Vocab for TestVocab {
    fn len(&self) -> u32 {
        self.keys.len() as u32
    }
    fn key(&self, id: u32) -> &str {
        &self.keys[id as usize]
    }
    fn prefix_range(&self, prefix: &str) -> std::ops::Range<u32> {
        let k = &self.keys[3..];
        let lo = k.partition_point(|x| x.as_str() < prefix);
        let hi = lo + k[lo..].partition_point(|x| x.starts_with(prefix));
        (lo as u32 + 3)..(hi as u32 + 3)
    }
    fn id(&self, key: &str) -> Option<u32> {
        self.keys[3..]
            .binary_search_by(|x| x.as_str().cmp(key))
            .ok()
            .map(|i| i as u32 + 3)
    }
    fn flags(&self, id: u32) -> u8 {
        self.flags[id as usize]
    }
    fn log10_unigram(&self, id: u32) -> f32 {
        self.log10[id as usize]
    }
    fn index(&self) -> Option<&TrieIndex> {
        self.index.as_ref()
    }
}

const G: u8 = GENERAL;
const M: u8 = MEDICAL;
const D: u8 = DRUG | MEDICAL;

pub(crate) fn vocab() -> TestVocab {
    TestVocab::new(&[
        ("the", 50000, G),
        ("of", 30000, G),
        ("and", 28000, G),
        ("to", 25000, G),
        ("a", 24000, G),
        ("in", 20000, G),
        ("is", 15000, G),
        ("he", 9000, G),
        ("she", 7000, G),
        ("they", 6000, G),
        ("then", 4000, G),
        ("there", 4000, G),
        ("their", 3800, G),
        ("other", 3000, G),
        ("off", 2000, G),
        ("often", 1200, G),
        ("was", 9000, G),
        ("with", 8000, G),
        ("without", 900, G),
        ("patient", 3000, M | G),
        ("patients", 1500, M | G),
        ("patient's", 400, M | G),
        ("pat", 60, G),
        ("path", 300, G),
        ("pathology", 80, M),
        ("part", 900, G),
        ("past", 800, G),
        ("paste", 90, G),
        ("pain", 1800, M | G),
        ("pressure", 1500, M | G),
        ("blood", 1600, M | G),
        ("history", 1400, M | G),
        ("test", 700, G),
        ("tent", 40, G),
        ("tear", 200, G),
        ("ten", 300, G),
        ("occur", 200, G),
        ("occurred", 180, G),
        ("occurrence", 60, G),
        ("chest", 900, M | G),
        ("cheat", 20, G),
        ("don't", 1000, G),
        ("café", 30, G),
        ("x-ray", 120, M),
        ("mg", 2000, M),
        ("mcg", 300, M),
        ("ml", 600, M),
        ("l", 100, G),
        ("units", 500, M),
        ("unit", 400, G),
        ("damn", 50, NO_SUGGEST),
        ("hydroxyzine", 40, D),
        ("hydralazine", 40, D),
        ("celebrex", 40, D),
        ("celexa", 40, D),
        ("cerebyx", 20, D),
        ("clonidine", 40, D),
        ("clonazepam", 40, D),
        ("humalog", 40, D),
        ("humulin", 40, D),
        ("glipizide", 40, D),
        ("glyburide", 40, D),
        ("prednisone", 60, D),
        ("prednisolone", 40, D),
        ("metformin", 80, D),
        ("lisinopril", 80, D),
    ])
}

fn dec() -> Decoder {
    Decoder::new(Layout::qwerty(), Params::default()).unwrap()
}

fn words(v: &TestVocab, c: &[Candidate]) -> Vec<String> {
    c.iter()
        .map(|c| match c.second {
            Some(b) => format!("{} {}", v.key(c.id), v.key(b)),
            None => v.key(c.id).to_string(),
        })
        .collect()
}

fn top(
    d: &Decoder,
    v: &TestVocab,
    typed: &str,
    taps: Option<&[Tap]>,
    completion: bool,
) -> Vec<String> {
    let lm = |id: u32| v.log10_unigram(id);
    let mut s = d.scratch();
    let mut out = Vec::new();
    let opts = DecodeOptions {
        k: 5,
        allow_completion: completion,
        ..Default::default()
    };
    d.decode(v, typed, taps, &lm, &opts, &mut s, &mut out)
        .unwrap();
    words(v, &out)
}

/// Taps at key centres of `word`, each moved by the given offsets.
fn taps_for(l: &Layout, word: &str, jitter: &[(f32, f32)]) -> Vec<Tap> {
    word.chars()
        .enumerate()
        .map(|(i, c)| {
            let (x, y) = l.centre(c).unwrap();
            let (dx, dy) = jitter.get(i).copied().unwrap_or((0.0, 0.0));
            Tap {
                x: x + dx,
                y: y + dy,
            }
        })
        .collect()
}

#[test]
fn typo_kinds_decode_to_the_word() {
    let (d, v) = (dec(), vocab());
    for (typed, want) in [
        ("pstient", "patient"), // neighbour substitution
        ("patint", "patient"),  // omission
        ("paitient", "patient"),
        ("ptaient", "patient"),  // transposition
        ("pattient", "patient"), // doubled letter
        ("ocured", "occurred"),  // two undoubled letters
        ("dont", "don't"),       // dropped apostrophe
        ("cafe", "café"),        // accent
        ("xray", "x-ray"),
        ("Patient", "patient"),  // case
        ("pa tient", "patient"), // extra space
        ("ofthe", "of the"),     // missing space
        ("hiatory", "history"),
    ] {
        let got = top(&d, &v, typed, None, false);
        assert_eq!(
            got.first().map(String::as_str),
            Some(want),
            "{typed}: {got:?}"
        );
    }
}

#[test]
fn noisy_taps_decode() {
    let (d, v) = (dec(), vocab());
    let l = d.layout();
    // 'a' tapped on the border with 's', 't' low towards 'g', 'n' towards 'b'.
    let taps = taps_for(
        l,
        "patient",
        &[
            (0.1, 0.0),
            (0.5, 0.05),
            (0.0, 0.45),
            (0.2, 0.1),
            (0.0, -0.2),
            (-0.45, 0.1),
            (0.1, 0.1),
        ],
    );
    // The typed characters are what the keyboard resolved: the nearest keys.
    let typed: String = taps
        .iter()
        .map(|t| l.keys()[l.key_at(t.x, t.y)].ch)
        .collect();
    let got = top(&d, &v, &typed, Some(&taps), false);
    assert_eq!(got[0], "patient", "{typed} {got:?}");
    // A tap outside the keyboard is clamped, not an error.
    let mut far = taps_for(l, "test", &[]);
    far[0].y = -5.0;
    assert_eq!(top(&d, &v, "test", Some(&far), false)[0], "test");
}

#[test]
fn tap_evidence_beats_typed_letter() {
    let (d, v) = (dec(), vocab());
    let l = d.layout();
    // Typed "tesr": with taps the 'r' tap sits on the r/t border, so "test" is cheap.
    let (rx, ry) = l.centre('r').unwrap();
    let mut taps = taps_for(l, "tesr", &[]);
    taps[3] = Tap { x: rx + 0.5, y: ry };
    let with = top(&d, &v, "tesr", Some(&taps), false);
    assert_eq!(with[0], "test", "{with:?}");
}

#[test]
fn completion_from_noisy_prefix() {
    let (d, v) = (dec(), vocab());
    let got = top(&d, &v, "pati", None, true);
    assert!(got.iter().take(3).any(|w| w == "patient"), "{got:?}");
    let got = top(&d, &v, "pstie", None, true);
    assert_eq!(got[0], "patient", "{got:?}");
    let lm = |id: u32| v.log10_unigram(id);
    let mut s = d.scratch();
    let mut out = Vec::new();
    d.decode(
        &v,
        "hist",
        None,
        &lm,
        &DecodeOptions::default(),
        &mut s,
        &mut out,
    )
    .unwrap();
    assert_eq!(v.key(out[0].id), "history");
    assert!(out[0].completion);
    // Without completion a prefix finds no long word.
    assert!(!top(&d, &v, "hist", None, false).contains(&"history".to_string()));
}

#[test]
fn language_model_breaks_ties() {
    let (d, v) = (dec(), vocab());
    let (tent, test) = (v.id("tent").unwrap(), v.id("test").unwrap());
    // "tebt" is one substitution from both; the context decides.
    let mut s = d.scratch();
    let mut out = Vec::new();
    let opts = DecodeOptions {
        k: 5,
        allow_completion: false,
        ..Default::default()
    };
    let favour = |want: u32| move |id: u32| if id == want { -0.5 } else { -6.0 };
    d.decode(&v, "tebt", None, &favour(tent), &opts, &mut s, &mut out)
        .unwrap();
    assert_eq!(out[0].id, tent, "{:?}", words(&v, &out));
    d.decode(&v, "tebt", None, &favour(test), &opts, &mut s, &mut out)
        .unwrap();
    assert_eq!(out[0].id, test, "{:?}", words(&v, &out));
}

#[test]
fn bad_and_huge_input_is_bounded() {
    let (d, v) = (dec(), vocab());
    let lm = |id: u32| v.log10_unigram(id);
    let mut s = d.scratch();
    let mut out = vec![];
    let o = DecodeOptions::default();
    let nan = [Tap {
        x: f32::NAN,
        y: 0.0,
    }];
    assert!(matches!(
        d.decode(&v, "a", Some(&nan), &lm, &o, &mut s, &mut out),
        Err(Error::InvalidInput(_))
    ));
    let inf = [Tap {
        x: 0.0,
        y: f32::INFINITY,
    }];
    assert!(matches!(
        d.decode(&v, "a", Some(&inf), &lm, &o, &mut s, &mut out),
        Err(Error::InvalidInput(_))
    ));
    let two = [Tap { x: 0.5, y: 0.5 }, Tap { x: 1.5, y: 0.5 }];
    let e = d
        .decode(&v, "qwe", Some(&two), &lm, &o, &mut s, &mut out)
        .unwrap_err();
    assert!(!e.to_string().contains("qwe"), "errors never echo input");
    // A thousand taps: no candidates, quickly.
    let long: String = "patient".repeat(143);
    let taps = taps_for(d.layout(), &long, &[]);
    let t = std::time::Instant::now();
    d.decode(&v, &long, Some(&taps), &lm, &o, &mut s, &mut out)
        .unwrap();
    assert!(out.is_empty());
    assert!(t.elapsed().as_millis() < 500);
    // Exactly the cap still decodes; empty input gives nothing.
    let cap: String = "a".repeat(d.params().max_chars);
    d.decode(&v, &cap, None, &lm, &o, &mut s, &mut out).unwrap();
    d.decode(&v, "", None, &lm, &o, &mut s, &mut out).unwrap();
    assert!(out.is_empty());
    // Odd characters and an LM returning junk do not crash.
    let junk = |_: u32| f32::NAN;
    d.decode(&v, "p\u{0}é😀 -'", None, &junk, &o, &mut s, &mut out)
        .unwrap();
    assert!(out.is_empty());
    // An empty vocabulary.
    let empty = TestVocab::new(&[]);
    d.decode(&empty, "the", None, &lm, &o, &mut s, &mut out)
        .unwrap();
    assert!(out.is_empty());
}

#[test]
fn trie_index_changes_speed_not_results() {
    let d = dec();
    let plain = vocab();
    let mut indexed = vocab();
    indexed.index = Some(TrieIndex::build(&indexed, 8));
    assert!(!indexed.index.as_ref().unwrap().is_empty());
    for typed in [
        "pstient",
        "ofthe",
        "hist",
        "p",
        "th",
        "ocured",
        "hydroxizine",
        "pa tient",
    ] {
        for completion in [false, true] {
            assert_eq!(
                top(&d, &plain, typed, None, completion),
                top(&d, &indexed, typed, None, completion),
                "{typed}"
            );
        }
    }
}

#[test]
fn never_offers_no_suggest_words() {
    let (d, v) = (dec(), vocab());
    assert!(!top(&d, &v, "damn", None, true).contains(&"damn".to_string()));
}

#[test]
fn scratch_is_reused_without_growing() {
    let (d, v) = (dec(), vocab());
    let lm = |id: u32| v.log10_unigram(id);
    let mut s = d.scratch();
    let mut out = Vec::with_capacity(8);
    let o = DecodeOptions {
        k: 5,
        ..Default::default()
    };
    let taps = taps_for(d.layout(), "pressure", &[(0.3, 0.2); 8]);
    d.decode(&v, "pressure", Some(&taps), &lm, &o, &mut s, &mut out)
        .unwrap();
    let before = format!("{:?}", capacities(&s));
    for w in ["pstient", "ofthe", "hist", "a", "occurrence"] {
        d.decode(&v, w, None, &lm, &o, &mut s, &mut out).unwrap();
    }
    d.decode(&v, "pressure", Some(&taps), &lm, &o, &mut s, &mut out)
        .unwrap();
    assert_eq!(before, format!("{:?}", capacities(&s)));
}

fn capacities(s: &Scratch) -> Vec<usize> {
    s.capacities()
}

#[test]
fn user_offsets_help_a_shifted_typist() {
    let (d, v) = (dec(), vocab());
    let l = d.layout();
    let lm = |id: u32| v.log10_unigram(id);
    // This user taps 0.45 rows low: "test" lands near "gwzg" territory.
    let shift = [(0.0, 0.45); 4];
    let taps = taps_for(l, "test", &shift);
    let typed: String = taps
        .iter()
        .map(|t| l.keys()[l.key_at(t.x, t.y)].ch)
        .collect();
    let mut off = UserOffsets::new();
    for w in ["the", "patient", "pressure", "history", "blood", "chest"] {
        off.learn_word(l, w, &taps_for(l, w, &[(0.0, 0.45); 12]))
            .unwrap();
    }
    let mut s = d.scratch();
    let mut out = vec![];
    let plain = DecodeOptions {
        k: 5,
        allow_completion: false,
        ..Default::default()
    };
    d.decode(&v, &typed, Some(&taps), &lm, &plain, &mut s, &mut out)
        .unwrap();
    let cost_plain = out
        .iter()
        .find(|c| v.key(c.id) == "test")
        .map_or(f32::INFINITY, |c| c.cost);
    let learned = DecodeOptions {
        offsets: Some(&off),
        ..plain
    };
    d.decode(&v, &typed, Some(&taps), &lm, &learned, &mut s, &mut out)
        .unwrap();
    assert_eq!(v.key(out[0].id), "test");
    assert!(out[0].cost < cost_plain, "{} vs {cost_plain}", out[0].cost);
}

#[test]
fn other_layouts_decode() {
    let v = vocab();
    for l in [Layout::azerty(), Layout::qwertz()] {
        let d = Decoder::new(l, Params::default()).unwrap();
        let taps = taps_for(d.layout(), "patient", &[(0.2, 0.1); 7]);
        assert_eq!(top(&d, &v, "patient", Some(&taps), false)[0], "patient");
    }
    assert!(Decoder::new(
        Layout::qwerty(),
        Params {
            beam_width: 0,
            ..Params::default()
        }
    )
    .is_err());
    assert!(Decoder::new(
        Layout::qwerty(),
        Params {
            omission: f32::NAN,
            ..Params::default()
        }
    )
    .is_err());
}

// ---- autocorrect ----

fn ac(d: &Decoder, v: &TestVocab, typed: &str, level: Level) -> Option<Correction> {
    let lm = |id: u32| v.log10_unigram(id);
    let mut s = d.scratch();
    d.autocorrect(
        v,
        typed,
        None,
        &lm,
        None,
        level,
        false,
        &|_, _| false,
        &mut s,
    )
    .unwrap()
}

#[test]
fn autocorrect_fixes_typos_and_keeps_words() {
    let (d, v) = (dec(), vocab());
    for (typed, want) in [
        ("pstient", "patient"),
        ("ofthe", "of the"),
        ("hiatory", "history"),
        ("pattient", "patient"),
    ] {
        let c = ac(&d, &v, typed, Level::Normal).unwrap_or_else(|| panic!("{typed}"));
        assert_eq!(
            (c.text.as_str(), c.apply, c.guard),
            (want, true, Guard::None),
            "{typed}"
        );
        assert!(c.confidence > 0.185 && c.confidence <= 1.0);
    }
    // Known words stay at every level; Off never corrects; unknown far words stay.
    for lvl in [Level::Conservative, Level::Normal, Level::Aggressive] {
        for w in ["pat", "tent", "cheat", "the"] {
            assert_eq!(ac(&d, &v, w, lvl), None, "{w} {lvl:?}");
        }
    }
    assert_eq!(ac(&d, &v, "pstient", Level::Off), None);
    assert_eq!(ac(&d, &v, "zqxjkvw", Level::Aggressive), None);
    // Words the user taught are never replaced.
    let lm = |id: u32| v.log10_unigram(id);
    let mut s = d.scratch();
    assert_eq!(
        d.autocorrect(
            &v,
            "pstient",
            None,
            &lm,
            None,
            Level::Aggressive,
            true,
            &|_, _| false,
            &mut s
        )
        .unwrap(),
        None
    );
}

#[test]
fn rejected_corrections_are_not_offered_again() {
    let (d, v) = (dec(), vocab());
    let lm = |id: u32| v.log10_unigram(id);
    let mut s = d.scratch();
    let no = |t: &str, r: &str| t == "pstient" && r == "patient";
    let c = d
        .autocorrect(
            &v,
            "pstient",
            None,
            &lm,
            None,
            Level::Normal,
            false,
            &no,
            &mut s,
        )
        .unwrap();
    assert!(c.as_ref().is_none_or(|c| c.text != "patient"), "{c:?}");
}

#[test]
fn look_alike_drugs_are_never_swapped_automatically() {
    let (d, v) = (dec(), vocab());
    let pairs = [
        ("hydroxyzine", "hydralazine"),
        ("celebrex", "celexa"),
        ("celexa", "cerebyx"),
        ("celebrex", "cerebyx"),
        ("clonidine", "clonazepam"),
        ("humalog", "humulin"),
        ("glipizide", "glyburide"),
        ("prednisone", "prednisolone"),
    ];
    let lm = |id: u32| v.log10_unigram(id);
    for (a, b) in pairs {
        for (typed, other) in [(a, b), (b, a)] {
            // Even a context that strongly expects the other drug cannot swap it.
            let oid = v.id(other).unwrap();
            let ctx = move |id: u32| if id == oid { -0.01 } else { -8.0 };
            for lvl in [Level::Conservative, Level::Normal, Level::Aggressive] {
                let mut s = d.scratch();
                let c = d
                    .autocorrect(
                        &v,
                        typed,
                        None,
                        &ctx,
                        None,
                        lvl,
                        false,
                        &|_, _| false,
                        &mut s,
                    )
                    .unwrap();
                assert!(c.as_ref().is_none_or(|c| !c.apply), "{typed} -> {c:?}");
            }
            // A misspelling halfway between two look-alikes is offered, never applied.
            let mut s = d.scratch();
            let mut out = vec![];
            let o = DecodeOptions {
                k: 5,
                allow_completion: false,
                ..Default::default()
            };
            d.decode(&v, typed, None, &lm, &o, &mut s, &mut out)
                .unwrap();
            assert_eq!(v.key(out[0].id), typed);
        }
    }
    for typed in ["humulog", "prednisolne", "celebexa", "clonazdine"] {
        let c = ac(&d, &v, typed, Level::Aggressive);
        assert!(
            c.as_ref()
                .is_none_or(|c| !c.apply && c.guard == Guard::Drug),
            "{typed} -> {c:?}"
        );
    }
    // Between two look-alikes: offered with the verdict visible, not applied.
    for typed in ["humulog", "prednisolne"] {
        let c = ac(&d, &v, typed, Level::Normal).unwrap();
        assert_eq!((c.guard, c.apply), (Guard::Drug, false), "{typed}");
    }
    // By default a correction into any drug name is offered, never applied...
    let c = ac(&d, &v, "hydroxizine", Level::Normal).unwrap();
    assert_eq!(
        (c.text.as_str(), c.apply, c.guard),
        ("hydroxyzine", false, Guard::Drug)
    );
    // ... and with that switch off, an unambiguous drug misspelling is fixed while the
    // look-alikes above stay guarded.
    let lax = Decoder::new(
        Layout::qwerty(),
        Params {
            never_apply_drugs: false,
            ..Params::default()
        },
    )
    .unwrap();
    let c = ac(&lax, &v, "hydroxizine", Level::Normal).unwrap();
    assert_eq!((c.text.as_str(), c.apply), ("hydroxyzine", true));
    let c = ac(&lax, &v, "metformni", Level::Normal).unwrap();
    assert_eq!((c.text.as_str(), c.apply), ("metformin", true));
    for typed in ["humulog", "prednisolne"] {
        let c = ac(&lax, &v, typed, Level::Normal).unwrap();
        assert_eq!((c.guard, c.apply), (Guard::Drug, false), "{typed}");
    }
}

#[test]
fn doses_and_units_are_never_changed() {
    let (d, v) = (dec(), vocab());
    for w in ["5", "50", "mg", "mcg", "ml", "l", "units", "5mg", "10x"] {
        for lvl in [Level::Normal, Level::Aggressive] {
            assert_eq!(ac(&d, &v, w, lvl), None, "{w}");
        }
    }
    // A typo that would become a unit is offered, not applied.
    for w in ["mgg", "unitz", "mcgg"] {
        let c = ac(&d, &v, w, Level::Aggressive);
        assert!(
            c.as_ref()
                .is_none_or(|c| !c.apply && c.guard == Guard::Dose),
            "{w} -> {c:?}"
        );
    }
    let c = ac(&d, &v, "unitss", Level::Aggressive).unwrap();
    assert_eq!((c.guard, c.apply), (Guard::Dose, false));
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn any_input_is_safe(typed in "\\PC{0,60}", xs in proptest::collection::vec(-50.0f32..50.0, 0..60)) {
            let (d, v) = (dec(), vocab());
            let lm = |id: u32| v.log10_unigram(id);
            let mut s = d.scratch();
            let mut out = vec![];
            let n = typed.chars().count();
            let taps: Vec<Tap> = (0..n).map(|i| Tap { x: xs.get(i).copied().unwrap_or(1.0), y: xs.get(i + 1).copied().unwrap_or(1.0) }).collect();
            d.decode(&v, &typed, None, &lm, &DecodeOptions::default(), &mut s, &mut out).unwrap();
            d.decode(&v, &typed, Some(&taps), &lm, &DecodeOptions::default(), &mut s, &mut out).unwrap();
            for c in &out {
                prop_assert!(c.score.is_finite() && c.cost >= 0.0 && c.id >= FIRST_WORD_ID);
            }
            let r = d.autocorrect(&v, &typed, Some(&taps), &lm, None, Level::Aggressive, false, &|_, _| false, &mut s).unwrap();
            if let Some(c) = r {
                prop_assert!(!c.text.chars().any(|ch| ch.is_numeric()) || !c.apply);
            }
        }
    }
}

#[test]
fn decoder_is_shareable_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Decoder>();
    shareable::<Scratch>();
    let d = std::sync::Arc::new(dec());
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let d = d.clone();
            std::thread::spawn(move || top(&d, &vocab(), "pstient", None, false)[0].clone())
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), "patient");
    }
}

#[test]
fn spelling_pairs_and_their_parameters() {
    use super::sounds_alike;
    assert!(sounds_alike('a', 'e') && sounds_alike('y', 'i') && sounds_alike('m', 'n'));
    assert!(sounds_alike('s', 'c') && sounds_alike('c', 'k'));
    assert!(!sounds_alike('a', 'a') && !sounds_alike('m', 'q') && !sounds_alike('s', 'p'));
    let bad = [
        Params {
            oov_log10_per_char: -1.0,
            ..Params::default()
        },
        Params {
            spelling: f32::NAN,
            ..Params::default()
        },
        Params {
            spelling_insertion: -2.0,
            ..Params::default()
        },
    ];
    for p in bad {
        assert!(p.validate().is_err(), "{p:?}");
    }
}
