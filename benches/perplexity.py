"""Word perplexity of keywise's models on a sample of eval lines, for ``python -m benches``.

* n-gram, all in-vocabulary words: ``engine.score_text(line)`` per line (line = history), the
  perplexity over the words it marks known, exactly as ``keywise eval perplexity FILE`` computes
  it (numbers are one ``<num>`` token; out-of-vocabulary words are counted and left out).
* aligned subset: the known words that can be found in the line's text (so not ``<num>``) and
  that the neural model can score (at most 8 sentencepiece pieces); on these same words both the
  n-gram log10 p and the neural log10 P(word | text before it) (``NeuralLM.word_log10_probs``
  with ``next_word=True``, the word as written, in its original case) are averaged.
  The neural probability of a word is the product of its pieces' probabilities times the
  probability that the word ends there; it is normalised over all strings, the n-gram over its
  vocabulary, so the two are comparable in trend, not exactly.
Perplexity = 10 ** (-mean log10 p).
"""

from __future__ import annotations

import math
import re
from typing import Any


def _ppl(total: float, n: int) -> float:
    return 10 ** (-total / n) if n else float("nan")


def perplexity(engine: Any, lines: list[str]) -> dict[str, Any]:
    neural = getattr(engine, "_neural", None)
    tot, n, oov = 0.0, 0, 0
    a_ng, a_nn, a_n, unaligned = 0.0, 0.0, 0, 0
    for line in lines:
        pos = 0
        low = line.lower()
        for word, lp, known in engine.score_text(line):
            if not known:
                oov += 1
                continue
            tot += lp
            n += 1
            if neural is None or word.startswith("<"):
                continue
            m = re.compile(r"(?<![^\W_])" + re.escape(word) + r"(?![^\W_])").search(low, pos)
            if m is None:
                unaligned += 1
                continue
            pos = m.end()
            (nlp,) = neural.word_log10_probs(line[: m.start()][-300:], [line[m.start() : m.end()]], next_word=True)
            if not math.isfinite(nlp):
                unaligned += 1
                continue
            a_ng += lp
            a_nn += nlp
            a_n += 1
    out: dict[str, Any] = {"ngram": _ppl(tot, n), "words": n, "oov": oov, "lines": len(lines)}
    if neural is not None:
        out.update(
            {
                "aligned_words": a_n,
                "unaligned_words": unaligned,
                "ngram_aligned": _ppl(a_ng, a_n),
                "neural_aligned": _ppl(a_nn, a_n),
            }
        )
    return out
