"""Keystroke savings rate (KSR) and word-prediction accuracy, for any predictor.

A predictor is any callable ``predict(context: str, k: int) -> list[str]``: ``context`` is the
text before the cursor, the result up to ``k`` whole words, best first. A suggestion replaces
the partly typed word at the cursor (a completion) or follows it (a next word, after a space).

The simulated typist (the same for every system):

* Lines are independent: the context is the text of the current line typed so far, cut to
  its last ``window`` (300) characters.
* Before each character of a word it asks for ``k`` suggestions. If the intended word is
  among them (compared case-insensitively, with ``str.casefold``) it selects it: one
  keystroke that inserts the rest of the word and, when the next character of the line is a
  space, that space too. Otherwise it types the character: one keystroke.
* Characters outside words (spaces, punctuation) are typed, one keystroke each, without
  asking the predictor.
* KSR = 1 - (keystrokes typed + selections) / characters of the line(s).

Tokenisation (``WORD_RE``): a word is a maximal run of letters and digits (``[^\\W_]``) with
internal apostrophes (``'`` or ``’``) and hyphens, each followed by more letters or digits:
``don't``, ``patient's``, ``59-year-old``, ``x-ray``, ``COVID-19`` are one word each; periods
always end a word (``Dr.`` = ``Dr`` + ``.``; ``2.5`` = ``2`` ``.`` ``5``), as does an
underscore. The intended word is the whole token; the typist's prefix is the part of it typed.

Accuracy measures (over the same tokens, without the typist's selections):

* next word top-k: for every word that follows whitespace (so not the first of a line), the
  context ends with that whitespace; hit if the word is among the top k.
* completion top-k: for every word of two or more characters, the context ends after its
  first character; hit if the word is among the top k.

``evaluate`` computes KSR at several k and both accuracies in one pass, asking the predictor
once per distinct context with the largest k and slicing the answer for smaller k. That is
exact for predictors whose top-k list is the first k items of their top-(k+1) list (true of
n-gram rankers and of Presage); use ``run_ksr`` per k for others. Latency is timed with
``time.perf_counter_ns`` around every real predictor call (cache hits are not calls).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Predictor = Callable[[str, int], Sequence[str]]

WORD_RE = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
WINDOW = 300


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation (numpy's default); nan if empty."""
    if not values:
        return float("nan")
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


@dataclass
class KsrResult:
    """Typist counts for one k. ``latencies_us`` holds one entry per real predictor call."""

    k: int
    keystrokes: int = 0
    selections: int = 0
    characters: int = 0
    lines: int = 0
    latencies_us: list[float] = field(default_factory=list, repr=False)

    @property
    def ksr(self) -> float:
        if self.characters == 0:
            return 0.0
        return 1.0 - (self.keystrokes + self.selections) / self.characters

    def p50_us(self) -> float:
        return percentile(self.latencies_us, 50)

    def p99_us(self) -> float:
        return percentile(self.latencies_us, 99)


@dataclass
class Accuracy:
    """Hits out of trials; ``rate`` is 0.0 when there were no trials."""

    hits: int = 0
    trials: int = 0

    @property
    def rate(self) -> float:
        return self.hits / self.trials if self.trials else 0.0


@dataclass
class Report:
    """Everything ``evaluate`` measures on one set of lines for one predictor."""

    ksr: dict[int, KsrResult]
    next_word: dict[int, Accuracy]
    completion: dict[int, Accuracy]
    latencies_us: list[float] = field(default_factory=list, repr=False)
    lines: int = 0
    characters: int = 0

    def p50_us(self) -> float:
        return percentile(self.latencies_us, 50)

    def p99_us(self) -> float:
        return percentile(self.latencies_us, 99)


def engine_predictor(engine: Any, field: bool = False) -> Predictor:
    """``engine.suggest`` as a predictor; with ``field``, one new text field of it
    (``engine.field()``: it leaves out the words it showed for the word being typed)."""
    suggest = engine.field().suggest if field else engine.suggest

    def predict(context: str, k: int) -> list[str]:
        return [s.text for s in suggest(context, k)]

    return predict


def read_lines(path: str | Path, limit: int | None = None) -> list[str]:
    """Non-blank lines of a UTF-8 file, without line endings; the first ``limit`` if given."""
    out: list[str] = []
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            out.append(line)
            if limit is not None and len(out) >= limit:
                break
    return out


def word_spans(line: str) -> list[tuple[int, int]]:
    """(start, end) of every word of ``line`` under ``WORD_RE``."""
    return [m.span() for m in WORD_RE.finditer(line)]


class _Timed:
    """Calls the predictor, records its latency, checks and truncates its answer."""

    def __init__(self, predict: Predictor, latencies: list[float]) -> None:
        self._predict = predict
        self._latencies = latencies

    def __call__(self, context: str, k: int) -> list[str]:
        t0 = time.perf_counter_ns()
        out = self._predict(context, k)
        self._latencies.append((time.perf_counter_ns() - t0) / 1000.0)
        if isinstance(out, str) or not all(isinstance(s, str) for s in out):
            raise TypeError("a predictor must return a list of str")
        return [s.casefold() for s in list(out)[:k]]


class _Memo:
    """Per-line cache: one real call per distinct context, asked with ``k_max``."""

    def __init__(self, timed: _Timed, k_max: int) -> None:
        self._timed = timed
        self._k_max = k_max
        self._cache: dict[str, list[str]] = {}

    def reset(self) -> None:
        self._cache.clear()

    def __call__(self, context: str, k: int) -> list[str]:
        hit = self._cache.get(context)
        if hit is None:
            hit = self._cache[context] = self._timed(context, self._k_max)
        return hit[:k]


