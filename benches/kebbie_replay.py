"""Record kebbie's autocorrect calls once, replay them on the current build in seconds.

    python -m benches.kebbie_replay record SENTENCES PACK LOG [--lines 3000]
    python -m benches.kebbie_replay replay LOG PACK ['{"decoder key": value}'] [--reweight 0.032]

``record`` runs kebbie (in its venv, as ``keywise eval kebbie`` does, seed 42) and writes one JSON
line per autocorrect call: the intended word, what kebbie typed, its typos, the keystrokes and
the context. ``replay`` feeds those calls to ``KeywiseCorrector.auto_correct`` on PACK (with
decoder parameters overridden as given) and prints kebbie's precision, recall and F (beta 0.9):
the same figures a full kebbie run gives for the same build, without re-typing the sentences.

``--reweight R`` weights the sentences that start in lower case so that they make up the share
R of all sentences (the others share 1 - R). The held-out SGD lines (the last 3,000 of the train
file, ``benches/holdout.py``) start in lower case 11% of the time, the whole train file 3.2%:
reweighting to 0.032 makes the held-out figure speak for typical text. Use it on held-out
(train) lines only, never to tune on an eval split.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

from keywise.eval.autocorrect import fbeta  # noqa: E402  (after the path set-up)

_WORKER = """
import json, os, sys
for v in ("HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ[v] = "1"
import kebbie, kebbie.noise_model, kebbie.scorer
from keywise.eval.kebbie import KeywiseCorrector, _no_network
kebbie.noise_model.requests.get = _no_network
kebbie.noise_model.requests.request = _no_network
src, pack, out = sys.argv[1], sys.argv[2], sys.argv[3]
last = {}
_ac = KeywiseCorrector.auto_correct
def auto_correct(self, context, keystrokes, word):
    last["k"] = [None if k is None else [round(k[0], 3), round(k[1], 3)] for k in keystrokes]
    return _ac(self, context, keystrokes, word)
KeywiseCorrector.auto_correct = auto_correct
_acr = kebbie.scorer.Scorer.acr
def acr(self, true_word, predicted_words, typed_word, context, typos, *a, **k):
    row = {"true": true_word, "typed": typed_word, "typos": [getattr(t, "name", str(t)) for t in typos],
           "keys": last.get("k"), "context": context}
    with open(out, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\\n")
    return _acr(self, true_word, predicted_words, typed_word, context, typos, *a, **k)
kebbie.scorer.Scorer.acr = acr
sents = [l.rstrip("\\n") for l in open(src, encoding="utf-8") if l.strip()]
kebbie.evaluate(KeywiseCorrector(pack), dataset={"sentences": sents}, seed=42, n_proc=1)
"""


def record(sentences: Path, pack: Path, log: Path, lines: int) -> None:
    from keywise.eval import kebbie as KB

    py = KB.kebbie_python()
    if not py.exists():
        raise SystemExit(f"no kebbie interpreter at {py}; run benches/setup.sh --kebbie")
    log.write_text("", encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="keywise-replay-") as tmp:
        src = Path(tmp) / "sentences.txt"
        src.write_text("\n".join(KB.sentences(sentences, lines)) + "\n", encoding="utf-8")
        env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
        cmd = [str(py), "-c", _WORKER, str(src), str(pack), str(log)]
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"{sum(1 for _ in open(log, encoding='utf-8'))} autocorrect calls -> {log}")


def replay(log: Path, pack: Path, over: dict[str, object], reweight: float | None) -> dict[str, float]:
    from keywise.eval.kebbie import KeywiseCorrector

    from benches.holdout import decoder_variant

    rows = [json.loads(line) for line in open(log, encoding="utf-8")]
    starts = [r for r in rows if not r["context"].strip()]
    lower = sum(1 for r in starts if r["true"][:1].islower()) / max(1, len(starts))
    w_low = w_cap = 1.0
    if reweight is not None and 0 < lower < 1:
        w_low, w_cap = reweight / lower, (1 - reweight) / (1 - lower)
    tmp = Path(tempfile.mkdtemp(prefix="keywise-replay-pack-"))
    try:
        if over:
            pack = decoder_variant(pack, tmp / "pack", over)
        kc = KeywiseCorrector(str(pack))
        tp = fp = fn = 0.0
        w = 1.0
        for r in rows:
            if not r["context"].strip():
                w = w_low if r["true"][:1].islower() else w_cap
            keys = [None if k is None else tuple(k) for k in r["keys"]]
            pred = kc.auto_correct(r["context"], keys, r["typed"])
            ok = bool(pred) and pred[0] == r["true"]
            if r["typos"]:
                tp += w * ok
                fn += w * (not ok)
            else:
                fp += w * (not ok)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    p = tp / (tp + fp) if tp + fp else 0.0
    rc = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": rc, "fscore": fbeta(p, rc, 0.9), "calls": len(rows), "lower_start_share": lower}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m benches.kebbie_replay")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("sentences", type=Path)
    r.add_argument("pack", type=Path)
    r.add_argument("log", type=Path)
    r.add_argument("--lines", type=int, default=3000)
    p = sub.add_parser("replay")
    p.add_argument("log", type=Path)
    p.add_argument("pack", type=Path)
    p.add_argument("overrides", nargs="?", default="{}")
    p.add_argument("--reweight", type=float, default=None)
    a = ap.parse_args(argv)
    if a.cmd == "record":
        record(a.sentences, a.pack, a.log, a.lines)
    else:
        s = replay(a.log, a.pack, json.loads(a.overrides), a.reweight)
        print(
            f"P {s['precision']:.4f} R {s['recall']:.4f} F {s['fscore']:.4f} "
            f"({s['calls']} calls; lower-case sentence starts {100 * s['lower_start_share']:.1f}%"
            + (f", reweighted to {100 * a.reweight:.1f}%)" if a.reweight is not None else ")")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
