//! Tests of the model and the store (the scanner's own tests live in phi.rs). All text is
//! invented here; nothing reads ../shared.

use std::fs;
use std::path::Path;

use proptest::prelude::*;

use super::codec;
use super::*;
use crate::error::Error;

const DAY: f64 = 20_000.0;

fn phi() -> PhiFilter {
    PhiFilter::new(PhiPolicy::Strict, ["Wendeline".to_string()])
}

fn model_with(text: &str) -> UserModel {
    let mut m = UserModel::default();
    m.learn(text, &phi(), DAY).unwrap();
    m
}

fn snapshot(m: &UserModel) -> Vec<u8> {
    codec::encode(m, 0).to_vec()
}

fn is_integrity(e: &Error) -> bool {
    matches!(e.root(), Error::Integrity(_))
}

/// Cheap Argon2 for tests that only need the code path.
const FAST_KDF: KdfParams = KdfParams {
    m_cost_kib: 64,
    t_cost: 1,
    p_cost: 1,
};

// ---------- learning ----------

#[test]
fn words_enter_after_threshold() {
    let mut m = UserModel::default();
    m.learn("started xarelto", &phi(), DAY).unwrap();
    assert!(!m.knows("xarelto"));
    assert_eq!(m.log10_prob(&[], "xarelto", DAY), None);
    m.learn("xarelto again", &phi(), DAY).unwrap();
    assert!(m.knows("Xarelto") && m.knows("XARELTO"));
    assert!(!m.knows("again"));

    let mut m = UserModel::default();
    let cfg = LearnConfig {
        min_uses: 1,
        ..LearnConfig::default()
    };
    m.set_config(cfg).unwrap();
    m.learn("apixaban", &phi(), DAY).unwrap();
    assert!(m.knows("apixaban"));
}

#[test]
fn display_form_is_the_usual_spelling() {
    // Sentence-initial capitals do not vote; "MRI" does.
    let m = model_with(
        "Xarelto started. Xarelto held. continue xarelto. mri today. MRI ok. ordered MRI",
    );
    let words: Vec<String> = m.words(DAY).into_iter().map(|w| w.0).collect();
    assert!(words.contains(&"xarelto".to_string()), "{words:?}");
    assert!(words.contains(&"MRI".to_string()), "{words:?}");
    let m = model_with("Xarelto started. Xarelto held.");
    assert_eq!(m.words(DAY)[0].0, "Xarelto");
}

#[test]
fn counts_decay_with_half_life() {
    let m = model_with("edema edema edema edema");
    let c0 = m.words(DAY)[0].1;
    let c1 = m.words(DAY + 90.0)[0].1;
    assert!((c0 - 4.0).abs() < 1e-9);
    assert!((c1 - 2.0).abs() < 1e-9, "{c1}");
    // A clock going backwards does not inflate counts.
    assert!((m.words(DAY - 30.0)[0].1 - 4.0).abs() < 1e-9);
    // Decay changes rankings: a fresh habit beats an old one.
    let mut m = UserModel::default();
    for _ in 0..4 {
        m.learn("start apixaban", &phi(), DAY).unwrap();
    }
    for _ in 0..2 {
        m.learn("start aspirin", &phi(), DAY + 365.0).unwrap();
    }
    let c = m.candidates(&["start"], "a", 2, DAY + 365.0);
    assert_eq!(c[0].0, "aspirin");
    // ... but a strong habit from a month ago still wins: 4 x 2^(-30/90) > 2.
    let mut m = UserModel::default();
    for _ in 0..4 {
        m.learn("start apixaban", &phi(), DAY).unwrap();
    }
    for _ in 0..2 {
        m.learn("start aspirin", &phi(), DAY + 30.0).unwrap();
    }
    let c = m.candidates(&["start"], "a", 2, DAY + 30.0);
    assert_eq!(c[0].0, "apixaban");
    // A query dated before the latest learning is answered as of that day.
    assert_eq!(m.candidates(&["start"], "a", 2, DAY), c);
}

