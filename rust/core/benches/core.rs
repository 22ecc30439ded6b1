//! Criterion benches of the per-keystroke path on the shipped pack (models/en-clinical):
//! lexicon prefix top-k, one LM score, suggest() for a completion and a next word, and decoding
//! a 10-letter word from taps. `cargo bench -p keywise-core`.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use keywise_core::decode::{Level, Tap};
use keywise_core::ngram::LmState;

fn pack() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/en-clinical")
}

fn benches(c: &mut Criterion) {
    let engine = match keywise_core::pack::load(&pack()) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("skipping benches: {e}");
            return;
        }
    };
    let lex = engine.lexicon();
    c.bench_function("lexicon top-3 of prefix 'p'", |b| {
        let mut out = Vec::with_capacity(8);
        b.iter(|| {
            out.clear();
            lex.top_in_range(lex.prefix_range("p"), 3, &mut out);
            out.len()
        })
    });
    let pain = lex.id("pain").unwrap_or(3);
    let mut state = LmState::sentence_start();
    for w in ["the", "patient", "denies", "chest"] {
        state.push(lex.id(w).unwrap_or(0), 3);
    }
    c.bench_function("lm log10 p(pain | ... denies chest)", |b| {
        b.iter(|| {
            let ctx = engine.context(&state);
            engine.log10_prob(&ctx, pain)
        })
    });
    let mut out = Vec::with_capacity(8);
    c.bench_function("suggest completion 'The patient denies ch'", |b| {
        b.iter(|| engine.suggest("The patient denies ch", 3, &mut out))
    });
    c.bench_function("suggest next word 'shortness of '", |b| {
        b.iter(|| {
            engine.suggest(
                "The patient denies chest pain and shortness of ",
                3,
                &mut out,
            )
        })
    });
    let layout = engine.decoder().layout();
    let word = "hypertensi";
    let taps: Vec<Tap> = word
        .chars()
        .enumerate()
        .map(|(i, ch)| {
            let (x, y) = layout.centre(ch).unwrap_or((0.0, 0.0));
            // a fixed, deterministic wobble of up to a third of a key
            let d = ((i as f32) * 1.7).sin() * 0.33;
            Tap {
                x: x + d,
                y: y - d / 2.0,
            }
        })
        .collect();
    c.bench_function("decode 10 taps 'hypertensi' in context", |b| {
        b.iter(|| engine.suggest_with_taps("History of hypertensi", Some(&taps), 3, &mut out))
    });
    c.bench_function("autocorrect 'pstient'", |b| {
        b.iter(|| engine.autocorrect("The pstient ", None, Level::Normal, &|_| false))
    });
}

criterion_group!(core, benches);
criterion_main!(core);
