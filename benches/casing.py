"""A writer who types clinical notes in lower case: which words does autocorrect put in capitals?

    python -m benches.casing [--lines FILE] [--n 600] [--pack DIR]

Every word of the first N lines, lower-cased, is typed and followed by a space; each
autocorrection that only changes the word into capitals (two letters or more) is counted, and
marked * when the word is an ordinary English word (in ../shared/lexicons/scowl_american_50.txt
in lower case). Capitals are right for acronyms such as EKG; for ordinary words ("complaint")
they are errors. Default FILE: ../shared/corpora/clinical/eval/aci_bench_notes.txt
(measurement only). The n-gram engine, neural model off.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))


def main(argv: list[str]) -> int:
    shared = Path(os.environ.get("KEYWISE_SHARED", REPO.parent / "shared"))
    ap = argparse.ArgumentParser(prog="python -m benches.casing")
    ap.add_argument("--lines", type=Path, default=shared / "corpora/clinical/eval/aci_bench_notes.txt")
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--pack", type=Path, default=REPO / "models" / "en-clinical")
    a = ap.parse_args(argv)
    import keywise
    from keywise.eval.ksr import WORD_RE, read_lines

    words_file = shared / "lexicons" / "scowl_american_50.txt"
    if not a.lines.is_file() or not words_file.is_file():
        print(f"need {a.lines} and {words_file}", file=sys.stderr)
        return 2
    ordinary = {w.strip() for w in words_file.read_text(encoding="utf-8").splitlines() if w.strip().islower()}
    eng = keywise.Engine.load(a.pack, neural=False)
    caps: collections.Counter[str] = collections.Counter()
    for line in (ln.lower() for ln in read_lines(a.lines, a.n)):
        for m in WORD_RE.finditer(line):
            end = m.end()
            if end < len(line) and line[end] != " ":
                continue
            r = eng.correction(line[:end] + " ")
            if r and r[1] and len(r[0].text) > 1 and r[0].text.isupper() and r[0].text.lower() == m.group():
                caps[m.group()] += 1
    n_ord = sum(c for w, c in caps.items() if w in ordinary)
    print(f"{a.n} lines of {a.lines.name} typed in lower case: {sum(caps.values())} autocorrections "
          f"into capitals, {n_ord} of them of ordinary words (*)")
    print(" ".join(f"{w}{'*' if w in ordinary else ''} x{c}" for w, c in caps.most_common(40)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