#[test]
fn candidates_use_context_and_prefix() {
    let mut m = UserModel::default();
    for _ in 0..3 {
        m.learn("denies chest pain", &phi(), DAY).unwrap();
        m.learn("chest wall tenderness", &phi(), DAY).unwrap();
    }
    for _ in 0..5 {
        m.learn("pain is well controlled with paracetamol", &phi(), DAY)
            .unwrap();
    }
    // Trigram context "denies chest" prefers "pain" over "wall".
    let c = m.candidates(&["denies", "chest"], "", 3, DAY);
    assert_eq!(c[0].0, "pain", "{c:?}");
    assert!(c.iter().any(|w| w.0 == "wall"));
    // Prefix filtering, case-insensitive.
    let c = m.candidates(&["with"], "PA", 3, DAY);
    assert_eq!(c[0].0, "paracetamol", "{c:?}");
    assert!(c.iter().all(|w| w.0.starts_with("pa")));
    // Empty prefix with no context: nothing (the pack handles it).
    assert!(m.candidates(&[], "", 3, DAY).is_empty());
    assert!(m.candidates(&["chest"], "", 0, DAY).is_empty());
    // Scores are sorted and agree with log10_prob.
    let c = m.candidates(&["chest"], "", 5, DAY);
    assert!(c.windows(2).all(|p| p[0].1 >= p[1].1));
    for (w, s) in &c {
        let p = m.log10_prob(&["chest"], w, DAY).unwrap();
        assert!((p - s).abs() < 1e-6);
    }
    assert!(m.log10_prob(&[], "unseenword", DAY).is_none());
    assert!(m.log10_prob(&[], "pain", f64::NAN).is_none());
}

#[test]
fn probabilities_sum_to_at_most_one() {
    let mut m = UserModel::default();
    m.set_config(LearnConfig {
        min_uses: 1,
        ..LearnConfig::default()
    })
    .unwrap();
    m.learn(
        "the patient denies fever. the patient reports cough and fever. denies cough",
        &phi(),
        DAY,
    )
    .unwrap();
    m.add_word("Xarelto").unwrap();
    let words: Vec<String> = m.words(DAY).into_iter().map(|w| w.0).collect();
    for prev in [&[][..], &["the"][..], &["the", "patient"][..], &["zzz"][..]] {
        let total: f64 = words
            .iter()
            .map(|w| 10f64.powf(f64::from(m.log10_prob(prev, w, DAY + 3.0).unwrap())))
            .sum();
        assert!((total - 1.0).abs() < 1e-3, "{prev:?}: {total}");
    }
}

#[test]
fn forget_removes_word_and_its_ngrams() {
    let mut m = model_with("denies chest pain. denies chest pain. chest pain radiating");
    assert!(m.knows("chest"));
    let (bi, tri) = m.ngram_len();
    assert!(bi > 0 && tri > 0);
    assert!(m.forget("CHEST"));
    assert!(!m.knows("chest"));
    assert!(!m.forget("chest"));
    // Every n-gram went through "chest".
    assert_eq!(m.ngram_len(), (1, 0));
    assert!(m.candidates(&["denies"], "", 3, DAY).is_empty());
    assert!(!snapshot(&m).windows(5).any(|w| w == b"chest"));
}

#[test]
fn add_remove_and_wipe() {
    let mut m = UserModel::default();
    m.add_word("Eliquis").unwrap();
    assert!(m.knows("eliquis"));
    assert_eq!(m.words(DAY)[0].0, "Eliquis");
    assert!(m.candidates(&[], "eli", 3, DAY)[0].0 == "Eliquis");
    for bad in [
        "",
        "two words",
        "tab\there",
        &"x".repeat(MAX_WORD_BYTES + 1),
    ] {
        assert!(matches!(m.add_word(bad), Err(Error::InvalidInput(_))));
    }
    m.set_shortcut("sob", "shortness of breath").unwrap();
    m.learn("Eliquis daily daily", &phi(), DAY).unwrap();
    m.wipe();
    assert!(m.is_empty());
    assert!(!m.knows("eliquis"));
    assert_eq!(m.expand("sob"), None);
    assert_eq!(snapshot(&m), snapshot(&UserModel::default()));
}

