"""Neural reranking cost on a fixed workload, against an older revision of the runtime.

    python -m benches.neural_speed [--against REV] [--lines FILE] [--pack DIR] [--n 80] [--repeats 3]

The typist of `keywise.eval.ksr.run_ksr` types the first `--n` lines of FILE with the pack's
engine (neural on) once, and every `NeuralLM.rerank` call it makes (text, pool, k) is kept in
memory. Those calls are then replayed on a fresh `NeuralLM` of this tree's `keywise/neural.py`
and, with `--against`, of that file at REV (from `git show`), interleaved, `--repeats` times.
Only the rerank is timed (not the n-gram pool), so runtime changes are compared on the same
pools. Prints, per runtime, the smallest total, p50 and p99 over the repeats (the machine is
shared: the minimum is the least disturbed run), the model rows run and the onnxruntime calls.

`--exact` instead compares the rankings: both runtimes replay the calls with the model run one
row at a time (so int8 activations are quantised per row, and a score no longer depends on the
rows batched with it), and it counts the calls whose top k differ (0 when the runtimes agree).

Defaults: the held-out train notes of `python -m benches.holdout build base` (--work
/tmp/keywise-holdout) and the shipped pack; any text file works for timing.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))


def _module_at(rev: str, tmp: Path):
    src = subprocess.run(["git", "-C", str(REPO), "show", f"{rev}:python/keywise/neural.py"],
                         check=True, capture_output=True, text=True).stdout
    path = tmp / "neural_at_rev.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("neural_at_rev", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def _record(pack: Path, lines: list[str]) -> list[tuple[str, list, int]]:
    import keywise
    from keywise.eval.ksr import run_ksr

    engine = keywise.Engine.load(pack, neural=True)
    lm = engine._neural
    calls = []
    original = lm.rerank

    def rerank(text, pool, k):
        calls.append((text, list(pool), k))
        return original(text, pool, k)

    lm.rerank = rerank
    run_ksr(lambda c, k: [s.text for s in engine.suggest(c, k=k)], lines, k=3)
    return calls


def _row_by_row(lm) -> None:
    import numpy as np

    run = lm._run

    def one_at_a_time(tokens, h, c):
        outs = [run(tokens[i : i + 1], h[i : i + 1], c[i : i + 1]) for i in range(len(tokens))]
        return tuple(np.concatenate([o[j] for o in outs]) for j in range(3))

    lm._run = one_at_a_time


def _compare(mods: dict, neural_dir: Path, calls) -> None:
    lms = {name: mod.NeuralLM.load(neural_dir) for name, mod in mods.items()}
    for lm in lms.values():
        _row_by_row(lm)
    differ, worst = 0, 0.0
    for text, pool, k in calls:
        a, b = (lm.rerank(text, pool, k) for lm in lms.values())
        if [s.text for s in a] != [s.text for s in b]:
            differ += 1
        else:
            worst = max([worst] + [abs(x.score - y.score) for x, y in zip(a, b)])
    print(f"{len(calls)} rerank calls, rows run one at a time: top k differs in {differ}; "
          f"largest score difference where it agrees {worst:.2g}")


def _replay(mod, neural_dir: Path, calls) -> dict[str, float]:
    import numpy as np

    lm = mod.NeuralLM.load(neural_dir)
    run, ort_calls = lm._run, [0]

    def counted(tokens, h, c):
        ort_calls[0] += 1
        return run(tokens, h, c)

    lm._run = counted
    lat = []
    for text, pool, k in calls:
        t = time.perf_counter()
        lm.rerank(text, pool, k)
        lat.append(time.perf_counter() - t)
    ms = np.array(lat) * 1e3
    return {"total_ms": float(ms.sum()), "p50_ms": float(np.percentile(ms, 50)),
            "p99_ms": float(np.percentile(ms, 99)), "rows": lm.steps_run, "ort_calls": ort_calls[0]}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m benches.neural_speed")
    ap.add_argument("--against", default="", help="a git revision whose neural.py to compare with")
    ap.add_argument("--lines", type=Path, default=Path("/tmp/keywise-holdout/held_notes.txt"))
    ap.add_argument("--pack", type=Path, default=REPO / "models" / "en-clinical")
    ap.add_argument("--n", type=int, default=80)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--exact", action="store_true", help="compare the rankings (needs --against), do not time")
    a = ap.parse_args(argv)
    from keywise import neural
    from keywise.eval.ksr import read_lines

    if not a.lines.is_file():
        print(f"no lines file at {a.lines} (run `python -m benches.holdout build base` or pass --lines)", file=sys.stderr)
        return 2
    calls = _record(a.pack, read_lines(a.lines)[: a.n])
    with tempfile.TemporaryDirectory() as tmp:
        mods = {"this tree": neural}
        if a.against:
            mods[a.against] = _module_at(a.against, Path(tmp))
        if a.exact:
            if not a.against:
                print("--exact needs --against REV", file=sys.stderr)
                return 2
            _compare(mods, a.pack / "neural", calls)
            return 0
        best: dict[str, dict[str, float]] = {}
        for _ in range(a.repeats):
            for name, mod in mods.items():
                r = _replay(mod, a.pack / "neural", calls)
                b = best.setdefault(name, r)
                for key in ("total_ms", "p50_ms", "p99_ms"):
                    b[key] = min(b[key], r[key])
    print(f"{len(calls)} rerank calls from {a.n} lines of {a.lines.name}, best of {a.repeats}")
    for name, r in best.items():
        print(f"{name:>12}: total {r['total_ms']:.0f} ms  p50 {r['p50_ms']:.3f} ms  p99 {r['p99_ms']:.3f} ms  "
              f"rows {r['rows']}  onnxruntime calls {r['ort_calls']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
