"""Latency of decoding a 10-letter word from noisy taps, in context, from Python.

    python benches/decode_latency.py [--pack DIR] [--n 3000] [--sigma 0.25] [--seed 0] [--json]

Each call is one public API call as an app makes it, timed with ``time.perf_counter_ns``:

* ``suggest``: ``engine.suggest(context + typed, k=3, taps=taps)`` with the whole 10-letter
  word tapped (the decoder reads 10 taps; literal completions are merged in);
* ``correction``: ``engine.correction(context + typed + " ", taps)`` (the autocorrect decision
  on space, the same decode without completions plus the guard).

The 10-letter words and contexts are fixed below; taps are key centres plus Gaussian noise
(``--sigma`` key widths, seeded); the typed characters are the keys the taps land on. A
warm-up pass is not timed. The neural reranker is off (it never runs on the decode path).
Target (issue 3): p99 under 1 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

import keywise
from keywise.eval.autocorrect import Typist
from keywise.eval.ksr import percentile

WORDS = [
    "medication", "creatinine", "evaluation", "infections", "discomfort", "management",
    "tenderness", "antibiotic", "ultrasound", "depression", "prescribed", "laboratory",
    "gabapentin", "radiograph", "consistent", "difficulty", "previously", "complaints",
    "metoprolol", "lisinopril", "amlodipine", "hemoglobin", "vaccinated",
    "physically", "swallowing",
]
CONTEXTS = [
    "The patient reports ",
    "We will continue the ",
    "She was started on ",
    "History of ",
    "",
    "He denies any ",
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pack", default=None)
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--sigma", type=float, default=0.25)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    assert all(len(w) == 10 for w in WORDS)
    engine = keywise.Engine.load(a.pack, neural=False)
    typist = Typist(engine.layout(), a.sigma, a.seed)
    rng = random.Random(a.seed)
    cases = []
    for _ in range(a.n):
        typed, taps = typist.type(rng.choice(WORDS))
        cases.append((rng.choice(CONTEXTS), typed, taps))
    for ctx, typed, taps in cases[:200]:  # warm-up
        engine.suggest(ctx + typed, 3, taps)
        engine.correction(ctx + typed + " ", taps)
    res = {}
    hits = 0
    for name in ("suggest", "correction"):
        lat = []
        for ctx, typed, taps in cases:
            if name == "suggest":
                t0 = time.perf_counter_ns()
                engine.suggest(ctx + typed, 3, taps)
                lat.append((time.perf_counter_ns() - t0) / 1e6)
            else:
                t0 = time.perf_counter_ns()
                engine.correction(ctx + typed + " ", taps)
                lat.append((time.perf_counter_ns() - t0) / 1e6)
        res[name] = {
            "n": len(lat),
            "p50_ms": round(percentile(lat, 50), 4),
            "p99_ms": round(percentile(lat, 99), 4),
            "max_ms": round(max(lat), 4),
        }
    for ctx, typed, taps in cases[:500]:
        hits += any(s.text.lower() in WORDS for s in engine.suggest(ctx + typed, 3, taps))
    res["top3_hit_rate_first_500"] = round(hits / min(500, len(cases)), 3)
    res["typed_with_typo"] = round(sum(t not in WORDS for _, t, _ in cases) / len(cases), 3)
    res["sigma"] = a.sigma
    if a.json:
        print(json.dumps(res, indent=1))
    else:
        for name in ("suggest", "correction"):
            r = res[name]
            print(f"{name:10s} 10-letter word from taps: p50 {r['p50_ms']:.3f} ms  p99 {r['p99_ms']:.3f} ms  max {r['max_ms']:.3f} ms  (n={r['n']})")
        print(f"  {100 * res['typed_with_typo']:.0f}% of the typed words had a typo; intended word in the top 3: {100 * res['top3_hit_rate_first_500']:.0f}% (first 500)")
    ok = res["suggest"]["p99_ms"] < 1.0 and res["correction"]["p99_ms"] < 1.0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
