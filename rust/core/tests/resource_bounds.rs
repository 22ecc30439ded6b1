//! Resource bounds: files that claim absurd sizes are refused before anything is allocated for
//! them, and one call's work is bounded whatever the input length.
//! Time limits here are generous (a shared 2-core machine, a debug build): they catch a hang or
//! quadratic blow-up, not a slow machine.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use keywise_core::decode::{DecodeOptions, Level, Tap};
use keywise_core::engine::Engine;
use keywise_core::format::{self, Kind, Writer};
use keywise_core::lexicon::{Lexicon, LexiconBuilder};
use keywise_core::ngram::arpa::read_arpa;
use keywise_core::ngram::NgramModel;
use keywise_core::pack::{self, Recipe};
use keywise_core::personal::{StoreKey, UserStore};
use keywise_core::Error;

fn quick<T>(what: &str, limit_ms: u64, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let r = f();
    let dt = t.elapsed();
    assert!(
        dt < Duration::from_millis(limit_ms),
        "{what} took {dt:?} (limit {limit_ms} ms)"
    );
    r
}

fn corrupt<T>(r: Result<T, Error>) {
    match r {
        Err(Error::Corrupt(_)) => {}
        Err(e) => panic!("expected Error::Corrupt, got {e}"),
        Ok(_) => panic!("an absurd file was accepted"),
    }
}

/// A header whose payload-length field claims `len` bytes (with a valid header CRC).
fn header_claiming(kind: Kind, len: u64) -> Vec<u8> {
    let mut b = format::wrap(kind, &[]);
    b[8..16].copy_from_slice(&len.to_le_bytes());
    let c = crc32fast::hash(&b[..20]);
    b[20..24].copy_from_slice(&c.to_le_bytes());
    b
}

#[test]
fn header_claiming_2_pow_60_bytes_fails_fast() {
    for kind in [Kind::Lexicon, Kind::Ngram] {
        let b = header_claiming(kind, 1 << 60);
        quick("open", 50, || corrupt(format::open(&b, kind)));
    }
    let b = header_claiming(Kind::Lexicon, 1 << 60);
    quick("lexicon", 50, || corrupt(Lexicon::from_bytes(&b, false)));
    let b = header_claiming(Kind::Ngram, u64::MAX);
    quick("ngram", 50, || corrupt(NgramModel::from_bytes(b)));
}

#[test]
fn section_lengths_and_counts_claiming_huge_sizes_fail_fast() {
    // lexicon claiming 2^32 - 1 words with tiny sections
    let mut w = Writer::default();
    w.u32(u32::MAX);
    w.section(b"abc");
    w.u32s(&[0, 3]);
    w.section(b"");
    w.u32s(&[0, 0]);
    w.u32s(&[1]);
    w.section(&[0]);
    let b = format::wrap(Kind::Lexicon, &w.buf);
    quick("lexicon count", 50, || {
        corrupt(Lexicon::from_bytes(&b, true))
    });

    // a section whose u64 length is 2^60 (and u64::MAX: no overflow in the bounds check)
    for n in [1u64 << 60, u64::MAX, u64::MAX - 7] {
        let mut p = 5u32.to_le_bytes().to_vec();
        p.extend_from_slice(&[0; 4]);
        p.extend_from_slice(&n.to_le_bytes());
        let b = format::wrap(Kind::Lexicon, &p);
        quick("lexicon section", 50, || {
            corrupt(Lexicon::from_bytes(&b, true))
        });
    }

    // n-gram model: order 3 claiming 2^32 - 1 words, and sections claiming 2^60 bytes
    let mut p = Vec::new();
    p.extend_from_slice(&3u32.to_le_bytes());
    p.extend_from_slice(&u32::MAX.to_le_bytes());
    p.extend_from_slice(&0u64.to_le_bytes());
    p.extend_from_slice(&(1u64 << 60).to_le_bytes());
    quick("ngram section", 50, || {
        corrupt(NgramModel::from_bytes(format::wrap(Kind::Ngram, &p)))
    });
    let mut p = Vec::new();
    p.extend_from_slice(&2u32.to_le_bytes());
    p.extend_from_slice(&u32::MAX.to_le_bytes());
    p.extend_from_slice(&0u64.to_le_bytes());
    for _ in 0..4 {
        p.extend_from_slice(&8u64.to_le_bytes());
        p.extend_from_slice(&[0; 8]);
    }
    quick("ngram vocab count", 50, || {
        corrupt(NgramModel::from_bytes(format::wrap(Kind::Ngram, &p)))
    });
}

#[test]
fn arpa_declaring_a_trillion_ngrams_is_handled_fast() {
    // The reader reserves at most 2^20 entries per declared order and, like other ARPA
    // readers, accepts fewer n-grams than declared: what counts is what is there.
    let t =
        "\\data\\\nngram 1=1000000000000\nngram 2=1000000000000\n\n\\1-grams:\n-1\ta\n\\end\\\n";
    let r = quick("arpa", 500, || read_arpa(t.as_bytes()));
    if let Ok(tables) = r {
        let m = NgramModel::from_bytes(tables.to_bytes()).unwrap();
        assert_eq!(m.entries(2), 0);
        assert_eq!(m.vocab_size(), 4);
    }
    let t = "\\data\\\nngram 1=1000000000000\n\n\\1-grams:\n-1\ta\n";
    quick("arpa without end", 500, || {
        assert!(read_arpa(t.as_bytes()).is_err())
    });
}