#[test]
fn shortcuts() {
    let mut m = UserModel::default();
    m.set_shortcut("SOB", "shortness of breath").unwrap();
    assert_eq!(m.expand("sob"), Some("shortness of breath"));
    m.set_shortcut("sob", "short of breath").unwrap();
    assert_eq!(
        m.shortcuts(),
        vec![("sob".into(), "short of breath".into())]
    );
    assert!(m.remove_shortcut("Sob"));
    assert!(!m.remove_shortcut("sob"));
    assert_eq!(m.expand("sob"), None);
    assert!(m.set_shortcut("", "x").is_err());
    assert!(m.set_shortcut("a b", "x").is_err());
    assert!(m.set_shortcut("ab", " ").is_err());
    assert!(m.set_shortcut("ab", "line\nbreak").is_err());
    assert!(m
        .set_shortcut("ab", &"y".repeat(MAX_EXPANSION_BYTES + 1))
        .is_err());
}

#[test]
fn bad_learn_input_is_refused() {
    let mut m = UserModel::default();
    assert!(matches!(
        m.learn("x", &phi(), f64::NAN),
        Err(Error::InvalidInput(_))
    ));
    let big = "word ".repeat(MAX_LEARN_BYTES / 5 + 1);
    assert!(matches!(
        m.learn(&big, &phi(), DAY),
        Err(Error::InvalidInput(_))
    ));
    assert!(m.is_empty());
    // Odd but valid text never panics.
    for t in [
        "",
        "\u{0}\u{feff}",
        "''' --- ...",
        "a-",
        "-a",
        "ǅemal ǈ",
        "\r\n\r",
        "@@",
        "x.y.z",
    ] {
        m.learn(t, &phi(), DAY).unwrap();
    }
}

#[test]
fn capacity_is_enforced() {
    let mut m = UserModel::default();
    m.set_config(LearnConfig {
        max_words: 100,
        max_ngrams: 100,
        ..LearnConfig::default()
    })
    .unwrap();
    m.add_word("keepme").unwrap();
    let text: String = (0..2000).map(|i| format!("w{} ", letters(i))).collect();
    m.learn(&text, &phi(), DAY).unwrap();
    assert!(m.len() <= 101, "{}", m.len());
    let (bi, tri) = m.ngram_len();
    assert!(bi <= 101 && tri <= 101, "{bi} {tri}");
    assert!(m.knows("keepme"));
    // Old, faded entries go on prune.
    m.prune(DAY + 10_000.0).unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m.ngram_len(), (0, 0));
}

fn letters(mut i: usize) -> String {
    let mut s = String::new();
    loop {
        s.push((b'a' + (i % 26) as u8) as char);
        i /= 26;
        if i == 0 {
            return s;
        }
    }
}

// ---------- PHI ----------

#[test]
fn phi_never_learned() {
    let mut m = UserModel::default();
    m.set_config(LearnConfig {
        min_uses: 1,
        ..LearnConfig::default()
    })
    .unwrap();
    let lines = [
        "Seen with Mr. Quorvath and Mrs Ellendrue Vashti today.",
        "Patient name: Brannoch Teulfi",
        "Name: Ysolde",
        "Dr. Halvennick reviewed; Wendeline agrees, Wendeline Parrow too.",
        "MRN 88812345, phone 555-201-7788, DOB 02/03/1961, SSN 123-45-6789.",
        "email brannoch.t@example.org or see https://records.example.com/p/1 and www.portal.test",
    ];
    for l in lines {
        m.learn(l, &phi(), DAY).unwrap();
    }
    let snap = snapshot(&m);
    for secret in [
        "quorvath",
        "ellendrue",
        "vashti",
        "brannoch",
        "teulfi",
        "ysolde",
        "halvennick",
        "wendeline",
        "parrow",
        "88812345",
        "555",
        "1961",
        "6789",
        "example",
        "records",
        "portal",
    ] {
        assert!(!m.knows(secret), "{secret}");
        assert!(
            !snap
                .windows(secret.len())
                .any(|w| w.eq_ignore_ascii_case(secret.as_bytes())),
            "{secret} in model bytes"
        );
    }
    for fine in [
        "seen", "today", "patient", "reviewed", "agrees", "phone", "email",
    ] {
        assert!(m.knows(fine), "{fine}");
    }
    // No n-gram bridges a dropped token: "with" and "and" were around a name.
    assert!(m.log10_prob(&["mr"], "and", DAY).is_some());
    let c = m.candidates(&["mr"], "", 5, DAY);
    assert!(c.is_empty(), "{c:?}");
    let c = m.candidates(&["phone"], "", 5, DAY);
    assert!(c.is_empty(), "{c:?}");
}

