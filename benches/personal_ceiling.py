"""How much could any personal model gain? A ceiling for the personalisation target.

On the held-out split of `benches.holdout --hold 0.5` (the second half of the ACI-Bench train
notes, never in that pack), the user store learns the first half of the held-out lines and the
typist types the second half (as `benches/personal_eval.py --lines`). The ceiling instead
rebuilds the pack with that first half added to the note files (weight 6, in the domain model
too): what retraining on the user's text, the strongest adaptation there is, would give.
Train data only; nothing here reads `eval/`.

    python -m benches.holdout build base --work /work/cache/ho50 --hold 0.5
    python3 benches/personal_ceiling.py --work /work/cache/ho50
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
sys.path.insert(0, str(REPO))

import keywise
from benches import holdout as H
from keywise import _native
from keywise.eval.ksr import engine_predictor, run_ksr


def field_ksr(engine: keywise.Engine, lines: list[str]) -> float:
    return 100 * run_ksr(engine_predictor(engine, field=True), lines, k=3).ksr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path("/work/cache/ho50"))
    args = ap.parse_args()
    shared = H._shared()
    parts = H.paths(args.work)
    held = [ln.strip() for ln in parts["held"].read_text(encoding="utf-8").splitlines() if ln.strip()]
    learn, typed = held[: len(held) // 2], held[len(held) // 2 :]
    tmp = Path(tempfile.mkdtemp(prefix="kw-ceiling-", dir=args.work))
    try:
        notes = tmp / "notes_plus_learned.txt"
        notes.write_text(parts["notes"].read_text(encoding="utf-8") + "\n".join(learn) + "\n", encoding="utf-8")
        recipe = H.split_recipe(shared, parts, notes)
        _native.build_pack(json.dumps(recipe), str(tmp / "pack"), lambda _s, _f: None)
        base_pack = args.work / "packs" / "base"
        out = {"base": field_ksr(keywise.Engine.load(base_pack, neural=False), typed)}
        store = keywise.UserStore.open(tmp / "user.kws", key=bytes(range(32)))
        eng = keywise.Engine.load(base_pack, neural=False, user_store=store)
        for ln in learn:
            eng.learn(ln)
        out["learned"] = field_ksr(eng, typed)
        out["retrained"] = field_ksr(keywise.Engine.load(tmp / "pack", neural=False), typed)
        print(json.dumps({k: round(v, 2) for k, v in out.items()} | {"learned_lines": len(learn), "typed_lines": len(typed)}))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
