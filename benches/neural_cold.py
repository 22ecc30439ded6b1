"""The first suggest() in a text field that already holds text (a note opened for editing).

    python -m benches.neural_cold [--lines FILE] [--pack DIR] [--n 200] [--seed 0]

Each sample is a prefilled note: consecutive lines of FILE joined by newlines, cut at a seeded
word boundary past 300 characters (the neural context window) and ending in a space. The neural
model's caches are dropped first (`NeuralLM.forget`, as on leaving incognito), so the call runs
the whole window; the next keystroke (one letter) is timed after it, and the same first call with
the neural model off, in the same run. With the pack's context model (context.onnx), the
same calls also run one step call per piece, interleaved. Then the same field opened with
`Field.focus(text)`, as an embedder does on focus: the focus call, and the first suggest after it.
Prints p50 / p99 / max and the model rows run per call.

Default FILE: ../shared/corpora/clinical/eval/aci_bench_notes.txt (measurement only).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))


def samples(lines: list[str], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        start = rng.randrange(len(lines))
        text = "\n".join(lines[start : start + 12])
        cuts = [i + 1 for i, ch in enumerate(text) if ch == " " and i >= 300]
        if cuts:
            out.append(text[: rng.choice(cuts)])
    return out


def main(argv: list[str]) -> int:
    shared = Path(os.environ.get("KEYWISE_SHARED", REPO.parent / "shared"))
    ap = argparse.ArgumentParser(prog="python -m benches.neural_cold")
    ap.add_argument("--lines", type=Path, default=shared / "corpora/clinical/eval/aci_bench_notes.txt")
    ap.add_argument("--pack", type=Path, default=REPO / "models" / "en-clinical")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    import keywise
    from keywise.eval.ksr import percentile, read_lines

    if not a.lines.is_file():
        print(f"no lines file at {a.lines}", file=sys.stderr)
        return 2
    texts = samples(read_lines(a.lines), a.n, a.seed)
    on = keywise.Engine.load(a.pack, neural=True)
    off = keywise.Engine.load(a.pack, neural=False)
    lm = on._neural
    scan = lm._context_session
    on.field().suggest("warm up ", 3)
    times: dict[str, list[float]] = {}
    rows = []

    def timed(name: str, call) -> None:
        t = time.perf_counter()
        call()
        times.setdefault(name, []).append(time.perf_counter() - t)

    for text in texts:
        # Interleaved: the pack's context model (if any), then one step call per piece.
        for label, ctx in (("context model", scan), ("step calls", None)) if scan else (("step calls", None),):
            lm._context_session = ctx
            lm.forget()
            field = on.field()
            before = lm.steps_run
            timed(f"first call, {label}", lambda: field.suggest(text, 3))
            rows.append(lm.steps_run - before)
            timed(f"next keystroke, {label}", lambda: field.suggest(text + "p", 3))
        lm._context_session = scan
        # The embedder calls Field.focus(text) when the field opens: the catch-up moves there.
        lm.forget()
        field = on.field()
        timed("focus(text), context model", lambda: field.focus(text))
        timed("first call after focus", lambda: field.suggest(text, 3))
        timed("first call, neural off", lambda: off.field().suggest(text, 3))
    print(f"{len(texts)} prefilled fields from {a.lines.name} (seed {a.seed}), one thread, "
          f"load average {os.getloadavg()[0]:.2f}")
    for name, xs in times.items():
        ms = [x * 1e3 for x in xs]
        print(f"{name:>30}: p50 {percentile(ms, 50):.2f} ms  p99 {percentile(ms, 99):.2f} ms  max {max(ms):.2f} ms")
    print(f"{'model rows, first call':>30}: p50 {percentile(rows, 50):g}  max {max(rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
