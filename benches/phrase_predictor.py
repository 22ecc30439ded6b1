"""Would a phrase memory pay more than the user store? An upper-bound style probe for issue 5.

    python benches/phrase_predictor.py LINES PACK [--order 6] [--min-order 2]

The first half of LINES is "learned": every context of up to ``--order`` words and the word
that followed it are counted. The typist of ``keywise.eval.ksr.run_ksr`` types the second half
in a text field; at each keystroke the longest learned context (at least ``--min-order``
words) that ends the text offers its most frequent next word matching the partial word, in
the first slot, ahead of the engine's suggestions. ``online`` also learns each line once it
is typed. Prints KSR (k = 3) for the engine alone and with the phrase memory.

Run it on held-out *train* notes with a pack built without them, never on an eval split:

    python -m benches.holdout build base --work /work/cache/ho50 --hold 0.5
    python benches/phrase_predictor.py /work/cache/ho50/held_notes.txt /work/cache/ho50/packs/base

This is a measuring probe kept in plain Python (dicts of tuples): it is not on any product path.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

import keywise
from keywise.eval.ksr import Predictor, engine_predictor, read_lines, run_ksr

WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\-/]*")
PARTIAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\-/]*$")


class PhraseMemory:
    def __init__(self, order: int, min_order: int) -> None:
        self.order, self.min_order = order, min_order
        self.next: defaultdict[tuple[str, ...], Counter[str]] = defaultdict(Counter)

    def learn(self, line: str) -> None:
        ws = ["<s>", *WORD.findall(line)]
        for i in range(1, len(ws)):
            for n in range(1, min(self.order, i) + 1):
                self.next[tuple(w.lower() for w in ws[i - n : i])][ws[i]] += 1

    def offer(self, context: str) -> str | None:
        m = PARTIAL.search(context)
        partial = (m.group(0) if m else "").lower()
        before = context[: len(context) - len(partial)].rsplit("\n", 1)[-1]
        ws = ["<s>", *WORD.findall(before)]
        for n in range(min(self.order, len(ws)), self.min_order - 1, -1):
            for w, _ in self.next.get(tuple(w.lower() for w in ws[-n:]), Counter()).most_common():
                if w.lower().startswith(partial) and len(w) > len(partial):
                    return w
        return None


def with_memory(engine: keywise.Engine, memory: PhraseMemory) -> Predictor:
    base = engine_predictor(engine, field=True)

    def predict(context: str, k: int) -> list[str]:
        first = memory.offer(context)
        out: list[str] = []
        for w in ([first] if first else []) + list(base(context, k)):
            if w.lower() not in (x.lower() for x in out):
                out.append(w)
        return out[:k]

    return predict


def learning(memory: PhraseMemory, lines: Iterable[str]) -> Iterator[str]:
    for ln in lines:
        yield ln
        memory.learn(ln)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("lines", type=Path)
    ap.add_argument("pack", type=Path)
    ap.add_argument("--order", type=int, default=6)
    ap.add_argument("--min-order", type=int, default=2)
    a = ap.parse_args(argv)
    lines = [ln.strip() for ln in read_lines(a.lines)]
    half = len(lines) // 2
    engine = keywise.Engine.load(a.pack, neural=False)
    print(f"engine alone            KSR {100 * run_ksr(engine_predictor(engine, field=True), lines[half:], k=3).ksr:.2f}%")
    for name, online in (("learned", False), ("online", True)):
        memory = PhraseMemory(a.order, a.min_order)
        for ln in lines[:half]:
            memory.learn(ln)
        test = learning(memory, lines[half:]) if online else lines[half:]
        r = run_ksr(with_memory(engine, memory), test, k=3)
        print(f"phrase memory, {name:7s} KSR {100 * r.ksr:.2f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