// ---------- word lists ----------

#[test]
fn export_and_import_word_lists() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = model_with("Xarelto Xarelto held held once");
    m.add_word("and/or").unwrap();
    for dic in [false, true] {
        let p = dir.path().join(if dic { "w.dic" } else { "w.txt" });
        m.export_words(&p, dic).unwrap();
        let text = fs::read_to_string(&p).unwrap();
        if dic {
            assert_eq!(text, "3\nand\\/or\nheld\nXarelto\n");
        } else {
            assert_eq!(text, "and/or\nheld\nXarelto\n");
        }
        let mut fresh = UserModel::default();
        assert_eq!(fresh.import_words(&p).unwrap(), 3);
        assert!(fresh.knows("xarelto") && fresh.knows("and/or") && !fresh.knows("once"));
        assert_eq!(fresh.import_words(&p).unwrap(), 0);
    }
    // Hunspell with flags and morphological fields.
    let p = dir.path().join("h.dic");
    fs::write(
        &p,
        "\u{feff}3\nrivaroxaban/M\nApixaban/SM po:noun\n\nDabigatran\n",
    )
    .unwrap();
    let mut fresh = UserModel::default();
    assert_eq!(fresh.import_words(&p).unwrap(), 3);
    let words: Vec<String> = fresh.words(DAY).into_iter().map(|w| w.0).collect();
    assert_eq!(words, ["Apixaban", "Dabigatran", "rivaroxaban"]);
}

#[test]
fn bad_word_lists_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = UserModel::default();
    let p = dir.path().join("bad.txt");
    fs::write(&p, b"fine\nsecretword\xff\n").unwrap();
    let e = m.import_words(&p).unwrap_err();
    assert!(matches!(e.root(), Error::Parse { line: 2, .. }), "{e}");
    assert!(!e.to_string().contains("secretword"));
    fs::write(&p, "ok\nsecret phrase here\n").unwrap();
    let e = m.import_words(&p).unwrap_err();
    assert!(matches!(e.root(), Error::Parse { line: 2, .. }), "{e}");
    assert!(!e.to_string().contains("secret"));
    // All or nothing.
    assert!(m.is_empty());
    assert!(m.import_words(&dir.path().join("missing.txt")).is_err());
    // Capacity.
    m.set_config(LearnConfig {
        max_words: 100,
        ..LearnConfig::default()
    })
    .unwrap();
    let list: String = (0..101).map(|i| format!("w{}\n", letters(i))).collect();
    fs::write(&p, list).unwrap();
    assert!(matches!(
        m.import_words(&p).unwrap_err().root(),
        Error::InvalidInput(_)
    ));
    assert!(m.is_empty());
}

// ---------- store ----------

fn sample_model(m: &mut UserModel, n: usize) {
    let text: String = (0..n)
        .map(|i| {
            format!(
                "zq{} rivaroxaban{} ",
                letters(i),
                if i % 7 == 0 { "." } else { "" }
            )
        })
        .collect();
    m.learn(&text, &phi(), DAY).unwrap();
    m.learn(&text, &phi(), DAY + 1.0).unwrap();
    m.set_shortcut("sob", "shortness of breath").unwrap();
    m.add_word("Eliquis").unwrap();
}

