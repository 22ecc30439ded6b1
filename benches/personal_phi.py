"""PHI benchmark: which identifiers does personal learning keep from real-style clinical notes?

Learns every line of the ACI-Bench test notes (../shared/corpora/clinical/eval/
aci_bench_notes.txt) into a fresh store with the shipped pack's PHI filter (policy Strict,
names list = the pack's names.txt), then counts, among the store's learned words:

* names: words that are one of the fictional patient/doctor names of
  ../shared/corpora/clinical/eval/aci_bench_person_names.txt (each part of a listed name);
* digits: words containing a digit.

A word enters the store after two uses, so the notes are learned twice ("2 passes"): then any
token the filter let through even once shows up. Target: 0 and 0.

    python3 benches/personal_phi.py [--pack DIR]

Only counts are printed, plus the leaked words themselves (they are the benchmark's fictional
names, not user text).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

import keywise

EVAL = REPO.parent / "shared" / "corpora" / "clinical" / "eval"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pack", default=None)
    args = ap.parse_args()
    lines = (EVAL / "aci_bench_notes.txt").read_text(encoding="utf-8").splitlines()
    names = set()
    for n in (EVAL / "aci_bench_person_names.txt").read_text(encoding="utf-8").splitlines():
        names.update(p.lower() for p in re.findall(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*", n))
    # The names file lists "dr" (a title, which the filter keeps on purpose: it is how it finds the
    # name after it); titles are reported apart, not counted as leaks.
    titles = names & {"mr", "mrs", "ms", "miss", "mx", "dr", "prof"}
    names -= titles
    in_notes = set()
    for ln in lines:
        in_notes.update(w.lower() for w in re.findall(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*", ln))
    tmp = Path(tempfile.mkdtemp(prefix="kw-phi-", dir="/work/cache" if Path("/work/cache").is_dir() else None))
    try:
        store = keywise.UserStore.open(tmp / "u.kws", key=bytes(range(32)))
        engine = keywise.Engine.load(args.pack, neural=False, user_store=store)
        words = 0
        for p in (1, 2):
            for ln in lines:
                words += engine.learn(ln)
            learned = {w.lower() for w in store.words()}
            leaked = sorted(learned & names)
            digits = sorted(w for w in learned if any(c.isdigit() for c in w))
            print(
                f"pass {p}: learned words {len(learned):6d}  person-name parts leaked {len(leaked):3d} "
                f"of {len(names & in_notes)} that occur in the notes  words with digits {len(digits)}"
            )
        print(f"titles in the names file, not counted: {' '.join(sorted(titles)) or '-'}")
        if leaked:
            print("leaked:", " ".join(leaked))
        if digits:
            print("with digits:", " ".join(digits[:50]))
        print(f"lines {len(lines)}  word tokens counted over both passes {words}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
