"""Does personal learning pay? KSR (k=3) with and without a user store.

For each note-writing style (`dataset`) of the ACI-Bench test notes
(../shared/corpora/clinical/eval/aci_bench_notes.jsonl), the user store learns the first half
of that style's notes (`engine.learn` once per line, as typed) and the simulated typist of
`keywise.eval.ksr.run_ksr` types the second half. Variants:

* `base`   : the pack alone (no store).
* `learned`: the store after learning the first half; nothing learned while typing.
* `online` : as `learned`, and each line of the second half is learned once the typist has
  finished it (what a real keyboard does: the user commits a line, then types the next).

`--lines FILE --pack DIR` does the same on any file, e.g. training notes held out of a pack
built without them. The mixture constants in `rust/core/src/blend.rs` were tuned that way, on
the second half of the train notes held out of a pack built from the first half:

    python -m benches.holdout build base --work /work/cache/ho50 --hold 0.5
    python3 benches/personal_eval.py --lines /work/cache/ho50/held_notes.txt --pack /work/cache/ho50/packs/base
 `--train` runs the protocol on the training notes (../shared/corpora/clinical/train/
aci_bench_notes.txt: first half learned, second half typed; no styles there), which is the split
to tune on: never tune on the eval notes.

    python3 benches/personal_eval.py            # eval notes, all three variants
    python3 benches/personal_eval.py --train    # tuning split
    python3 benches/personal_eval.py --limit 300  # at most 300 typed lines per style (quick look)

The typist types in a text field (`Engine.field`); `--stateless` asks `Engine.suggest`.

Prints one line per style and variant and a JSON summary; nothing typed is logged.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

import keywise
from keywise.eval.ksr import KsrResult, engine_predictor, run_ksr

SHARED = REPO.parent / "shared" / "corpora" / "clinical"
EVAL_NOTES = SHARED / "eval" / "aci_bench_notes.jsonl"
TRAIN_NOTES = SHARED / "train" / "aci_bench_notes.txt"


def note_lines(note: str) -> list[str]:
    return [ln.strip() for ln in note.split("\n") if ln.strip()]


def eval_splits() -> dict[str, tuple[list[str], list[str]]]:
    """Per style: (lines of the first half of its notes, lines of the second half)."""
    by: dict[str, list[str]] = {}
    with open(EVAL_NOTES, encoding="utf-8") as f:
        for row in f:
            d = json.loads(row)
            by.setdefault(d["dataset"], []).append(d["note"])
    out = {}
    for name, notes in sorted(by.items()):
        h = len(notes) // 2
        out[name] = (
            [ln for n in notes[:h] for ln in note_lines(n)],
            [ln for n in notes[h:] for ln in note_lines(n)],
        )
    return out


def file_split(path: Path, name: str = "train") -> dict[str, tuple[list[str], list[str]]]:
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    h = len(lines) // 2
    return {name: (lines[:h], lines[h:])}


def learning(engine: keywise.Engine, lines: list[str]) -> Iterator[str]:
    """Yield each line to the typist, then learn it (run_ksr asks for the next line only after
    typing this one)."""
    for ln in lines:
        yield ln
        engine.learn(ln)


def ksr(engine: keywise.Engine, lines: Iterable[str], stateless: bool = False) -> KsrResult:
    # The typist types in a text field (Engine.field), as `keywise eval ksr` does by default.
    return run_ksr(engine_predictor(engine, field=not stateless), lines, k=3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", action="store_true", help="tuning split of the training notes")
    ap.add_argument(
        "--lines",
        type=Path,
        default=None,
        help="tune on this file instead (first half learned, second half typed), e.g. training notes "
        "held out of the pack given with --pack",
    )
    ap.add_argument("--limit", type=int, default=None, help="at most this many typed lines per style")
    ap.add_argument("--pack", default=None, help="model pack (default: models/en-clinical)")
    ap.add_argument("--variants", default="base,learned,online")
    ap.add_argument("--stateless", action="store_true", help="ask Engine.suggest instead of a text field")
    ap.add_argument("--neural", action="store_true", help="with the pack's neural model (default: n-gram only)")
    args = ap.parse_args()
    variants = args.variants.split(",")
    if args.lines:
        splits = file_split(args.lines, args.lines.stem)
    elif args.train:
        splits = file_split(TRAIN_NOTES)
    else:
        splits = eval_splits()
    tmp = Path(
        tempfile.mkdtemp(prefix="kw-personal-eval-", dir="/work/cache" if Path("/work/cache").is_dir() else None)
    )
    summary: dict[str, dict[str, float]] = {}
    tot: dict[str, list[int]] = {v: [0, 0] for v in variants}
    try:
        for name, (learn_lines, test_lines) in splits.items():
            if args.limit:
                test_lines = test_lines[: args.limit]
            summary[name] = {}
            for v in variants:
                t0 = time.perf_counter()
                if v == "base":
                    engine = keywise.Engine.load(args.pack, neural=args.neural)
                    res = ksr(engine, test_lines, args.stateless)
                else:
                    store = keywise.UserStore.open(tmp / f"{name}-{v}.kws", key=bytes(range(32)))
                    engine = keywise.Engine.load(args.pack, neural=args.neural, user_store=store)
                    for ln in learn_lines:
                        engine.learn(ln)
                    res = ksr(engine, learning(engine, test_lines) if v == "online" else test_lines, args.stateless)
                    summary[name][f"{v}_user_words"] = len(store.words())
                summary[name][v] = round(100 * res.ksr, 2)
                tot[v][0] += res.keystrokes + res.selections
                tot[v][1] += res.characters
                print(
                    f"{name:11s} {v:8s} KSR {100 * res.ksr:6.2f}%  lines {res.lines:5d}  chars {res.characters:7d}"
                    f"  p50 {res.p50_us() / 1000:.2f} ms  ({time.perf_counter() - t0:.0f} s)",
                    flush=True,
                )
        summary["all"] = {v: round(100 * (1 - a / b), 2) for v, (a, b) in tot.items() if b}
        print(json.dumps(summary, indent=1))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