#[test]
fn store_round_trip_raw_and_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("user.kws");
    let mut s = UserStore::open(&p, StoreKey::Raw([3; 32])).unwrap();
    assert!(s.model().is_empty());
    assert!(!p.exists(), "nothing written before save");
    sample_model(s.model_mut(), 50);
    s.save().unwrap();
    let want = snapshot(s.model());
    drop(s); // one UserStore of a file at a time
    let s2 = UserStore::open(&p, StoreKey::Raw([3; 32])).unwrap();
    assert_eq!(snapshot(s2.model()), want);
    assert_eq!(s2.model().expand("SOB"), Some("shortness of breath"));
    // A second UserStore of the same file is refused while this one lives.
    assert!(matches!(
        UserStore::open(&p, StoreKey::Raw([3; 32]))
            .unwrap_err()
            .root(),
        Error::InUse(_)
    ));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o077, 0);
    }

    let q = dir.path().join("pass.kws");
    let mut s =
        UserStore::open_with(&q, StoreKey::Passphrase("correct horse".into()), FAST_KDF).unwrap();
    sample_model(s.model_mut(), 10);
    s.save().unwrap();
    // Saving twice uses a fresh nonce: different bytes, same content.
    let first = fs::read(&q).unwrap();
    s.save().unwrap();
    assert_ne!(first, fs::read(&q).unwrap());
    let want_q = snapshot(s.model());
    drop(s);
    let q2 = UserStore::open(&q, StoreKey::Passphrase("correct horse".into())).unwrap();
    assert_eq!(snapshot(q2.model()), want_q);

    // Default Argon2 parameters work too.
    let r = dir.path().join("default.kws");
    let mut s = UserStore::open(&r, StoreKey::Passphrase("pw".into())).unwrap();
    s.save().unwrap();
    s.release();
    assert!(UserStore::open(&r, StoreKey::Passphrase("pw".into())).is_ok());

    // Re-key: the old key stops working after the next save.
    drop(s2);
    let mut s = UserStore::open(&p, StoreKey::Raw([3; 32])).unwrap();
    s.rekey(StoreKey::Passphrase("new pass".into()), FAST_KDF)
        .unwrap();
    s.save().unwrap();
    drop(s);
    assert!(is_integrity(
        &UserStore::open(&p, StoreKey::Raw([3; 32])).unwrap_err()
    ));
    let s2 = UserStore::open(&p, StoreKey::Passphrase("new pass".into())).unwrap();
    assert_eq!(snapshot(s2.model()), want);
}

#[test]
fn wrong_keys_are_detected_and_leave_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("user.kws");
    let mut s = UserStore::open(&p, StoreKey::Raw([1; 32])).unwrap();
    sample_model(s.model_mut(), 5);
    s.save().unwrap();
    drop(s);
    let before = fs::read(&p).unwrap();
    let mut k = [1; 32];
    k[31] = 2;
    for key in [StoreKey::Raw(k), StoreKey::Passphrase("x".into())] {
        let e = UserStore::open(&p, key).unwrap_err();
        assert!(is_integrity(&e), "{e}");
    }
    let q = dir.path().join("pass.kws");
    let mut s = UserStore::open_with(&q, StoreKey::Passphrase("right".into()), FAST_KDF).unwrap();
    s.save().unwrap();
    drop(s);
    for key in [StoreKey::Passphrase("wrong".into()), StoreKey::Raw([1; 32])] {
        assert!(is_integrity(&UserStore::open(&q, key).unwrap_err()));
    }
    assert!(matches!(
        UserStore::open(&q, StoreKey::Passphrase(String::new()))
            .unwrap_err()
            .root(),
        Error::InvalidInput(_)
    ));
    assert_eq!(fs::read(&p).unwrap(), before);
}