def _check_k(k: int) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError("k must be a positive integer")


def _type_line(ask: Callable[[str, int], list[str]], line: str, k: int, window: int, res: KsrResult) -> None:
    spans = word_spans(line)
    owner = [-1] * len(line)
    for w, (s, e) in enumerate(spans):
        for i in range(s, e):
            owner[i] = w
    n = len(line)
    i = 0
    while i < n:
        w = owner[i]
        if w >= 0:
            s, e = spans[w]
            if line[s:e].casefold() in ask(line[max(0, i - window) : i], k):
                res.selections += 1
                i = e + 1 if e < n and line[e] == " " else e
                continue
        res.keystrokes += 1
        i += 1
    res.characters += n
    res.lines += 1


def run_ksr(predict: Predictor, lines: Iterable[str], k: int = 3, window: int = WINDOW) -> KsrResult:
    """The typist over ``lines`` with ``k`` suggestions; every position is a real call."""
    _check_k(k)
    res = KsrResult(k=k)
    timed = _Timed(predict, res.latencies_us)
    for line in lines:
        _type_line(timed, line, k, window, res)
    return res


def _accuracy_line(
    ask: Callable[[str, int], list[str]],
    line: str,
    window: int,
    next_word: dict[int, Accuracy],
    completion: dict[int, Accuracy],
) -> None:
    k_next = max(next_word, default=0)
    k_comp = max(completion, default=0)
    for s, e in word_spans(line):
        word = line[s:e].casefold()
        if k_next and s > 0 and line[s - 1].isspace():
            got = ask(line[max(0, s - window) : s], k_next)
            for k, acc in next_word.items():
                acc.trials += 1
                acc.hits += word in got[:k]
        if k_comp and e - s >= 2:
            got = ask(line[max(0, s + 1 - window) : s + 1], k_comp)
            for k, acc in completion.items():
                acc.trials += 1
                acc.hits += word in got[:k]


def word_accuracy(
    predict: Predictor,
    lines: Iterable[str],
    next_ks: Sequence[int] = (1, 3),
    completion_ks: Sequence[int] = (3,),
    window: int = WINDOW,
) -> tuple[dict[int, Accuracy], dict[int, Accuracy]]:
    """(next-word accuracy by k, completion accuracy by k); one call per measured position."""
    for k in (*next_ks, *completion_ks):
        _check_k(k)
    nxt = {k: Accuracy() for k in next_ks}
    comp = {k: Accuracy() for k in completion_ks}
    timed = _Timed(predict, [])
    for line in lines:
        _accuracy_line(timed, line, window, nxt, comp)
    return nxt, comp


def evaluate(
    predict: Predictor,
    lines: Iterable[str],
    ks: Sequence[int] = (1, 3, 5),
    next_ks: Sequence[int] = (1, 3),
    completion_ks: Sequence[int] = (3,),
    window: int = WINDOW,
    share_calls: bool = True,
    typist: Callable[[int], Predictor] | None = None,
) -> Report:
    """KSR for every k in ``ks`` plus both accuracies. With ``share_calls`` (the default) one
    call per distinct context within a line, asked with the largest k; without it every
    measurement makes its own calls with its own k (slower; for predictors whose top-k lists
    are not prefixes of each other).

    ``typist``, if given, makes the predictor the typist uses for the KSR at k (a fresh one per
    k, asked in typing order: for stateful predictors such as a text field's, which leave out
    what they showed before); the accuracies still ask ``predict``, one context at a time."""
    all_ks = (*ks, *next_ks, *completion_ks)
    if not all_ks:
        raise ValueError("nothing to measure")
    for k in all_ks:
        _check_k(k)
    lines = list(lines)
    if typist is not None:
        results = {k: run_ksr(typist(k), lines, k, window) for k in ks}
        acc = evaluate(predict, lines, (), next_ks, completion_ks, window, share_calls) if next_ks or completion_ks else None
        every = [x for r in results.values() for x in r.latencies_us] + (acc.latencies_us if acc else [])
        return Report(
            results,
            acc.next_word if acc else {},
            acc.completion if acc else {},
            every,
            len(lines),
            sum(map(len, lines)),
        )
    if not share_calls:
        results = {k: run_ksr(predict, lines, k, window) for k in ks}
        timed_acc: list[float] = []
        nxt = {k: Accuracy() for k in next_ks}
        comp = {k: Accuracy() for k in completion_ks}
        timed = _Timed(predict, timed_acc)
        for line in lines:
            _accuracy_line(timed, line, window, nxt, comp)
        every = [x for r in results.values() for x in r.latencies_us] + timed_acc
        return Report(results, nxt, comp, every, len(lines), sum(map(len, lines)))
    latencies: list[float] = []
    memo = _Memo(_Timed(predict, latencies), max(all_ks))
    results = {k: KsrResult(k=k) for k in ks}
    nxt = {k: Accuracy() for k in next_ks}
    comp = {k: Accuracy() for k in completion_ks}
    n_lines = n_chars = 0
    for line in lines:
        memo.reset()
        for k, res in results.items():
            _type_line(memo, line, k, window, res)
        _accuracy_line(memo, line, window, nxt, comp)
        n_lines += 1
        n_chars += len(line)
    for res in results.values():
        res.latencies_us = latencies
    return Report(results, nxt, comp, latencies, n_lines, n_chars)
