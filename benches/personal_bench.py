"""Speed of personal learning, from Python.

* learn(): words per second through `Engine.learn`, one call per note line (as a keyboard
  commits text) and one call per 1 MB block, over ../shared/corpora/clinical/train/
  aci_bench_notes.txt (repeated to make a few hundred thousand words). Target >= 100k words/s.
* A store of 50,000 learned words (with their bigrams and trigrams): `save()` and
  `UserStore.open()` with a raw 32-byte key, wall and CPU time (median of 7), file size; and
  `open()` with a passphrase (Argon2id is slow on purpose; reported apart). Target < 50 ms.

    python3 benches/personal_bench.py [--pack DIR]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import string
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

import keywise

TRAIN = REPO.parent / "shared" / "corpora" / "clinical" / "train" / "aci_bench_notes.txt"
KEY = bytes(range(32))


def timed(f, n: int = 7) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(n):
        w0, c0 = time.perf_counter(), time.process_time()
        f()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pack", default=None)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kw-pbench-", dir="/work/cache" if Path("/work/cache").is_dir() else None))
    try:
        lines = [ln for ln in TRAIN.read_text(encoding="utf-8").splitlines() if ln.strip()]
        store = keywise.UserStore.open(tmp / "learn.kws", key=KEY)
        engine = keywise.Engine.load(args.pack, neural=False, user_store=store)
        for label, chunks in (
            ("per line", lines * 8),
            ("1 MB blocks", _blocks(lines * 8, 1 << 20)),
        ):
            w0, c0 = time.perf_counter(), time.process_time()
            n = sum(engine.learn(c) for c in chunks)
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            print(
                f"learn {label:11s}: {n:8d} words in {wall:.3f} s wall, {cpu:.3f} s CPU -> "
                f"{n / wall:,.0f} words/s (wall), {n / cpu:,.0f} words/s (CPU)  calls {len(chunks)}"
            )

        rng = random.Random(1)
        vocab: set[str] = set()
        while len(vocab) < 50_000:
            vocab.add("".join(rng.choices(string.ascii_lowercase, k=rng.randint(5, 12))))
        vl = sorted(vocab)
        big = keywise.UserStore.open(tmp / "big.kws", key=KEY)
        e2 = keywise.Engine.load(args.pack, neural=False, user_store=big)
        for _ in range(2):  # two uses: every word is learned
            rng.shuffle(vl)
            for i in range(0, len(vl), 20):
                e2.learn(" ".join(vl[i : i + 20]))
        nwords = len(big.words())
        wall, cpu = timed(big.save)
        size = (tmp / "big.kws").stat().st_size
        big.close()  # one UserStore of a file at a time: the timed opens below need its lock
        print(
            f"store of {nwords} words: save {wall * 1000:.1f} ms wall, {cpu * 1000:.1f} ms CPU; file {size / 1e6:.2f} MB"
        )
        wall, cpu = timed(lambda: keywise.UserStore.open(tmp / "big.kws", key=KEY))
        print(f"store of {nwords} words: open (raw key) {wall * 1000:.1f} ms wall, {cpu * 1000:.1f} ms CPU")
        pw = keywise.UserStore.open(tmp / "pw.kws", passphrase="bench passphrase")
        pw.add("word")
        pw.save()
        pw.close()
        wall, cpu = timed(lambda: keywise.UserStore.open(tmp / "pw.kws", passphrase="bench passphrase"), n=3)
        print(f"open with a passphrase (Argon2id, tiny store): {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _blocks(lines: list[str], size: int) -> list[str]:
    out, cur, n = [], [], 0
    for ln in lines:
        if n + len(ln) + 1 > size - 8:  # stay under the 1 MiB learn limit (ASCII text)
            out.append("\n".join(cur))
            cur, n = [], 0
        cur.append(ln)
        n += len(ln.encode()) + 1
    if cur:
        out.append("\n".join(cur))
    return out


if __name__ == "__main__":
    main()
