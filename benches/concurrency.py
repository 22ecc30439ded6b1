"""One engine shared by many Python threads: no crash, no deadlock, results equal to a
single-threaded run, and the speed-up of 2 threads over 1.

    python -m benches.concurrency                      # 8 threads, 1,000,000 calls in all
    python -m benches.concurrency --calls 200000 --pack models/en-clinical

Each thread loops over a fixed mix of suggest() (with and without taps), correction() and
learn() (into a UserStore shared by the threads). suggest()/correction() go to the engine
without the store, so their results must be exactly those of the single-threaded reference;
learn() results (words counted) must also match. The speed-up is measured on suggest() and
correction() alone with 1 and 2 threads, and is printed with the load average: the machine
is shared with other jobs, so the figure is only as clean as the load allows.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import keywise
from keywise import Engine, UserStore

REPO = Path(__file__).resolve().parents[1]

CASES: list[tuple[str, list[tuple[float, float]] | None]] = [
    ("The patient denies ch", None),
    ("He reports shortness of ", None),
    ("An mr", None),
    ("teh", [(4.5, 0.5), (2.5, 0.5), (5.5, 1.5)]),
    ("patinet", None),
    ("the patient was given 5 m", None),
    ("negative for cov", None),
    ("Her p", None),
    ("The ", None),
    ("ofthe", None),
]
LEARN = [f"the patient reports dyspnoea on exertion, day {i}, takes metoprolol" for i in range(16)]


def tiny_pack(tmp: Path) -> Path:
    sys.path.insert(0, str(REPO))
    from tests.conftest import tiny_recipe

    out = tmp / "tiny"
    keywise._native.build_pack(json.dumps(tiny_recipe()), out)
    return out


def op(e: Engine, learner: Engine, i: int) -> object:
    """Call number i of the mix: 10 suggest, 10 correction, 1 learn per 21 calls."""
    j = i % 21
    if j < 10:
        t, taps = CASES[j]
        return [(s.text, s.score, s.kind) for s in e.suggest(t, k=5, taps=taps)]
    if j < 20:
        r = e.correction(CASES[j - 10][0] + " ")
        return None if r is None else (r[0].text, r[0].score, r[1], r[2])
    return learner.learn(LEARN[(i // 21) % len(LEARN)])


def stress(e: Engine, learner: Engine, threads: int, calls: int) -> tuple[float, int]:
    want = [op(e, learner, i) for i in range(21 * len(LEARN))]
    per = calls // threads
    bad: list[str] = []
    done = [0] * threads
    barrier = threading.Barrier(threads)

    def work(w: int) -> None:
        try:
            barrier.wait()
            for n in range(per):
                i = (n + w * 7) % len(want)
                got = op(e, learner, i)
                if got != want[i]:
                    bad.append(f"thread {w} call {n} (mix slot {i % 21}) differs")
                    return
                done[w] += 1
        except BaseException as ex:  # noqa: BLE001 - reported below
            bad.append(f"thread {w}: {type(ex).__name__}")

    ts = [threading.Thread(target=work, args=(w,), daemon=True) for w in range(threads)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=3600)
    dt = time.perf_counter() - t0
    if any(t.is_alive() for t in ts):
        raise SystemExit("DEADLOCK: a thread did not finish within an hour")
    if bad:
        raise SystemExit("MISMATCH: " + "; ".join(bad[:5]))
    return dt, sum(done)


def throughput(e: Engine, threads: int, calls: int) -> float:
    per = calls // threads
    barrier = threading.Barrier(threads)

    def work(w: int) -> None:
        barrier.wait()
        for n in range(per):
            j = (n + w) % 20
            if j < 10:
                e.suggest(CASES[j][0], k=5, taps=CASES[j][1])
            else:
                e.correction(CASES[j - 10][0] + " ")

    ts = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return per * threads / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=1_000_000, help="calls in all, over every thread")
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--speedup-calls", type=int, default=40_000, help="calls per speed-up run")
    ap.add_argument("--pack", type=Path, default=None, help="default: a tiny pack built from tests/fixtures")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pack = a.pack or tiny_pack(Path(tmp))
        e = Engine.load(pack, neural=False)
        store = UserStore.open(Path(tmp) / "u.kws", key=bytes(32))
        learner = Engine(e._native, e.path, None, store)
        print(f"pack {pack}  cpus {os.cpu_count()}  load average {os.getloadavg()}")
        dt, n = stress(e, learner, a.threads, a.calls)
        print(f"stress: {a.threads} threads, {n} calls in {dt:.1f} s ({n / dt:,.0f} calls/s): "
              "no crash, no deadlock, every result equal to the single-threaded one")
        print(f"  learned words in the shared store: {len(store.words())}")
        la0 = os.getloadavg()
        r1 = throughput(e, 1, a.speedup_calls)
        r2 = throughput(e, 2, a.speedup_calls)
        r1b = throughput(e, 1, a.speedup_calls)
        la1 = os.getloadavg()
        best1 = max(r1, r1b)
        print(f"speed-up: 1 thread {r1:,.0f} / {r1b:,.0f} calls/s (before/after), 2 threads {r2:,.0f} calls/s: "
              f"x{r2 / best1:.2f} vs the better 1-thread run; load average {la0[0]:.2f} -> {la1[0]:.2f}")


if __name__ == "__main__":
    main()
