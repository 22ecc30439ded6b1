"""Held-out tuning on `train/` only: a pack built without the last 10% of the ACI-Bench train notes
(and without the dialogues those notes were written from) and without the last 3,000 lines of
the SGD train dialogues, scored on those held-out lines.

    python -m benches.holdout build NAME ['{"recipe key": value}'] [--weights '{"file.txt": 2}']
    python -m benches.holdout ksr NAME ['{"manifest key": value}'] [--lines N]
    python -m benches.holdout kebbie NAME ['{"decoder key": value}'] [--on notes|sgd] [--lines N]

`kebbie` needs the kebbie venv (benches/setup.sh --kebbie) and runs its evaluation on the
held-out sentences with the pack's decoder parameters overridden as given.

Why the dialogues go too: the train notes and dialogues are in the same encounter order, and a
note is a summary of its dialogue, so keeping the held-out encounters' dialogues leaks their
content. The cut in the dialogue file is taken by character fraction with a margin (the held-out
notes start at 90.2% of the notes file; the dialogues are cut at 88%). MTS-Dialog is not held out:
its back-translated copies (`mts_dialog_augmented.txt`) repeat the notes verbatim, in no order.

Every figure used to choose a recipe constant comes from this script, never from `eval/`. `build`
writes the split and the pack under --work (default /tmp/keywise-holdout); `ksr` and `kebbie` use them."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

NOTES = "corpora/clinical/train/aci_bench_notes.txt"
DIALOGUES = "corpora/clinical/train/aci_bench_dialogues.txt"
HOLD = 0.9
DIALOGUE_CUT = 0.88
SGD = "corpora/general/train/sgd_dialogues.txt"
SGD_HELD = 3000


def _shared() -> Path:
    return Path(os.environ.get("KEYWISE_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))


def paths(work: Path) -> dict[str, Path]:
    """Where the split's files live under `work`."""
    return {
        "notes": work / "train_notes.txt",
        "dialogues": work / "train_dialogues.txt",
        "held": work / "held_notes.txt",
        "sgd": work / "train_sgd.txt",
        "held_sgd": work / "held_sgd.txt",
    }


def split(shared: Path, work: Path, hold: float = HOLD) -> dict[str, Path]:
    """Write the train parts of the notes, dialogues and SGD and their held-out lines (the notes
    from fraction `hold` on are held out)."""
    work.mkdir(parents=True, exist_ok=True)
    notes = [l.rstrip("\n") for l in open(shared / NOTES, encoding="utf-8") if l.strip()]
    cut = int(len(notes) * hold)
    dialogues = [l.rstrip("\n") for l in open(shared / DIALOGUES, encoding="utf-8") if l.strip()]
    total = sum(len(l) for l in dialogues)
    kept, acc = [], 0
    for line in dialogues:
        acc += len(line)
        if acc > total * (hold - (HOLD - DIALOGUE_CUT)):
            break
        kept.append(line)
    sgd = [l.rstrip("\n") for l in open(shared / SGD, encoding="utf-8") if l.strip()]
    out = paths(work)
    out["sgd"].write_text("\n".join(sgd[:-SGD_HELD]) + "\n", encoding="utf-8")
    out["held_sgd"].write_text("\n".join(sgd[-SGD_HELD:]) + "\n", encoding="utf-8")
    out["notes"].write_text("\n".join(notes[:cut]) + "\n", encoding="utf-8")
    out["dialogues"].write_text("\n".join(kept) + "\n", encoding="utf-8")
    out["held"].write_text("\n".join(notes[cut:]) + "\n", encoding="utf-8")
    return out


def pack_variant(pack: Path, dst: Path, update: dict[str, object], link: bool = False) -> Path:
    """A copy of `pack` at `dst` (replaced if there) whose manifest has `update` applied; with
    `link`, the files other than the manifest are symbolic links to the originals."""
    if dst.exists():
        shutil.rmtree(dst)
    if link:
        dst.mkdir(parents=True)
        for f in pack.iterdir():
            if f.name != "manifest.json":
                (dst / f.name).symlink_to(f.resolve())
        shutil.copyfile(pack / "manifest.json", dst / "manifest.json")
    else:
        shutil.copytree(pack, dst)
    man = json.loads((dst / "manifest.json").read_text())
    man.update(update)
    (dst / "manifest.json").write_text(json.dumps(man))
    return dst


def decoder_variant(pack: Path, dst: Path, over: dict[str, object], link: bool = False) -> Path:
    """`pack_variant` with the manifest's decoder parameters overridden by `over` (the rest kept)."""
    man = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    return pack_variant(pack, dst, {"decoder": {**(man.get("decoder") or {}), **over}}, link)


