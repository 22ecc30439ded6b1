"""The recipe of the default pack: which `train/` files and word lists, with what weights.

Weights repeat a file's counts: the note files are the closest to what clinicians type, so they
count several times. Nothing under `eval/` is ever listed (the builder refuses it too)."""

from __future__ import annotations

from pathlib import Path

CLINICAL = "corpora/clinical/train"
GENERAL = "corpora/general/train"

# (file, weight, counts as clinical vocabulary)
CORPORA: list[tuple[str, int, bool]] = [
    (f"{CLINICAL}/aci_bench_notes.txt", 6, True),
    (f"{CLINICAL}/mts_dialog_notes.txt", 6, True),
    (f"{CLINICAL}/mts_dialog_augmented.txt", 2, True),
    (f"{CLINICAL}/aci_bench_dialogues.txt", 1, True),
    (f"{CLINICAL}/mts_dialog_dialogues.txt", 1, True),
    (f"{CLINICAL}/medquad.txt", 1, True),
    (f"{CLINICAL}/icd10cm.txt", 1, True),
    (f"{GENERAL}/sgd_dialogues.txt", 1, False),
    (f"{GENERAL}/taskmaster4_dialogues.txt", 1, False),
    (f"{GENERAL}/wordnet_glosses.txt", 1, False),
]


def default_recipe(shared: Path) -> dict[str, object]:
    """The default pack's recipe over the data folder `shared`."""
    corpora = []
    for rel, weight, _ in CORPORA:
        corpora.append({"path": str(shared / rel), "weight": weight})
    return {
        "name": "en-clinical",
        "corpora": corpora,
        "medical_corpora": [str(shared / rel) for rel, _, med in CORPORA if med],
        "word_lists": [str(shared / "lexicons/scowl_american_50.txt")],
        "word_counts": [str(shared / "lexicons/word_counts_en.txt")],
        "drug_names": [str(shared / "lexicons/drug_names.tsv")],
        "abbreviations": [str(shared / "lexicons/medical_abbreviations.tsv")],
        # A model of the note files alone, interpolated with the full model: note style (section
        # headers, terse findings) weighs more than repetition alone can give it. Weight chosen on
        # held-out train notes (the last 10% of the two note files), never on eval/.
        "domain_corpora": [
            {"path": str(shared / f"{CLINICAL}/aci_bench_notes.txt"), "weight": 1},
            {"path": str(shared / f"{CLINICAL}/mts_dialog_notes.txt"), "weight": 1},
        ],
        "domain_weight": 0.6,
        "cache_weight": 0.03,
        # What followed the previous word earlier in the text (held-out notes KSR 63.41 -> 63.48:
        # `python -m benches.holdout build base`, then `... ksr base '{"cache_bigram_weight": 0}'`
        # against `... ksr base`).
        "cache_bigram_weight": 0.02,
        "length_weight": 0.5,
        "domain_order": 4,
        "order": 4,
        "min_word_count": 2,
        "min_count": [1, 1, 2, 2],
        "max_ngram_bytes": 20_000_000,
        "max_count_rank": 60_000,
    }
