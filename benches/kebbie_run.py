"""kebbie's full evaluation for the harness: ``keywise eval kebbie FILE --lines N --seed 42 --json``
(python/keywise/eval/kebbie.py; it runs kebbie in its own venv, offline) as a subprocess, one
per file. Returns the summary dict, or {"error": ...} with the reason; never a made-up figure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED = 42


def command(path: Path, lines: int, pack: str | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "keywise.cli"]
    if pack:
        cmd += ["--pack", pack]
    return cmd + ["eval", "kebbie", str(path), "--lines", str(lines), "--seed", str(SEED), "--json"]


def run(path: Path, lines: int, pack: str | None = None, timeout: float = 1800) -> dict:
    cmd = command(path, lines, pack)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO / "python") + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    t0 = time.perf_counter()
    try:
        out = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    except OSError as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    seconds = time.perf_counter() - t0
    if out.returncode != 0:
        tail = [r for r in (out.stderr or "").strip().splitlines() if r.strip() and "it/s]" not in r]
        return {"error": f"exit {out.returncode}: {(tail or ['no message'])[-1][:300]}", "seconds": seconds}
    text = out.stdout
    start = text.find("{")
    try:
        res = json.loads(text[start:]) if start >= 0 else None
    except json.JSONDecodeError as exc:
        return {"error": f"unreadable output ({exc})", "seconds": seconds}
    if not isinstance(res, dict) or "autocorrect_fscore" not in res:
        return {"error": "no kebbie summary in the output", "seconds": seconds}
    res["seconds"] = seconds
    return res
