"""Two builds of the native module on one workload: same answers? how fast each?

    python -m benches.native_ab A.so B.so [--a-python DIR] [--b-python DIR] [--lines FILE]
                                [--pack DIR] [--n 150] [--repeats 3] [--store-from FILE]

Each build runs in its own process (the module cannot be loaded twice), interleaved A, B, A, B...
The workload types the first `--n` lines of FILE letter by letter: at each keystroke one
`Field.suggest` (in a text field) and one `Engine.suggest` (stateless), k = 3, neural off, the
decoder on; with `--store-from FILE`, a user store that learned FILE's lines first takes part
(the personal blend). Prints per build and call the smallest p50 / p99 over the repeats (the machine is
shared), and a digest of every answer, text, score and kind (equal digests: same behaviour).

Each build runs with this tree's `python/keywise`, or with `--a-python` / `--b-python` (the
`python/keywise` folder of the build's own revision, when the Python layer changed too). To keep
the build before a change: `cp python/keywise/_native.abi3.so /tmp/before.so`; for an older
revision: `git worktree add /tmp/kw-old REV && cargo build --release -p keywise-python
--manifest-path /tmp/kw-old/Cargo.toml`, then `python -m benches.native_ab
/tmp/kw-old/target/release/lib_native.so python/keywise/_native.abi3.so --a-python
/tmp/kw-old/python/keywise`.
Default FILE: ../shared/corpora/clinical/eval/aci_bench_notes.txt (measurement only).
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

_WORKER = r"""
import hashlib, json, sys, time
sys.path.insert(0, sys.argv[1])
import keywise
from keywise.eval.ksr import percentile, read_lines
lines = read_lines(sys.argv[2])[: int(sys.argv[4])]
store = None
if len(sys.argv) > 5:  # the personal blend: a store that learned this file's lines
    import os, tempfile
    store = keywise.UserStore.open(os.path.join(tempfile.mkdtemp(), "u.kws"), key=bytes(32))
eng = keywise.Engine.load(sys.argv[3], neural=False, user_store=store)
for ln in (read_lines(sys.argv[5]) if store else []):
    eng.learn(ln)
h = hashlib.sha256()
lat = {"field": [], "stateless": []}
for line in lines:
    field = eng.field()
    for i in range(1, len(line) + 1):
        ctx = line[:i]
        t = time.perf_counter_ns(); a = field.suggest(ctx, 3); t2 = time.perf_counter_ns()
        b = eng.suggest(ctx, 3); t3 = time.perf_counter_ns()
        lat["field"].append(t2 - t); lat["stateless"].append(t3 - t2)
        # A store's counts decay with the wall clock, so its scores drift between runs: then
        # the digest covers the words and their order only.
        h.update(repr([(s.text, s.kind) if store else (s.text, round(s.score, 5), s.kind) for s in a + b]).encode())
print(json.dumps({"digest": h.hexdigest()[:16], "calls": len(lat["field"]),
                  **{f"{k}_{n}": percentile(v, q) / 1e3 for k, v in lat.items() for n, q in (("p50", 50), ("p99", 99))}}))
"""


def _tree(so: Path, py: Path, tmp: Path, name: str) -> Path:
    """A copy of the package folder `py` with `so` as its native module."""
    dst = tmp / name
    shutil.copytree(py, dst / "keywise",
                    ignore=shutil.ignore_patterns("_native*.so", "__pycache__"))
    shutil.copyfile(so, dst / "keywise" / "_native.abi3.so")
    return dst


def main(argv: list[str]) -> int:
    shared = Path(os.environ.get("KEYWISE_SHARED", REPO.parent / "shared"))
    ap = argparse.ArgumentParser(prog="python -m benches.native_ab")
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    ap.add_argument("--a-python", type=Path, default=REPO / "python" / "keywise")
    ap.add_argument("--b-python", type=Path, default=REPO / "python" / "keywise")
    ap.add_argument("--lines", type=Path, default=shared / "corpora/clinical/eval/aci_bench_notes.txt")
    ap.add_argument("--pack", type=Path, default=REPO / "models" / "en-clinical")
    ap.add_argument("--n", type=int, default=150)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--store-from", type=Path, default=None,
                    help="learn this file's lines into a user store first (e.g. train/aci_bench_notes.txt)")
    a = ap.parse_args(argv)
    for so in (a.a, a.b):
        if not so.is_file():
            print(f"no native module at {so}", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"A": _tree(a.a, a.a_python, Path(tmp), "a"), "B": _tree(a.b, a.b_python, Path(tmp), "b")}
        best: dict[str, dict] = {}
        for _ in range(a.repeats):
            for name, tree in trees.items():
                cmd = [sys.executable, "-c", _WORKER, str(tree), str(a.lines), str(a.pack), str(a.n)]
                out = subprocess.run(cmd + ([str(a.store_from)] if a.store_from else []),
                                     check=True, capture_output=True, text=True).stdout
                r = json.loads(out)
                b = best.setdefault(name, r)
                for key in r:
                    if key.endswith(("_p50", "_p99")):
                        b[key] = min(b[key], r[key])
    store = f", a user store that learned {a.store_from.name}" if a.store_from else ""
    print(f"{best['A']['calls']} keystrokes from {a.n} lines of {a.lines.name}, best of {a.repeats}, neural off{store}")
    for name, path in (("A", a.a), ("B", a.b)):
        r = best[name]
        print(f"{name} {path.name:>20}: field p50 {r['field_p50']:.1f} us p99 {r['field_p99']:.1f} us | "
              f"stateless p50 {r['stateless_p50']:.1f} us p99 {r['stateless_p99']:.1f} us | answers {r['digest']}")
    same = best["A"]["digest"] == best["B"]["digest"]
    print("same answers" if same else "ANSWERS DIFFER")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
