"""Speed-and-size measures for the harness (``python -m benches``), per system:

* pack load time: median of ``repeats`` loads in this process, each timed from nothing to the
  first answer (keywise: ``Engine.load`` + one ``suggest``; Presage: ``presage_new_with_config``
  + one ``presage_predict``, since Presage opens its SQLite db lazily). Later loads find the files
  in the OS page cache: this is a warm-cache load time.
* peak RSS: a fresh Python process (``python -m benches.speed --rss SPEC``) that builds the
  system, makes two predictions and reports its peak resident set size, next to the same reading
  before the system was built (imports done): ``peak`` and ``pack`` = the difference. The peak is
  ``VmHWM`` of /proc/self/status: Linux carries ``getrusage(RUSAGE_SELF).ru_maxrss`` over from
  the parent across fork + exec (a child of a 170 MB harness reads 170 MB), while VmHWM belongs
  to the new address space; ``ru_maxrss`` is the fallback where /proc is missing.
* size on disk: every file of the keywise pack (and the n-gram models + lexicon, and the neural
  folder, separately); the SQLite db for Presage.
* autocorrect per call: ``engine.correction(text)`` with ``text`` = the line up to the end of
  each word plus the space that triggers autocorrect (last 300 characters), every word of the
  lines; keywise only (Presage has no autocorrect).
* neural step per call: ``NeuralLM.rerank`` alone (what ``Engine.suggest`` adds to the native
  call when the neural model is on) over the native pool, for each next-word context (after the
  space before each word) and each completion context (its first character typed), in line order
  as a typist meets them (the model caches its recurrent state between calls).
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
WORD_RE = __import__("re").compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


def dir_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    if not path.is_dir():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def keywise_sizes(pack: Path) -> dict[str, int]:
    """Bytes on disk: all files of the pack; n-gram models (ngram*.kwm); lexicon; neural/."""
    ngram = sum(p.stat().st_size for p in pack.glob("ngram*.kwm"))
    lexicon = dir_bytes(pack / "lexicon.kwl")
    neural = dir_bytes(pack / "neural")
    total = sum(dir_bytes(p) for p in pack.iterdir())  # follows a symlinked neural/ too
    return {"total": total, "ngram": ngram, "lexicon": lexicon, "neural": neural}


def load_seconds(spec: dict[str, Any], repeats: int = 3) -> float:
    from benches import systems

    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        predict = systems.build(spec)
        predict("the patient ", 3)
        times.append(time.perf_counter() - t0)
        p = getattr(predict, "presage", None)
        if p is not None:
            p.close()
        del predict
    return statistics.median(times)


def rss_probe(spec: dict[str, Any], timeout: float = 300) -> dict[str, Any]:
    """Peak RSS (KiB) of a fresh process holding the system; or {"error": ...}."""
    cmd = [sys.executable, "-m", "benches.speed", "--rss", json.dumps(spec)]
    try:
        out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if out.returncode != 0:
        tail = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {out.returncode}: {tail[:200]}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def peak_rss_kib() -> int:
    try:
        for row in Path("/proc/self/status").read_text().splitlines():
            if row.startswith("VmHWM:"):
                return int(row.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _rss_child(spec_json: str) -> int:
    spec = json.loads(spec_json)
    from benches import systems  # imported before the baseline reading

    if spec["kind"] == "keywise":
        import keywise  # imported before the baseline reading
        if spec.get("kwargs", {}).get("neural") is not False:
            try:
                import keywise.neural  # noqa: F401
            except ImportError:
                pass
    else:
        import benches.presage  # noqa: F401
    before = peak_rss_kib()
    predict = systems.build(spec)
    predict("the patient ", 3)
    predict("the patient was seen for a follow-up of her hypert", 5)
    peak = peak_rss_kib()
    print(json.dumps({"peak_kib": peak, "before_kib": before, "pack_kib": peak - before}))
    return 0


def autocorrect_latencies(engine: Any, lines: list[str]) -> list[float]:
    """µs per engine.correction call, one per word (the space after it just pressed)."""
    out: list[float] = []
    clock = time.perf_counter_ns
    for line in lines:
        for m in WORD_RE.finditer(line):
            text = line[: m.end()][-300:] + " "
            t0 = clock()
            engine.correction(text)
            out.append((clock() - t0) / 1000)
    return out


def neural_step_latencies(engine: Any, lines: list[str], k: int = 5) -> list[float]:
    """µs per NeuralLM.rerank call over the native pool, as Engine.suggest makes it."""
    from keywise import engine as engine_mod

    model = getattr(engine, "_neural", None)
    if model is None:
        return []
    pool_k = max(k, engine_mod._NEURAL_POOL)
    out: list[float] = []
    clock = time.perf_counter_ns
    for line in lines:
        for m in WORD_RE.finditer(line):
            for end in (m.start(), m.start() + 1):
                text = line[:end][-300:]
                if end == m.start() and (end == 0 or not line[end - 1].isspace()):
                    continue  # next-word contexts only after whitespace, as ksr.py counts them
                if end > m.start() and len(m.group()) < 2:
                    continue
                pool = engine._native.suggest(text, pool_k, None, engine.user_store, engine._decode)
                if len(pool) <= 1 or any(s.kind == "shortcut" for s in pool):
                    continue
                t0 = clock()
                model.rerank(text, pool, k)
                out.append((clock() - t0) / 1000)
    return out


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--rss":
        raise SystemExit(_rss_child(sys.argv[2]))
    print("usage: python -m benches.speed --rss SPEC_JSON", file=sys.stderr)
    raise SystemExit(2)
