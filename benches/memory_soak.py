"""Memory soak: RSS must stay flat over many suggest() calls on one engine.

    python -m benches.memory_soak                       # 10,000,000 calls, RSS every 1,000,000
    python -m benches.memory_soak --calls 2000000 --every 200000 --pack models/en-clinical

Cycles through varied inputs (completions, next words, taps, typos, long and odd text) so
that the caches and thread-local scratch buffers see every path. Prints RSS (VmRSS from
/proc/self/status) every --every calls, then start/end/max and the growth after warm-up
(the first report); exits 1 if RSS grew more than --max-growth-mb after warm-up.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import keywise
from keywise import Engine

REPO = Path(__file__).resolve().parents[1]

INPUTS: list[tuple[str, list[tuple[float, float]] | None]] = [
    ("The patient denies ch", None),
    ("He reports shortness of ", None),
    ("teh", [(4.5, 0.5), (2.5, 0.5), (5.5, 1.5)]),
    ("patinet", None),
    ("negative for cov", None),
    ("the patient was given 5 m", None),
    ("x" * 3000, None),
    ("😀 \u202e \x00 ", None),
    ("Her p", None),
    ("pt has SOB", None),
]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=10_000_000)
    ap.add_argument("--every", type=int, default=1_000_000)
    ap.add_argument("--pack", type=Path, default=None, help="default: a tiny pack built from tests/fixtures")
    ap.add_argument("--max-growth-mb", type=float, default=8.0)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if a.pack is None:
            sys.path.insert(0, str(REPO))
            from tests.conftest import tiny_recipe

            pack = Path(tmp) / "tiny"
            keywise._native.build_pack(json.dumps(tiny_recipe()), pack)
        else:
            pack = a.pack
        e = Engine.load(pack, neural=False)
        start = rss_mb()
        print(f"pack {pack}; RSS at start {start:.1f} MB", flush=True)
        reports: list[float] = []
        t0 = time.perf_counter()
        n_in = len(INPUTS)
        for i in range(1, a.calls + 1):
            t, taps = INPUTS[i % n_in]
            e.suggest(t, k=(i % 8) + 1, taps=taps)
            if i % a.every == 0:
                r = rss_mb()
                reports.append(r)
                print(f"{i:>12,} calls  RSS {r:8.1f} MB  {i / (time.perf_counter() - t0):,.0f} calls/s", flush=True)
        end = rss_mb()
        warm = reports[0] if reports else start
        peak = max(reports + [end])
        growth = end - warm
        print(f"start {start:.1f} MB, after warm-up {warm:.1f} MB, end {end:.1f} MB, max {peak:.1f} MB; "
              f"growth after warm-up {growth:+.1f} MB over {a.calls:,} calls")
        if growth > a.max_growth_mb:
            raise SystemExit(f"RSS grew {growth:.1f} MB after warm-up (limit {a.max_growth_mb} MB)")


if __name__ == "__main__":
    main()
