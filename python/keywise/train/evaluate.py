"""Word perplexity and KSR of the n-gram engine with and without the neural model.

Normalisation (both models scored on exactly the same words): the n-gram engine's own
tokenisation (``Engine.score_text``, lower-cased words) of each line, keeping only words the
n-gram lexicon knows (in-vocabulary) and dropping its ``<num>`` class. Each kept word is
located in the line; the neural model scores it given the line's text before it, as
P(pieces of the word) x P(the word ends there), the case folded by its tokenizer. Lines are
independent (as in the KSR typist). Perplexity = 10 ** (-mean log10 P).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

WEIGHT_GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def aligned_word_scores(engine: Any, lm: Any, lines: Sequence[str]) -> dict[str, Any]:
    """Per-word (n-gram log10, neural log10) pairs over the lines, plus what was skipped."""
    pairs: list[tuple[float, float]] = []
    skipped = {"oov": 0, "num": 0, "unaligned": 0, "neural_unscored": 0}
    t0 = time.perf_counter()
    for line in lines:
        low = line.lower()
        cursor = 0
        for word, log10_ngram, in_vocab in engine.score_text(line):
            if word == "<num>":
                skipped["num"] += 1
                continue
            pos = low.find(word, cursor)
            if pos < 0:
                skipped["unaligned"] += 1
                continue
            cursor = pos + len(word)
            if not in_vocab:
                skipped["oov"] += 1
                continue
            context = line[:pos]
            glued = bool(context) and not context[-1].isspace()
            neural = lm.word_log10_probs(context, [line[pos : pos + len(word)]], next_word=glued)[0]
            if not math.isfinite(neural):
                skipped["neural_unscored"] += 1
                continue
            pairs.append((float(log10_ngram), neural))
    return {"pairs": pairs, "skipped": skipped, "seconds": time.perf_counter() - t0}


def perplexities(pairs: Sequence[tuple[float, float]], grid: Sequence[float] = WEIGHT_GRID) -> dict[str, Any]:
    """Word perplexity of the n-gram, the neural model and their linear mixtures."""
    n = len(pairs)
    if not n:
        return {"words": 0}
    out: dict[str, Any] = {"words": n}
    out["ngram"] = 10 ** (-sum(a for a, _ in pairs) / n)
    out["neural"] = 10 ** (-sum(b for _, b in pairs) / n)
    mix = {}
    for w in grid:
        total = 0.0
        for a, b in pairs:
            total += math.log10(max((1 - w) * 10**a + w * 10**b, 1e-300))
        mix[f"{w:g}"] = 10 ** (-total / n)
    out["mixture"] = mix
    return out


def ksr_report(predict: Any, lines: Sequence[str], engine: Any = None) -> dict[str, Any]:
    """KSR and accuracies of `predict`; with `engine`, also the KSR of a typist in one of its
    text fields (`engine.field()`, which leaves out the words it showed for the word before)."""
    from keywise.eval.ksr import engine_predictor, evaluate, run_ksr

    rep = evaluate(predict, lines, ks=(1, 3), next_ks=(1, 3), completion_ks=(3,))
    field = {}
    if engine is not None:
        r = run_ksr(engine_predictor(engine, field=True), lines, k=3)
        field = {"ksr_k3_field": round(100 * r.ksr, 2), "field_p50_us": round(r.p50_us(), 1),
                 "field_p99_us": round(r.p99_us(), 1)}
    return {**field,
        "ksr_k1": round(100 * rep.ksr[1].ksr, 2),
        "ksr_k3": round(100 * rep.ksr[3].ksr, 2),
        "next_top1": round(rep.next_word[1].rate, 4),
        "next_top3": round(rep.next_word[3].rate, 4),
        "completion_top3": round(rep.completion[3].rate, 4),
        "p50_us": round(rep.p50_us(), 1),
        "p99_us": round(rep.p99_us(), 1),
        "calls": len(rep.latencies_us),
        "lines": rep.lines,
    }


def neural_predictor(engine: Any, lm: Any, pool_size: int | None = None) -> Any:
    """What Engine.suggest does with the neural model on, with our own NeuralLM (weight settable)."""
    from keywise import engine as engine_mod

    pool_size = engine_mod._NEURAL_POOL if pool_size is None else pool_size

    def predict(context: str, k: int) -> list[str]:
        pool = engine.suggest(context, max(k, pool_size))
        if len(pool) <= 1:
            return [s.text for s in pool[:k]]
        return [s.text for s in lm.rerank(context[-300:], pool, k)]

    return predict


def plain_predictor(engine: Any) -> Any:
    from keywise.eval.ksr import engine_predictor

    return engine_predictor(engine)