fn flip_and_open(p: &Path, orig: &[u8], bit: usize, key: [u8; 32]) {
    let mut bytes = orig.to_vec();
    bytes[bit / 8] ^= 1 << (bit % 8);
    fs::write(p, &bytes).unwrap();
    match UserStore::open(p, StoreKey::Raw(key)) {
        Err(e) => assert!(is_integrity(&e), "bit {bit}: {e}"),
        Ok(_) => panic!("bit {bit} flip not detected"),
    }
    // A failed open never rewrites the file.
    assert_eq!(fs::read(p).unwrap(), bytes);
}

#[test]
fn every_bit_flip_of_a_small_store_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("small.kws");
    let mut s = UserStore::open(&p, StoreKey::Raw([9; 32])).unwrap();
    s.model_mut()
        .learn("held held xarelto", &phi(), DAY)
        .unwrap();
    s.model_mut()
        .set_shortcut("sob", "shortness of breath")
        .unwrap();
    s.save().unwrap();
    drop(s);
    let orig = fs::read(&p).unwrap();
    assert!(orig.len() < 400, "{}", orig.len());
    for bit in 0..orig.len() * 8 {
        flip_and_open(&p, &orig, bit, [9; 32]);
    }
}

#[test]
fn random_bit_flips_of_a_larger_store_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("large.kws");
    let mut s = UserStore::open(&p, StoreKey::Raw([5; 32])).unwrap();
    sample_model(s.model_mut(), 3000);
    s.save().unwrap();
    drop(s);
    let orig = fs::read(&p).unwrap();
    assert!(orig.len() > 100_000, "{}", orig.len());
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..1000 {
        // xorshift: deterministic positions, spread over the whole file
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        flip_and_open(&p, &orig, (rng % (orig.len() as u64 * 8)) as usize, [5; 32]);
    }
}

#[test]
fn passphrase_header_damage_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pass.kws");
    let mut s = UserStore::open_with(&p, StoreKey::Passphrase("pw".into()), FAST_KDF).unwrap();
    s.save().unwrap();
    drop(s);
    let orig = fs::read(&p).unwrap();
    // Every bit of the key-source byte, KDF fields and salt (bytes 6..36). Memory-cost bits
    // 10..=17 are left out only because they make Argon2 legitimately slow (1-128 MiB, slow
    // in debug builds); bits from 18 up exceed the 256 MiB bound and are refused unrun.
    for bit in 6 * 8..36 * 8 {
        if (8 * 8 + 10..=8 * 8 + 17).contains(&bit) {
            continue;
        }
        let mut b = orig.clone();
        b[bit / 8] ^= 1 << (bit % 8);
        fs::write(&p, &b).unwrap();
        let e = UserStore::open(&p, StoreKey::Passphrase("pw".into())).unwrap_err();
        assert!(is_integrity(&e), "bit {bit}: {e}");
    }
}

#[test]
fn truncation_and_padding_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("user.kws");
    let mut s = UserStore::open(&p, StoreKey::Raw([4; 32])).unwrap();
    sample_model(s.model_mut(), 20);
    s.save().unwrap();
    drop(s);
    let orig = fs::read(&p).unwrap();
    let n = orig.len();
    for len in [0, 1, 4, 59, 60, 75, 76, n / 2, n - 16, n - 1] {
        fs::write(&p, &orig[..len]).unwrap();
        let e = UserStore::open(&p, StoreKey::Raw([4; 32])).unwrap_err();
        assert!(is_integrity(&e), "len {len}: {e}");
    }
    let mut padded = orig.clone();
    padded.push(0);
    fs::write(&p, &padded).unwrap();
    assert!(is_integrity(
        &UserStore::open(&p, StoreKey::Raw([4; 32])).unwrap_err()
    ));
}

