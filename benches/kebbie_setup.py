"""Fill kebbie's common-typos cache from the shared typo lists, so kebbie never downloads.

    python benches/kebbie_setup.py [--shared DIR] [--out FILE] [--force]

kebbie's NoiseModel reads ``~/.cache/common_typos/en.json`` (``{correct: [typos]}``) and,
when it is missing, fetches a typo corpus over HTTP. This writes that file from
``typos/*.tsv`` (``misspelling<TAB>correct``, a header line first). Only pairs of plain words
(letters with internal ' or -) that differ are kept, repeats included; keys and lists are
sorted, so the file is the same on every machine. An existing file is left alone unless it is ours or --force is given.
Standard library only: it runs under the project's Python or the kebbie venv.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = Path(os.path.expanduser("~/.cache/common_typos/en.json"))
WORD = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")


def default_shared() -> Path:
    env = os.environ.get("KEYWISE_SHARED")
    if env:  # an explicit choice: no silent fallback
        if not (Path(env) / "typos").is_dir():
            raise SystemExit(f"KEYWISE_SHARED={env} has no typos/ folder")
        return Path(env)
    for cand in [REPO.parent / "shared", Path("/work/shared")]:
        if (cand / "typos").is_dir():
            return cand
    raise SystemExit("kebbie_setup: shared data not found (set KEYWISE_SHARED or --shared)")


def build(typo_files: list[Path]) -> dict[str, list[str]]:
    # Repeated pairs are kept: kebbie picks with random.choice, so frequent typos weigh more.
    typos: dict[str, list[str]] = defaultdict(list)
    for path in typo_files:
        with open(path, encoding="utf-8", newline="") as fh:
            for i, row in enumerate(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)):
                if i == 0 and row[:2] == ["misspelling", "correct"]:
                    continue
                if len(row) < 2:
                    continue
                wrong, right = row[0].strip(), row[1].strip()
                if wrong != right and WORD.fullmatch(wrong) and WORD.fullmatch(right):
                    typos[right].append(wrong)
    return {right: sorted(wrongs) for right, wrongs in sorted(typos.items())}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, help="the shared data folder (default: ../shared)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--force", action="store_true", help="overwrite a file we did not write")
    args = ap.parse_args(argv)

    shared = args.shared or default_shared()
    files = sorted((shared / "typos").glob("*.tsv"))
    if not files:
        print(f"kebbie_setup: no typos/*.tsv under {shared}", file=sys.stderr)
        return 1
    data = build(files)
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    stamp = args.out.with_suffix(".keywise")  # marks the file as ours
    if args.out.exists() and not args.force:
        if args.out.read_text(encoding="utf-8") == text:
            print(f"kebbie_setup: {args.out} is up to date")
            return 0
        if not stamp.exists():
            print(f"kebbie_setup: {args.out} exists and was not written here; use --force", file=sys.stderr)
            return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.partial")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(args.out)
    stamp.write_text("written by keywise benches/kebbie_setup.py\n", encoding="utf-8")
    n = sum(map(len, data.values()))
    print(f"kebbie_setup: wrote {args.out}: {len(data)} words, {n} typos from {len(files)} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
