"""Corpus assembly: which train/ files, how much weight each gets, the held-out slice."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

# Repeats per pass over the mixture (fractions sample that share of lines). In-domain
# note text is weighted up: the eval target is clinical note style, and the small note
# files would otherwise drown in MedQuAD and general dialogue.
WEIGHTS: dict[str, float] = {
    "clinical/train/aci_bench_notes.txt": 8.0,
    "clinical/train/mts_dialog_notes.txt": 4.0,
    "clinical/train/mts_dialog_augmented.txt": 1.0,
    "clinical/train/aci_bench_dialogues.txt": 1.0,
    "clinical/train/mts_dialog_dialogues.txt": 1.0,
    "clinical/train/medquad.txt": 0.15,
    "clinical/train/icd10cm.txt": 0.1,
    "general/train/sgd_dialogues.txt": 0.03,
    "general/train/taskmaster4_dialogues.txt": 0.1,
    "general/train/wordnet_glosses.txt": 0.03,
}

# Validation and combination-weight tuning use the last 10% of this file; those
# lines never reach the tokenizer or the model. Nothing under eval/ is read here.
HELDOUT_FILE = "clinical/train/aci_bench_notes.txt"
HELDOUT_FRACTION = 0.10
# Consecutive lines are kept together (note sections follow each other) when shuffling.
BLOCK_LINES = 32


def mixture_weights(overrides: dict[str, float] | None = None) -> dict[str, float]:
    """WEIGHTS with ``overrides`` applied; unknown files or negative weights are refused."""
    out = dict(WEIGHTS)
    for rel, weight in (overrides or {}).items():
        if rel not in WEIGHTS:
            raise ValueError(f"unknown training file {rel!r} (known: {', '.join(WEIGHTS)})")
        if not weight >= 0:
            raise ValueError(f"weight of {rel!r} must be >= 0")
        out[rel] = float(weight)
    return out


@dataclass
class Corpus:
    train_blocks: list[list[str]]  # one weighted pass, blocks of consecutive lines
    heldout: list[str]
    sources: dict[str, dict[str, float]]  # file -> lines, weight


def _read_lines(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as fh:
        return [ln.rstrip("\n") for ln in fh if ln.strip()]


def load_corpus(shared: Path, seed: int, weights: dict[str, float] | None = None) -> Corpus:
    """One weighted pass; ``weights`` overrides entries of WEIGHTS (same file keys)."""
    corpora = shared / "corpora"
    rng = random.Random(seed)
    blocks: list[list[str]] = []
    heldout: list[str] = []
    sources: dict[str, dict[str, float]] = {}
    mixture = mixture_weights(weights)
    for rel, weight in mixture.items():
        if "/eval/" in rel:  # belt and braces: never train on eval splits
            raise ValueError("eval split in training mixture")
        lines = _read_lines(corpora / rel)
        if rel == HELDOUT_FILE:
            cut = int(len(lines) * (1.0 - HELDOUT_FRACTION))
            lines, heldout = lines[:cut], lines[cut:]
        sources[rel] = {"lines": float(len(lines)), "weight": weight}
        file_blocks = [lines[i : i + BLOCK_LINES] for i in range(0, len(lines), BLOCK_LINES)]
        whole, frac = int(weight), weight - int(weight)
        for _ in range(whole):
            blocks.extend(file_blocks)
        if frac > 0:
            blocks.extend(rng.sample(file_blocks, int(round(frac * len(file_blocks)))))
    rng.shuffle(blocks)
    return Corpus(train_blocks=blocks, heldout=heldout, sources=sources)