def _variant(work: Path, name: str, suffix: str, update: dict[str, object]) -> Path:
    """The pack `name`, or a copy of it whose manifest has `update` applied."""
    pack = work / "packs" / name
    return pack_variant(pack, work / "packs" / f"{name}.{suffix}", update) if update else pack


def _swap(node: object, paths: dict[str, str]) -> object:
    if isinstance(node, dict):
        return {k: _swap(v, paths) for k, v in node.items()}
    if isinstance(node, list):
        return [_swap(v, paths) for v in node]
    return paths.get(node, node) if isinstance(node, str) else node


def split_recipe(shared: Path, parts: dict[str, Path], notes: Path | None = None) -> dict[str, object]:
    """The default recipe over the split's train parts (`notes` replaces the notes part)."""
    from keywise.recipe import default_recipe

    recipe = _swap(
        default_recipe(shared),
        {
            str(shared / NOTES): str(notes or parts["notes"]),
            str(shared / DIALOGUES): str(parts["dialogues"]),
            str(shared / SGD): str(parts["sgd"]),
        },
    )
    assert isinstance(recipe, dict)
    return recipe


def build(name: str, over: dict[str, object], weights: dict[str, int], work: Path, hold: float = HOLD) -> Path:
    from keywise import _native

    shared = _shared()
    recipe = split_recipe(shared, split(shared, work, hold))
    for c in recipe["corpora"]:
        for suffix, w in weights.items():
            if c["path"].endswith(suffix):
                c["weight"] = w
    recipe.update(over)
    out = work / "packs" / name
    if out.exists():
        shutil.rmtree(out)
    t = time.time()
    manifest = json.loads(_native.build_pack(json.dumps(recipe), str(out), lambda _s, _f: None))
    stats = manifest["stats"]
    size = stats["ngram_bytes"] + stats.get("domain_ngram_bytes", 0) + stats["lexicon_bytes"]
    print(f"{name}: built in {time.time() - t:.0f} s, n-gram + lexicon files {size / 1e6:.2f} MB")
    return out


def ksr(name: str, over: dict[str, object], lines: int | None, work: Path, field: bool = False) -> float:
    import keywise
    from keywise.eval import ksr as K

    pack = _variant(work, name, "ksr", over)
    engine = keywise.Engine.load(pack, neural=False)
    held = K.read_lines(paths(work)["held"], lines)
    r = K.run_ksr(K.engine_predictor(engine, field), held, k=3)
    how = "in a text field" if field else "Engine.suggest"
    print(f"{name} {json.dumps(over) if over else ''}: held-out KSR k=3 {100 * r.ksr:.3f}% ({len(held)} lines, {how})")
    return r.ksr


def kebbie(name: str, decoder: dict[str, object], on: str, lines: int, work: Path) -> dict[str, object]:
    from keywise.eval import kebbie as KB

    pack = work / "packs" / name
    if decoder:
        pack = decoder_variant(pack, work / "packs" / f"{name}.keb", decoder)
    held = paths(work)["held" if on == "notes" else "held_sgd"]
    summary = KB.run(KB.sentences(held, lines), seed=42, pack=str(pack), procs=1)["summary"]
    print(name, on, json.dumps(decoder), {k: v for k, v in summary.items() if not k.endswith("_n")})
    return summary


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m benches.holdout")
    ap.add_argument("cmd", choices=["build", "ksr", "kebbie"])
    ap.add_argument("name")
    ap.add_argument("overrides", nargs="?", default="{}")
    ap.add_argument("--weights", default="{}", help="corpus weights by file name suffix (build)")
    ap.add_argument("--lines", type=int, default=None)
    ap.add_argument("--field", action="store_true", help="ksr: type in a text field (Engine.field)")
    ap.add_argument("--on", choices=["notes", "sgd"], default="sgd", help="kebbie: which held-out lines")
    ap.add_argument("--work", type=Path, default=Path("/tmp/keywise-holdout"))
    ap.add_argument("--hold", type=float, default=HOLD, help="build: hold out the notes from this fraction on")
    a = ap.parse_args(argv)
    over = json.loads(a.overrides)
    if a.cmd == "build":
        if not 0.1 <= a.hold <= 0.95:
            ap.error("--hold must be in 0.1..0.95")
        build(a.name, over, json.loads(a.weights), a.work, a.hold)
    elif a.cmd == "ksr":
        ksr(a.name, over, a.lines, a.work, a.field)
    else:
        kebbie(a.name, over, a.on, a.lines or 3000, a.work)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
