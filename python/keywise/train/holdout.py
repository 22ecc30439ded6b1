"""An n-gram pack built like the default one but without the neural held-out lines, so
that the mixture weight is tuned on text neither model was trained on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .data import HELDOUT_FILE, HELDOUT_FRACTION


def build_holdout_pack(args: Any) -> None:
    from keywise import _native
    from keywise.recipe import default_recipe

    shared, out = Path(args.shared), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    src = shared / "corpora" / HELDOUT_FILE
    with src.open(encoding="utf-8") as fh:
        lines = [ln.rstrip("\n") for ln in fh if ln.strip()]
    keep = lines[: int(len(lines) * (1.0 - HELDOUT_FRACTION))]
    trimmed = out / f"train90_{src.name}"
    trimmed.write_text("\n".join(keep) + "\n", encoding="utf-8")
    recipe = _replace(default_recipe(shared), str(src), str(trimmed))
    manifest = _native.build_pack(json.dumps(recipe), str(out / "pack"), lambda stage, frac: None)
    trimmed.unlink()
    print(manifest)


def _replace(node: Any, old: str, new: str) -> Any:
    """The recipe with every mention of ``old`` (main, medical and domain corpora) swapped."""
    if isinstance(node, dict):
        return {k: _replace(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace(v, old, new) for v in node]
    return new if node == old else node