#[test]
fn interrupted_save_leaves_the_old_state() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("user.kws");
    let mut s = UserStore::open(&p, StoreKey::Raw([6; 32])).unwrap();
    s.model_mut().learn("old old state", &phi(), DAY).unwrap();
    s.save().unwrap();
    let old = snapshot(s.model());
    s.model_mut()
        .learn("newer newer words", &phi(), DAY)
        .unwrap();
    // The crash: the temporary file is complete but never renamed, and the process ends (the
    // OS drops its lock).
    let tmp = s.save_uncommitted().unwrap();
    assert!(tmp.exists() && tmp.parent() == p.parent());
    drop(s);
    let mut reopened = UserStore::open(&p, StoreKey::Raw([6; 32])).unwrap();
    assert_eq!(snapshot(reopened.model()), old);
    assert!(!reopened.model().knows("newer"));
    // The next save completes and clears the leftover.
    reopened
        .model_mut()
        .learn("newer newer words", &phi(), DAY)
        .unwrap();
    reopened.save().unwrap();
    assert!(!tmp.exists());
    let mut names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, [".user.kws.lock", "user.kws"]);
    drop(reopened);
    assert!(UserStore::open(&p, StoreKey::Raw([6; 32]))
        .unwrap()
        .model()
        .knows("newer"));
}

#[test]
fn unusable_paths_give_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = UserStore::open(
        &dir.path().join("no/such/dir/u.kws"),
        StoreKey::Raw([0; 32]),
    )
    .unwrap();
    assert!(matches!(s.save().unwrap_err().root(), Error::Io(_)));
    assert!(UserStore::open(dir.path(), StoreKey::Raw([0; 32])).is_err());
}

#[test]
fn saved_bytes_hold_no_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("user.kws");
    let mut s = UserStore::open(&p, StoreKey::Raw([8; 32])).unwrap();
    let markers = ["Zarquondrel", "Plimbotaxin", "flurbenhaxol"];
    for _ in 0..3 {
        s.model_mut()
            .learn("started Zarquondrel and Plimbotaxin today", &phi(), DAY)
            .unwrap();
    }
    s.model_mut().add_word("flurbenhaxol").unwrap();
    s.model_mut()
        .set_shortcut("zqx", "Plimbotaxin twice daily")
        .unwrap();
    assert!(s.model().knows("zarquondrel"));
    let tmp = s.save_uncommitted().unwrap();
    s.save().unwrap();
    let _ = tmp;
    let bytes = fs::read(&p).unwrap();
    for m in markers {
        for form in [m.to_string(), m.to_lowercase(), m.to_uppercase()] {
            let utf8 = form.as_bytes().to_vec();
            let le: Vec<u8> = form.encode_utf16().flat_map(u16::to_le_bytes).collect();
            let be: Vec<u8> = form.encode_utf16().flat_map(u16::to_be_bytes).collect();
            for needle in [utf8, le, be] {
                assert!(!bytes.windows(needle.len()).any(|w| w == needle), "{form}");
            }
        }
    }
}

#[test]
fn errors_never_echo_user_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = UserModel::default();
    let secret = "Brannoch";
    let errs = [
        m.add_word(&format!("{secret} {secret}")).unwrap_err(),
        m.set_shortcut(&format!("{secret} x"), "y").unwrap_err(),
        m.set_shortcut("ok", &format!("{secret}\u{7}")).unwrap_err(),
        m.learn(secret, &phi(), f64::INFINITY).unwrap_err(),
        UserStore::open(&dir.path().join("x"), StoreKey::Passphrase(String::new())).unwrap_err(),
    ];
    for e in errs {
        assert!(!e.to_string().contains(secret), "{e}");
    }
    assert!(!format!("{:?}", StoreKey::Raw([1; 32])).contains('1'));
    assert!(!format!("{:?}", StoreKey::Passphrase(secret.into())).contains(secret));
    m.learn(
        "Brannoch Brannoch",
        &PhiFilter::new(PhiPolicy::Off, vec![]),
        DAY,
    )
    .unwrap();
    assert!(!format!("{m:?}").to_lowercase().contains("brannoch"));
}

// ---------- properties ----------

const VOCAB: &[&str] = &[
    "the",
    "patient",
    "denies",
    "chest",
    "pain",
    "fever",
    "Cough",
    "with",
    "and",
    "mg",
    "daily",
    "Xarelto",
    "no",
    "MRI",
    "shortness",
    "of",
    "breath",
];