#[test]
fn user_store_larger_than_1_gib_is_refused_unread() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("big.kws");
    // sparse: no disk is used and nothing is read
    let f = std::fs::File::create(&p).unwrap();
    f.set_len((1 << 30) + 1).unwrap();
    drop(f);
    let r = quick("store", 200, || UserStore::open(&p, StoreKey::Raw([1; 32])));
    assert!(matches!(r.map_err(|e| e.root().to_string()), Err(m) if m.contains("1 GiB")));
    // truncated and empty files are integrity errors, not panics
    for n in [0u64, 59, 75] {
        std::fs::File::create(&p).unwrap().set_len(n).unwrap();
        let r = UserStore::open(&p, StoreKey::Raw([1; 32]));
        assert!(matches!(
            r.map_err(|e| e.root().clone_kind()),
            Err("integrity")
        ));
    }
}

trait KindName {
    fn clone_kind(&self) -> &'static str;
}
impl KindName for Error {
    fn clone_kind(&self) -> &'static str {
        match self {
            Error::Integrity(_) => "integrity",
            Error::Corrupt(_) => "corrupt",
            _ => "other",
        }
    }
}

fn engine() -> &'static Engine {
    static E: OnceLock<(tempfile::TempDir, Engine)> = OnceLock::new();
    &E.get_or_init(|| {
        let f = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
        let r = Recipe {
            domain_corpora: vec![],
            domain_weight: 0.0,
            ..Recipe::fixture(&f, "bounds")
        };
        let d = tempfile::tempdir().unwrap();
        pack::build(&r, d.path(), &mut |_, _| {}).unwrap();
        let e = pack::load(d.path()).unwrap();
        (d, e)
    })
    .1
}

/// Median of 3 runs, so one scheduler hiccup on the shared machine does not fail the test.
fn median_ms(mut f: impl FnMut()) -> f64 {
    let mut v: Vec<f64> = (0..3)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[1]
}

#[test]
fn decoder_work_is_bounded_for_1000_taps_and_megabyte_text() {
    let e = engine();
    let word: String = "abcdefghij".repeat(100); // 1000 chars, one "word"
    let taps: Vec<Tap> = (0..1000)
        .map(|i| Tap {
            x: (i % 10) as f32 + 0.5,
            y: 0.5,
        })
        .collect();
    let mb: String = "the patient denies chest pain ".repeat(35_000); // ~1 MB
    let mb_word: String = "x".repeat(1 << 20);
    let mut out = Vec::new();
    // a short word, for scale
    let base = median_ms(|| {
        e.suggest_with_taps("patinet", None, 5, &mut out).unwrap();
    });
    let long = median_ms(|| {
        let _ = e.suggest_with_taps(&word, Some(&taps), 5, &mut out);
        let _ = e.autocorrect(&word, Some(&taps), Level::Aggressive, &|_| false);
    });
    let text = median_ms(|| {
        e.suggest(&mb, 5, &mut out).unwrap();
        let _ = e.suggest_with_taps(&mb_word, None, 5, &mut out);
        let _ = e.autocorrect(&mb_word, None, Level::Normal, &|_| false);
    });
    // the raw decoder too, with its own scratch
    let dec = e.decoder();
    let mut scratch = dec.scratch();
    let lm = |id: u32| e.lexicon().log10_unigram(id);
    let raw = median_ms(|| {
        let mut c = Vec::new();
        let _ = dec.decode(
            e.lexicon(),
            &word,
            Some(&taps),
            &lm,
            &DecodeOptions::default(),
            &mut scratch,
            &mut c,
        );
    });
    eprintln!(
        "short {base:.2} ms, 1000 taps {long:.2} ms, 1 MB text {text:.2} ms, raw {raw:.2} ms"
    );
    // Bounded: the tail read is 512 bytes and the decoder stops at its max_chars, so the long
    // inputs cost at most a small multiple of a normal word.
    for (what, ms) in [
        ("1000 taps", long),
        ("1 MB text", text),
        ("raw decode", raw),
    ] {
        assert!(
            ms < 250.0 + 50.0 * base,
            "{what}: {ms:.1} ms vs {base:.2} ms for a short word"
        );
    }
}

#[test]
fn lexicon_queries_with_absurd_arguments_are_bounded() {
    let mut b = LexiconBuilder::new();
    for w in ["chest", "pain", "patient"] {
        b.add(w, 3, 0);
    }
    let lex = b.build();
    let mut out = Vec::new();
    quick("top_in_range", 50, || {
        lex.top_in_range(0..u32::MAX, usize::MAX, &mut out)
    });
    assert_eq!(out.len(), 3);
}
