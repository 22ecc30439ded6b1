"""Neural reranking: KSR and latency against how many pieces a word may have to be scored
(`keywise.neural.RERANK_MAX_PIECES`) and how many n-gram candidates are reranked.

    python -m benches.holdout build base        # the held-out pack (see benches/holdout.py)
    python -m benches.neural_depth [--work /tmp/keywise-holdout] [--grid 12:8,12:4,12:3,8:3]

Runs on the held-out train notes with the shipped neural model next to the held-out n-gram pack
(the neural model was trained without those notes, though with all train dialogues: see
models/en-clinical/neural/TRAINING.md; fine for comparing settings, not for absolute figures).
Latency is per suggest() call from Python, one thread; model rows per call count the neural model's
rows (the work latency follows, without the machine's noise)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m benches.neural_depth")
    ap.add_argument("--work", type=Path, default=Path("/tmp/keywise-holdout"))
    ap.add_argument("--grid", default="12:8,12:4,12:3,8:3", help="pool:max_pieces pairs")
    a = ap.parse_args(argv)
    import keywise
    import keywise.engine as engine_mod
    import keywise.neural as neural_mod
    from keywise.eval import ksr as K

    base = a.work / "packs" / "base"
    if not base.is_dir():
        print("run `python -m benches.holdout build base` first", file=sys.stderr)
        return 2
    pack = a.work / "packs" / "base+neural"
    if pack.exists():
        shutil.rmtree(pack)
    shutil.copytree(base, pack)
    shutil.copytree(REPO / "models/en-clinical/neural", pack / "neural")
    lines = K.read_lines(a.work / "held_notes.txt")
    rows = []
    for item in a.grid.split(","):
        pool, pieces = (int(x) for x in item.split(":"))
        engine_mod._NEURAL_POOL = pool
        neural_mod.RERANK_MAX_PIECES = pieces
        e = keywise.Engine.load(pack, neural=True)
        r = K.run_ksr(lambda c, k: [s.text for s in e.suggest(c, k=k)], lines, k=3)
        row = {"pool": pool, "max_pieces": pieces, "ksr": round(100 * r.ksr, 3),
               "p50_us": round(r.p50_us()), "p99_us": round(r.p99_us()),
               "model_rows_per_call": round(e._neural.steps_run / max(len(r.latencies_us), 1), 2)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