/// Every answer the model gives about the vocabulary, as numbers (-99 for "none").
fn semantics(m: &UserModel, now: f64) -> Vec<f64> {
    let mut out = Vec::new();
    for (_, c) in m.words(now) {
        out.push(c);
    }
    for w in VOCAB {
        out.push(f64::from(u8::from(m.knows(w))));
        for prev in [&[][..], &["the"][..], &["patient", "denies"][..], &[*w][..]] {
            out.push(m.log10_prob(prev, w, now).map_or(-99.0, f64::from));
        }
    }
    out
}

fn text_strategy() -> impl Strategy<Value = String> {
    let tok = prop_oneof![
        8 => proptest::sample::select(VOCAB).prop_map(str::to_string),
        1 => Just(".".to_string()),
        1 => Just(",".to_string()),
        1 => Just("\n".to_string()),
        1 => (0u32..100).prop_map(|n| n.to_string()),
    ];
    proptest::collection::vec(tok, 0..60).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Learning text made only of a new word, then forgetting it, restores the model: exactly
    /// on the same day, and in every answer it gives on a later day.
    #[test]
    fn learn_then_forget_restores(
        base in text_strategy(),
        word in "zq[a-z]{3,8}",
        seps in proptest::collection::vec(prop_oneof![Just(" "), Just(". "), Just(", "), Just("\n")], 1..8),
        upper in any::<bool>(),
        dt in prop_oneof![Just(0.0f64), 0.0f64..400.0],
    ) {
        let mut m = UserModel::default();
        m.learn(&base, &phi(), DAY).unwrap();
        let before = snapshot(&m);
        let later = DAY + 500.0;
        let answers = semantics(&m, later);
        let w = if upper { word.to_uppercase() } else { word.clone() };
        let text: String = seps.iter().map(|s| format!("{w}{s}")).collect();
        m.learn(&text, &phi(), DAY + dt).unwrap();
        prop_assert!(m.forget(&word));
        if dt == 0.0 {
            prop_assert_eq!(snapshot(&m), before);
        }
        let after = semantics(&m, later);
        prop_assert_eq!(after.len(), answers.len());
        for (x, y) in after.iter().zip(&answers) {
            prop_assert!((x - y).abs() < 1e-5, "{} vs {}", x, y);
        }
    }

    /// Forgetting a word mixed into other text leaves no trace of it.
    #[test]
    fn forget_leaves_no_trace(base in text_strategy(), word in "zq[a-z]{3,8}", every in 1usize..5) {
        let mut m = UserModel::default();
        let mixed: String = base
            .split(' ')
            .enumerate()
            .map(|(i, t)| if i % every == 0 { format!("{word} {t} ") } else { format!("{t} ") })
            .collect();
        m.learn(&mixed, &phi(), DAY).unwrap();
        m.forget(&word);
        prop_assert!(!m.knows(&word));
        let snap = snapshot(&m);
        prop_assert!(!snap.windows(word.len()).any(|x| x == word.as_bytes()));
        for v in VOCAB {
            prop_assert!(m.candidates(&[v], "zq", 5, DAY).is_empty());
        }
    }

    /// Anything learned survives a save and open unchanged.
    #[test]
    fn codec_round_trip(base in text_strategy(), dt in 0.0f64..100.0) {
        let mut m = UserModel::default();
        m.learn(&base, &phi(), DAY).unwrap();
        m.learn(&base, &phi(), DAY + dt).unwrap();
        let bytes = codec::encode(&m, 0);
        let back = codec::decode(&bytes).unwrap();
        prop_assert_eq!(snapshot(&back), bytes.to_vec());
    }

    /// The decoder never panics on damaged plaintext.
    #[test]
    fn decode_garbage_never_panics(base in text_strategy(), cut in any::<prop::sample::Index>(), flip in any::<u8>()) {
        let mut m = UserModel::default();
        m.learn(&base, &phi(), DAY).unwrap();
        let mut bytes = codec::encode(&m, 0).to_vec();
        let i = cut.index(bytes.len());
        bytes[i] ^= flip;
        let _ = codec::decode(&bytes);
        let _ = codec::decode(&bytes[..i]);
    }
}
