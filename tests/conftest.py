"""Shared fixtures: a tiny pack built from the committed fixtures (never ../shared)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]


def texts(sugs) -> list[str]:
    """The words of a list of suggestions, best first."""
    return [s.text for s in sugs]


def tiny_recipe(out_name: str = "tiny") -> dict[str, object]:
    f = FIXTURES
    return {
        "name": out_name,
        "corpora": [{"path": str(f / "corpus.txt"), "weight": 2}],
        "medical_corpora": [str(f / "corpus.txt")],
        "word_lists": [str(f / "words.txt")],
        "word_counts": [str(f / "word_counts.txt")],
        "drug_names": [str(f / "drugs.tsv")],
        "abbreviations": [str(f / "abbreviations.tsv")],
        "order": 3,
        "min_word_count": 1,
    }


@pytest.fixture(scope="session")
def tiny_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from keywise import _native

    out = tmp_path_factory.mktemp("pack") / "tiny"
    _native.build_pack(json.dumps(tiny_recipe()), out)
    return out


@pytest.fixture()
def pack_copy(tiny_pack: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(tiny_pack, dst)
    return dst
