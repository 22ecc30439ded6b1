"""Reproduce DATA.md's Presage reference figures with our typist (k=3, 300-char window).

    python benches/validate_presage.py [--db own|train|PATH] [--config stateless|stock] [--lines 1000]

On the first 1,000 lines of corpora/clinical/eval/aci_bench_notes.txt. ``stateless`` is the
configuration the harness uses (n-gram predictor only, suggestions may repeat); ``stock`` is
Presage's shipped behaviour: the recency predictor added, and words already offered since the
last word boundary hidden (REPEAT_SUGGESTIONS=no), which depends on the order of calls, so
every position is a real call in typing order.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benches.__main__ import ksr, shared_dir
from benches.presage import Presage


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default="own")
    ap.add_argument("--config", choices=("stateless", "stock"), default="stateless")
    ap.add_argument("--lines", type=int, default=1000)
    ap.add_argument("--k", type=int, default=3)
    args = ap.parse_args(argv)

    lines = ksr.read_lines(shared_dir() / "corpora/clinical/eval/aci_bench_notes.txt", args.lines)
    stock = args.config == "stock"
    with Presage(args.db, repeat_suggestions=not stock, recency=stock) as p:
        t0 = time.perf_counter()
        r = ksr.run_ksr(p.predict, lines, args.k)
        wall = time.perf_counter() - t0
    print(
        f"presage db={args.db} config={args.config} lines={r.lines} k={r.k}: KSR {100 * r.ksr:.2f}% "
        f"(keystrokes {r.keystrokes}, selections {r.selections}, characters {r.characters}); "
        f"{len(r.latencies_us)} calls, p50 {r.p50_us() / 1000:.2f} ms, p99 {r.p99_us() / 1000:.2f} ms; "
        f"wall {wall:.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
