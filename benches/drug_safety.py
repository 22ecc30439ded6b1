"""Clinical safety guard check: no automatic drug-to-different-drug or dose change.

    python benches/drug_safety.py [--drugs /work/shared/lexicons/drug_names.tsv] [--pack DIR]
                                  [--per-drug 4] [--seed 0] [--max-drugs 0] [--json]

Test set (built here, from the drug lexicon only):

* Drug names: the single-word entries (letters and hyphens, 4+ characters) of drug_names.tsv
  (both columns) that the pack's lexicon knows: the engine can only ever propose lexicon
  words, so these are the drugs it could switch between.
* Look-alike drugs: every such drug within edit distance 2 (optimal string alignment) of
  another (found with a symmetric-deletion index), plus the six classic pairs.
* Typos of each look-alike drug: every string on a shortest edit path towards each look-alike
  neighbour (the most dangerous typos: they are as close to the other drug), plus a seeded
  sample of ``--per-drug`` random one-edit and two-edit typos (substitutions by neighbouring
  keys, omissions, doublings, transpositions).
* Dose strings: numbers, units, number+unit pairs and unit look-alikes ("5 mg", "50 mg", "mg",
  "mcg", "0.5", "mL", "units", ...).

Each typo is typed after the context ``"Patient was started on "`` and checked with
``engine.correction(text + " ", level=L)`` for L in conservative, normal, aggressive (no taps:
the typed characters themselves). Violations:

* drug->different drug: the correction is applied automatically and the replacement (any of
  its words) is a drug name other than the intended one (a change of case only, e.g. at the
  start of a sentence, is counted apart: it is the same word);
* dose change: the correction is applied automatically to a dose string, or its replacement
  has a digit or a unit the typed text did not.

Both must be 0. Also reported: typos fixed automatically to the intended drug, and corrections
offered but held back by the guard.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

import keywise
from keywise.eval.lookalikes import LOOK_ALIKE_PAIRS

LEVELS = ("conservative", "normal", "aggressive")
NAME = re.compile(r"[a-z]+(?:-[a-z]+)*")
CONTEXT = "Patient was started on "
CLASSIC = LOOK_ALIKE_PAIRS
UNITS = ["mg", "mcg", "g", "kg", "mL", "ml", "L", "units", "unit", "IU", "mEq", "mmol", "tabs", "caps", "puffs", "gtt", "cc", "%"]
NUMBERS = ["1", "2", "5", "10", "25", "50", "100", "250", "500", "0.5", "1.5", "2.5", "12.5"]
NEAR = {
    c: n
    for c, n in zip(
        "qwertyuiopasdfghjklzxcvbnm",
        [
            "wa", "qeas", "wrsd", "etdf", "rtfg", "tugh", "yihj", "uojk", "ipkl", "ol",
            "qwsz", "awedxz", "serfcx", "drtgvc", "ftyhbv", "gyujnb", "huikmn", "jiolm", "kop",
            "asx", "zsdc", "xdfv", "cfgb", "vghn", "bhjm", "njk",
        ],
    )
}


def osa(a: str, b: str) -> int:
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
        prev2, prev = prev, cur
    return prev[len(b)]


def deletes(w: str, n: int = 2) -> set[str]:
    out = {w}
    frontier = {w}
    for _ in range(n):
        frontier = {s[:i] + s[i + 1 :] for s in frontier for i in range(len(s))}
        out |= frontier
    return out


def lookalikes(drugs: list[str]) -> dict[str, set[str]]:
    """drug -> the other drugs within OSA distance 2."""
    index: dict[str, list[str]] = defaultdict(list)
    for d in drugs:
        for s in deletes(d):
            index[s].append(d)
    near: dict[str, set[str]] = defaultdict(set)
    for bucket in index.values():
        if len(bucket) < 2:
            continue
        for i, a in enumerate(bucket):
            for b in bucket[i + 1 :]:
                if a != b and b not in near[a] and osa(a, b) <= 2:
                    near[a].add(b)
                    near[b].add(a)
    return near


_BALL: dict[str, set[str]] = {}


def ball(w: str) -> set[str]:
    """Every string one edit from `w` (cached)."""
    if w not in _BALL:
        _BALL[w] = set(one_edit(w, every=True))
    return _BALL[w]


def path_strings(a: str, b: str) -> list[str]:
    """One-edit typos of `a` that are also one edit from (or equal to) `b`: for look-alikes at
    distance 2 the midpoints, at distance 1 `b` itself (a drug typed when `a` was meant)."""
    if b in ball(a):
        return [b]
    return sorted(ball(a) & ball(b))


def one_edit(w: str, rng: random.Random | None = None, every: bool = False) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    cands = []
    for i in range(len(w)):
        cands.append(w[:i] + w[i + 1 :])  # omission
        cands.append(w[:i] + w[i] + w[i:])  # doubling
        if i + 1 < len(w):
            cands.append(w[:i] + w[i + 1] + w[i] + w[i + 2 :])  # transposition
        subs = letters if every else NEAR.get(w[i], "")
        for c in subs:
            if c != w[i]:
                cands.append(w[:i] + c + w[i + 1 :])
        if every:
            for c in letters:
                cands.append(w[:i] + c + w[i:])
    cands = sorted({c for c in cands if c and c != w})
    if rng is not None:
        rng.shuffle(cands)
    return cands


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--drugs", type=Path, default=Path("/work/shared/lexicons/drug_names.tsv"))
    ap.add_argument("--pack", default=None)
    ap.add_argument("--per-drug", type=int, default=4, help="random 1- and 2-edit typos per drug, each")
    ap.add_argument("--max-drugs", type=int, default=0, help="only the first N look-alike drugs (0: all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)

    t0 = time.time()
    engine = keywise.Engine.load(a.pack, neural=False)
    names: set[str] = set()
    with open(a.drugs, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            parts = line.rstrip("\n").split("\t")
            if i == 0 and parts[:1] == ["variant"]:
                continue
            for p in parts[:2]:  # both columns
                p = p.strip().lower()
                if len(p) >= 4 and NAME.fullmatch(p):
                    names.add(p)
    drugs = sorted(w for w in names if engine.score_text(w)[0][2])
    drug_set = set(drugs)
    near = lookalikes(drugs)
    for x, y in CLASSIC:
        if x in drug_set and y in drug_set:
            near[x].add(y)
            near[y].add(x)
    targets = sorted(near)
    if a.max_drugs:  # a seeded sample, always with the classic look-alikes
        classic = {d for p in CLASSIC for d in p if d in near}
        targets = sorted(set(random.Random(a.seed).sample(targets, min(a.max_drugs, len(targets)))) | classic)
    rng = random.Random(a.seed)
    cases: list[tuple[str, str]] = []  # (typo, intended drug)
    for d in targets:
        typos: set[str] = set()
        for other in sorted(near[d]):
            typos.update(path_strings(d, other))
        ones = one_edit(d, rng)
        typos.update(ones[: a.per_drug])
        twos = []
        for t in ones[: a.per_drug]:
            twos.extend(one_edit(t, rng)[:2])
        typos.update(t for t in twos[: a.per_drug] if t != d)
        cases.extend((t, d) for t in sorted(typos))
        _BALL.clear()  # bounded memory

    counts = {lv: defaultdict(int) for lv in LEVELS}
    examples: list[str] = []
    for typo, intended in cases:
        for lv in LEVELS:
            r = engine.correction(CONTEXT + typo + " ", None, lv)
            c = counts[lv]
            c["typos"] += 1
            if r is None:
                continue
            sug, apply, guard = r
            if not apply:
                c["offered" if not guard else f"guarded_{guard}"] += 1
                continue
            words = sug.text.lower().split()
            if sug.text.lower() == typo:
                c["case_only"] += 1  # same word, capitalised: no drug or dose change
            elif any(w in drug_set and w != intended for w in words):
                c["drug_to_other_drug"] += 1
                if len(examples) < 20:
                    examples.append(f"{lv}: {typo} -> {sug.text} (intended {intended})")
            elif intended in words:
                c["fixed_to_intended"] += 1
            else:
                c["changed_to_non_drug"] += 1

    dose_cases = list(UNITS) + list(NUMBERS) + [f"{n} {u}" for n in NUMBERS for u in UNITS]
    dose_cases += [f"{n}{u}" for n in NUMBERS for u in ("mg", "mcg", "ml", "g")]
    for lv in LEVELS:
        c = counts[lv]
        for ds in dose_cases:
            for ctx in ("Take ", "Lisinopril ", ""):
                r = engine.correction(ctx + ds + " ", None, lv)
                c["dose_strings"] += 1
                if r is not None and r[1]:
                    c["dose_change"] += 1
                    if len(examples) < 40:
                        examples.append(f"{lv}: {ds!r} -> {r[0].text!r}")

    res = {
        "drug_names_in_lexicon": len(drugs),
        "lookalike_drugs": len(targets),
        "typo_cases": len(cases),
        "dose_cases": len(dose_cases) * 3,
        "levels": {lv: dict(counts[lv]) for lv in LEVELS},
        "drug_to_other_drug_total": sum(counts[lv]["drug_to_other_drug"] for lv in LEVELS),
        "dose_change_total": sum(counts[lv]["dose_change"] for lv in LEVELS),
        "violations": examples,
        "seconds": round(time.time() - t0, 1),
    }
    if a.json:
        print(json.dumps(res, indent=1))
    else:
        print(
            f"drug safety: {len(drugs)} drug names in the lexicon, {len(targets)} with a look-alike "
            f"(edit distance <= 2); {len(cases)} typos x {len(LEVELS)} levels; {len(dose_cases) * 3} dose strings"
        )
        for lv in LEVELS:
            c = counts[lv]
            print(
                f"  {lv:12s} drug->other drug {c['drug_to_other_drug']}  dose changes {c['dose_change']}  "
                f"fixed to intended {c['fixed_to_intended']}  to a non-drug {c['changed_to_non_drug']}  case only {c['case_only']}  "
                f"held back (drug guard {c['guarded_drug']}, dose guard {c['guarded_dose']}, offered {c['offered']})"
            )
        print(f"  TOTAL automatic drug->different-drug: {res['drug_to_other_drug_total']}, dose changes: {res['dose_change_total']}")
        for ex in examples:
            print("   ", ex)
        print(f"  ({res['seconds']} s)")
    return 0 if res["drug_to_other_drug_total"] == 0 and res["dose_change_total"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
