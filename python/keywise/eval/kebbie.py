"""Fleksy's kebbie benchmark for keywise, offline.

kebbie (https://github.com/FleksySDK/kebbie) types clean sentences through a noise model
(Gaussian taps around key centres, character edits, common misspellings) and asks a
``kebbie.Corrector`` for auto-correction, auto-completion and next-word prediction.
``KeywiseCorrector`` is that adapter for a keywise pack.

kebbie pins numpy 1.26, so it lives in its own virtual environment (``benches/setup.sh
--kebbie`` makes ``$KEYWISE_CACHE/kebbie-venv``, default ``/work/cache/kebbie-venv``, and fills
kebbie's common-typos cache ``~/.cache/common_typos/en.json`` from the shared typo lists with
``benches/kebbie_setup.py``). keywise is not installed into that venv: ``main`` runs the venv's
Python with ``PYTHONPATH`` set to this package's source folder (``python/``), whose native
extension is the abi3 build that ``pip install -e`` leaves there. Override the interpreter with
``KEYWISE_KEBBIE_PYTHON``.

Offline: the worker refuses to start without the common-typos cache (kebbie would otherwise
fetch a typo corpus over HTTP), replaces ``requests`` calls in kebbie's noise model with an
error, sets the Hugging Face offline switches, and always passes its own dataset (kebbie's
default dataset is downloaded).

Adapter details:

* The engine is the n-gram engine with the decoder (``neural=False``): the kebbie venv has no
  onnxruntime, and a kebbie run stays minutes long. Next-word and completion figures with the
  neural model are the KSR harness's (``keywise eval ksr``, ``python -m benches``).
* Coordinates: kebbie's en-US layout has 32 x 72 px letter keys with the top row's ``q`` centred
  at (16, 36) and the home row offset by half a key, exactly keywise's qwerty-en-us geometry, so
  a keystroke (x, y) maps to (x / 32, y / 72) key units. Keystrokes kebbie leaves out (``None``:
  characters on other keyboard layers, e.g. capitals, apostrophes) become the centre of the
  character's key in our layout (the decoder reads characters it has no key for as typed).
* ``auto_correct``: ``engine.correction(context + word + " ", taps)``. An applied correction is
  the first candidate and the typed word the second; otherwise the typed word is first and an
  offered (guarded or below-threshold) replacement second. So a correction the safety guard
  holds back counts against keywise, as it should.
* ``auto_complete``: ``engine.suggest(context + partial, k=3, taps)``.
* ``predict_next_word``: ``engine.suggest(context, k=3)`` (context ends with a space).
* ``resolve_swipe``: keywise has no gesture typing: ``[]``.

Sentences: each line of FILE is split into sentences after ``.``, ``!`` or ``?`` followed by a
space and a capital letter or digit (kebbie then removes the punctuation and types each sentence
from an empty context, as it does with its own data).

    keywise eval kebbie FILE [--lines N] [--seed 42] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

try:  # only inside the kebbie venv
    from kebbie import Corrector as _Base
except ImportError:  # pragma: no cover - the project venv has no kebbie
    _Base = object

KEY_W_PX = 32.0
ROW_H_PX = 72.0
SRC = Path(__file__).resolve().parents[2]  # python/
SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def kebbie_python() -> Path:
    env = os.environ.get("KEYWISE_KEBBIE_PYTHON")
    if env:
        return Path(env)
    cache = Path(os.environ.get("KEYWISE_CACHE", "/work/cache"))
    return cache / "kebbie-venv" / "bin" / "python"


def sentences(path: Path, limit: int = 0) -> list[str]:
    """The sentences of `path` (one per line split at sentence ends), the first `limit` if > 0."""
    out: list[str] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            for s in SENT_SPLIT.split(line.strip()):
                s = s.strip()
                if s:
                    out.append(s)
                    if 0 < limit <= len(out):
                        return out
    return out


class KeywiseCorrector(_Base):  # type: ignore[misc, valid-type]
    """kebbie's ``Corrector`` interface on a keywise pack (default: the shipped pack).

    The engine is loaded lazily in each process (kebbie pickles the corrector into its worker
    processes; the native engine does not pickle)."""

    def __init__(self, pack: str | os.PathLike[str] | None = None, level: str = "normal") -> None:
        self.pack = None if pack is None else str(pack)
        self.level = level
        self._engine: Any = None
        self._centres: dict[str, tuple[float, float]] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"pack": self.pack, "level": self.level}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["pack"], state["level"])  # type: ignore[misc]

    @property
    def engine(self) -> Any:
        if self._engine is None:
            import keywise

            self._engine = keywise.Engine.load(self.pack, neural=False)
            keys = self._engine.layout()["keys"]
            self._centres = {k["char"]: (k["x"], k["y"]) for k in keys}
        return self._engine

    def taps(self, keystrokes: Sequence[tuple[float, float] | None], word: str) -> list[tuple[float, float]] | None:
        """kebbie keystrokes (pixels, None for off-layer characters) as layout-unit taps."""
        self.engine  # noqa: B018 - loads the layout
        if len(keystrokes) != len(word):
            return None
        out = []
        for ks, ch in zip(keystrokes, word):
            if ks is None:
                out.append(self._centres.get(ch.lower(), (0.0, 0.0)))
            else:
                out.append((ks[0] / KEY_W_PX, ks[1] / ROW_H_PX))
        return out

    def auto_correct(self, context: str, keystrokes: Sequence[tuple[float, float] | None], word: str) -> list[str]:
        if not word:
            return []
        r = self.engine.correction(context + word + " ", self.taps(keystrokes, word), self.level)
        if r is None:
            return [word]
        sug, apply, _guard = r
        # The engine replaces the word at the cursor, or the span of `word` it says (the taps
        # cover all of `word`: "ni e" with a space tapped for "c"); the rest stays as typed.
        if sug.replaces:
            head = word[: len(word) - sug.replaces]
        else:
            before, space, _ = word.rpartition(" ")
            head = before + space
        repl = head + sug.text
        return [repl, word] if apply else [word, repl]

    def auto_complete(
        self, context: str, keystrokes: Sequence[tuple[float, float] | None], partial_word: str
    ) -> list[str]:
        if not partial_word or " " in partial_word:
            return []
        sugs = self.engine.suggest(context + partial_word, 3, self.taps(keystrokes, partial_word))
        return [s.text for s in sugs]

    def predict_next_word(self, context: str) -> list[str]:
        return [s.text for s in self.engine.suggest(context, 3)]

    def resolve_swipe(self, context: str, swipe_gesture: Sequence[tuple[float, float]]) -> list[str]:
        return []


def summary(results: dict[str, Any]) -> dict[str, Any]:
    """The headline figures of a kebbie result dictionary."""
    acr = results["auto_correction"]["score"]
    return {
        "autocorrect_precision": acr["precision"],
        "autocorrect_recall": acr["recall"],
        "autocorrect_fscore": acr["fscore"],
        "autocorrect_n": acr["n"],
        "autocorrect_n_typo": acr["n_typo"],
        "completion_top3": results["auto_completion"]["score"]["top3_accuracy"],
        "completion_top1": results["auto_completion"]["score"]["accuracy"],
        "completion_n": results["auto_completion"]["score"]["n"],
        "next_word_top3": results["next_word_prediction"]["score"]["top3_accuracy"],
        "next_word_top1": results["next_word_prediction"]["score"]["accuracy"],
        "next_word_n": results["next_word_prediction"]["score"]["n"],
    }


def _no_network(*_a: object, **_k: object) -> None:
    raise RuntimeError("keywise eval kebbie runs offline; kebbie tried to download")


def run_worker(argv: list[str]) -> int:
    """Inside the kebbie venv: evaluate on a sentence file, write JSON results."""
    ap = argparse.ArgumentParser(prog="keywise.eval.kebbie --worker")
    ap.add_argument("--worker", action="store_true")
    ap.add_argument("sentences")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--pack", default=None)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--mistakes", type=int, default=0)
    a = ap.parse_args(argv)
    for var in ("HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ[var] = "1"
    typos = Path(os.path.expanduser("~/.cache/common_typos/en.json"))
    if not typos.is_file():
        print("keywise eval kebbie: kebbie's typo cache is missing; run benches/kebbie_setup.py", file=sys.stderr)
        return 2
    import kebbie
    import kebbie.noise_model

    import kebbie.scorer
    import kebbie.utils

    # kebbie rounds its figures to 2 significant digits; 4 tell 0.849 from 0.85.
    kebbie.scorer.round_to_n = lambda x, n=2: kebbie.utils.round_to_n(x, 4)  # type: ignore[attr-defined]
    kebbie.noise_model.requests.get = _no_network  # type: ignore[attr-defined]
    kebbie.noise_model.requests.request = _no_network  # type: ignore[attr-defined]
    with open(a.sentences, encoding="utf-8") as fh:
        data = [line.rstrip("\n") for line in fh if line.strip()]
    corrector = KeywiseCorrector(a.pack)
    results = kebbie.evaluate(
        corrector,
        dataset={"sentences": data},
        seed=a.seed,
        n_proc=a.procs,
        track_mistakes=a.mistakes > 0,
        n_most_common_mistakes=max(a.mistakes, 1),
    )
    out = {"summary": summary(results), "results": results}
    Path(a.out).write_text(json.dumps(out, indent=1, default=str), encoding="utf-8")
    return 0


def run(sents: list[str], seed: int = 42, pack: str | None = None, procs: int = 0, mistakes: int = 0) -> dict[str, Any]:
    """kebbie's evaluation of `pack` on `sents`, in the kebbie venv: {"summary": ..., "results": ...}.
    Raises RuntimeError (with no typed text) when the run fails."""
    py = kebbie_python()
    if not py.exists():
        raise RuntimeError(f"no kebbie interpreter at {py}; run benches/setup.sh --kebbie")
    procs = procs or min(2, os.cpu_count() or 1)
    with tempfile.TemporaryDirectory(prefix="keywise-kebbie-") as tmp:
        src = Path(tmp) / "sentences.txt"
        src.write_text("\n".join(sents) + "\n", encoding="utf-8")
        dst = Path(tmp) / "results.json"
        cmd = [str(py), "-m", "keywise.eval.kebbie", "--worker", str(src), str(dst)]
        cmd += ["--seed", str(seed), "--procs", str(procs)]
        if pack:
            cmd += ["--pack", str(pack)]
        if mistakes:
            cmd += ["--mistakes", str(mistakes)]
        env = dict(os.environ)
        env["PYTHONPATH"] = str(SRC) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        rc = subprocess.run(cmd, env=env, check=False).returncode
        if rc != 0 or not dst.is_file():
            err = RuntimeError(f"the kebbie run failed (exit {rc})")
            err.rc = rc or 1  # type: ignore[attr-defined]
            raise err
        return json.loads(dst.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def main(args: argparse.Namespace) -> int:
    """``keywise eval kebbie FILE``: run kebbie (in its venv) on the sentences of FILE."""
    path = Path(args.file)
    if not path.is_file():
        print("keywise eval kebbie: no such file", file=sys.stderr)
        return 2
    sents = sentences(path, int(getattr(args, "lines", 0) or 0))
    if not sents:
        print("keywise eval kebbie: no sentences in the file", file=sys.stderr)
        return 2
    if not kebbie_python().exists():
        print(f"keywise eval kebbie: no kebbie interpreter at {kebbie_python()}; run benches/setup.sh --kebbie", file=sys.stderr)
        return 2
    try:
        out = run(sents, args.seed, getattr(args, "pack", None), int(getattr(args, "procs", 0) or 0),
                  int(getattr(args, "mistakes", 0) or 0))
    except RuntimeError as exc:
        print(f"keywise eval kebbie: {exc}", file=sys.stderr)
        return int(getattr(exc, "rc", 1))
    s = out["summary"]
    s["sentences"] = len(sents)
    s["seed"] = args.seed
    if getattr(args, "json", False):
        print(json.dumps(out if getattr(args, "full", False) else s, indent=1))
    else:
        print(f"kebbie on {len(sents)} sentences of {path.name} (seed {args.seed})")
        print(
            f"  autocorrect  precision {s['autocorrect_precision']:.3f}  recall {s['autocorrect_recall']:.3f}"
            f"  F(beta=0.9) {s['autocorrect_fscore']:.3f}  (n={s['autocorrect_n']}, typos={s['autocorrect_n_typo']})"
        )
        print(f"  completion   top-3 {s['completion_top3']:.3f}  top-1 {s['completion_top1']:.3f}  (n={s['completion_n']})")
        print(f"  next word    top-3 {s['next_word_top3']:.3f}  top-1 {s['next_word_top1']:.3f}  (n={s['next_word_n']})")
    if getattr(args, "mistakes", 0) and not getattr(args, "json", False):
        for task, rows in out["results"].get("most_common_mistakes", {}).items():
            print(f"most common {task} mistakes (count, expected, predictions, context):")
            for row in rows[1:]:
                print("   ", *row, sep="  ")
    return 0


if __name__ == "__main__":
    if "--worker" in sys.argv[1:]:
        raise SystemExit(run_worker(sys.argv[1:]))
    ap = argparse.ArgumentParser(prog="python -m keywise.eval.kebbie")
    ap.add_argument("file")
    ap.add_argument("--lines", type=int, default=0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--full", action="store_true", help="with --json: every kebbie figure")
    ap.add_argument("--pack", default=None)
    ap.add_argument("--procs", type=int, default=0)
    ap.add_argument("--mistakes", type=int, default=0, help="print the N most common mistakes")
    raise SystemExit(main(ap.parse_args()))
