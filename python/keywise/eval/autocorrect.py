"""Autocorrect precision and recall under simulated tap noise.

    keywise eval autocorrect FILE [--lines 300] [--seed 0] [--sigma 0.3] [--level normal] [--json]

The simulated typist (no real tap data exists here; this is kebbie's fuzzy-typing model):

* Words are the runs of ASCII letters (with internal apostrophes) of the first ``--lines``
  lines of FILE that start a token (after a space, a bracket or a quote; parts of tokens such
  as "year" in "59-year-old" are skipped and counted); everything else is context only.
* Each letter is tapped at its key centre (the engine's own layout) plus Gaussian noise with a
  standard deviation of ``--sigma`` key widths on x and ``--sigma`` rows on y (fixed
  ``--seed``). The character typed is the key whose box holds the tap (else the nearest key
  centre); a capital stays a capital (shift). Apostrophes are typed exactly.
* The context is the line before the word as it should read (kebbie's "input forcing"). On
  space the engine decides: ``engine.correction(context + typed + " ", taps, level)``; the
  word shown is the replacement when it is applied, else what was typed.

Counts and figures, defined as kebbie defines them (exact string match with the intended word):
TP = a mistyped word that ends right; FN = a mistyped word that does not; TN = a correctly typed
word left alone; FP = a correctly typed word that ends wrong (the "changed correct words").
precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2PR / (P + R); kebbie's headline
F-score uses beta 0.9, reported too. ``offered`` counts corrections held back by the clinical
safety guard (drug or dose) or shown without being applied.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")


@dataclass
class Counts:
    tp: int = 0
    fn: int = 0
    tn: int = 0
    fp: int = 0
    offered: int = 0
    guarded: int = 0
    words: int = 0
    skipped: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    def fbeta(self, beta: float = 1.0) -> float:
        return fbeta(self.precision, self.recall, beta)


def fbeta(precision: float, recall: float, beta: float = 1.0) -> float:
    """F-beta of a precision and a recall (0 when both are 0); kebbie's autocorrect F uses beta 0.9."""
    b2 = beta * beta
    p, r = precision, recall
    return (1 + b2) * p * r / (b2 * p + r) if p + r else 0.0


class Typist:
    """Gaussian taps around key centres on a keywise layout (``engine.layout()``)."""

    def __init__(self, layout: dict[str, Any], sigma: float, seed: int) -> None:
        if not (sigma >= 0 and sigma < 10):
            raise ValueError("sigma must be in [0, 10) key widths")
        self.keys = [k for k in layout["keys"] if isinstance(k, dict) and k["char"] != " "]  # type: ignore[index]
        self.centre = {k["char"]: (float(k["x"]), float(k["y"])) for k in self.keys}
        self.sigma = sigma
        self.rng = random.Random(seed)

    def key_at(self, x: float, y: float) -> str:
        for k in self.keys:
            if abs(x - k["x"]) <= k["w"] / 2 and abs(y - k["y"]) <= k["h"] / 2:
                return str(k["char"])
        return str(min(self.keys, key=lambda k: (x - k["x"]) ** 2 + (y - k["y"]) ** 2)["char"])

    def type(self, word: str) -> tuple[str, list[tuple[float, float]]]:
        typed = []
        taps = []
        for ch in word:
            c = self.centre.get(ch.lower())
            if c is None:  # not on the layout: typed as is
                typed.append(ch)
                taps.append((0.0, 0.0))
                continue
            x = c[0] + self.rng.gauss(0.0, self.sigma)
            y = c[1] + self.rng.gauss(0.0, self.sigma)
            k = self.key_at(x, y)
            typed.append(k.upper() if ch.isupper() else k)
            taps.append((x, y))
        return "".join(typed), taps


def evaluate(engine: Any, lines: list[str], sigma: float, seed: int, level: str) -> tuple[Counts, list[float]]:
    """Run the typist over `lines`; returns the counts and per-call latencies (ms)."""
    typist = Typist(engine.layout(), sigma, seed)
    c = Counts()
    lat: list[float] = []
    for line in lines:
        for m in WORD.finditer(line):
            word = m.group(0)
            typed, taps = typist.type(word)
            before = line[: m.start()]
            if before and not before[-1].isspace() and before[-1] not in "([\"'/":
                c.skipped += 1  # inside a token ("59-year-old"): the engine's word differs
                continue
            t0 = time.perf_counter()
            r = engine.correction(before + typed + " ", taps, level)
            lat.append((time.perf_counter() - t0) * 1e3)
            shown = typed
            if r is not None:
                sug, apply, guard = r
                if apply:
                    shown = sug.text
                else:
                    c.offered += 1
                    c.guarded += bool(guard)
            c.words += 1
            if typed != word:
                if shown == word:
                    c.tp += 1
                else:
                    c.fn += 1
            elif shown == word:
                c.tn += 1
            else:
                c.fp += 1
    return c, lat


def main(args: argparse.Namespace) -> int:
    import keywise

    path = Path(args.file)
    if not path.is_file():
        print("keywise eval autocorrect: no such file", file=sys.stderr)
        return 2
    n = int(args.lines)
    lines: list[str] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if 0 < n <= len(lines):
                break
            if line.strip():
                lines.append(line.rstrip("\n"))
    engine = keywise.Engine.load(getattr(args, "pack", None), neural=False)
    try:
        c, lat = evaluate(engine, lines, float(args.sigma), int(args.seed), str(args.level))
    except ValueError as e:
        print(f"keywise eval autocorrect: {e}", file=sys.stderr)
        return 2
    lat.sort()
    p50 = lat[len(lat) // 2] if lat else float("nan")
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan")
    res = {
        "file": path.name,
        "lines": len(lines),
        "sigma": args.sigma,
        "seed": args.seed,
        "level": args.level,
        **asdict(c),
        "typos": c.tp + c.fn,
        "precision": round(c.precision, 4),
        "recall": round(c.recall, 4),
        "f1": round(c.fbeta(1.0), 4),
        "f_beta_0_9": round(c.fbeta(0.9), 4),
        "correct_words_changed": c.fp,
        "correct_words_changed_rate": round(c.fp / max(1, c.tn + c.fp), 5),
        "p50_ms": round(p50, 4),
        "p99_ms": round(p99, 4),
    }
    if getattr(args, "json", False):
        print(json.dumps(res, indent=1))
    else:
        print(
            f"autocorrect on {res['words']} words of {len(lines)} lines of {path.name} "
            f"(sigma {args.sigma} key widths, seed {args.seed}, level {args.level})"
        )
        print(
            f"  typos {res['typos']}: fixed {c.tp}, missed {c.fn};  correct words {c.tn + c.fp}: "
            f"changed {c.fp} ({100 * res['correct_words_changed_rate']:.2f}%)"
        )
        print(f"  precision {c.precision:.3f}  recall {c.recall:.3f}  F1 {c.fbeta():.3f}  F(beta=0.9) {c.fbeta(0.9):.3f}")
        print(f"  offered, not applied: {c.offered} (safety guard: {c.guarded});  latency p50 {p50:.3f} ms  p99 {p99:.3f} ms")
    return 0
