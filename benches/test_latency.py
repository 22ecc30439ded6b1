"""pytest-benchmark benches of the Python path (not part of the test suite):

    python3 -m pytest benches/test_latency.py --benchmark-only -p no:cacheprovider

Latency targets are read off these numbers and the quality harness (`python -m benches`),
never asserted in unit tests: the machines are shared and noisy."""

from __future__ import annotations

import pytest

import keywise


@pytest.fixture(scope="module")
def engine() -> keywise.Engine:
    return keywise.Engine.load(neural=False)


@pytest.fixture(scope="module")
def neural_engine() -> keywise.Engine:
    eng = keywise.Engine.load()
    if not eng.neural:
        pytest.skip("the pack has no neural model (or onnxruntime is missing)")
    return eng


def _taps(engine: keywise.Engine, word: str) -> list[tuple[float, float]]:
    keys = {k["char"]: (k["x"], k["y"]) for k in engine.layout()["keys"]}  # type: ignore[index]
    return [(keys[c][0] + 0.21 * (-1) ** i, keys[c][1] - 0.17 * (-1) ** i) for i, c in enumerate(word)]


def test_suggest_completion(benchmark, engine: keywise.Engine) -> None:  # type: ignore[no-untyped-def]
    benchmark(engine.suggest, "The patient denies ch")


def test_suggest_next_word(benchmark, engine: keywise.Engine) -> None:  # type: ignore[no-untyped-def]
    benchmark(engine.suggest, "The patient denies chest pain and shortness of ")


def test_decode_ten_taps(benchmark, engine: keywise.Engine) -> None:  # type: ignore[no-untyped-def]
    taps = _taps(engine, "hypertensi")
    benchmark(engine.suggest, "History of hypertensi", 3, taps)


def test_autocorrect(benchmark, engine: keywise.Engine) -> None:  # type: ignore[no-untyped-def]
    benchmark(engine.correction, "The pstient ")


def test_suggest_neural(benchmark, neural_engine: keywise.Engine) -> None:  # type: ignore[no-untyped-def]
    benchmark(neural_engine.suggest, "The patient denies chest pain and shortness of ")


def test_field_typing_a_word(benchmark, engine: keywise.Engine) -> None:  # type: ignore[no-untyped-def]
    # One round: a text field typed into letter by letter ("sh" .. "shortness"), nine calls.
    prefix = "The patient denies chest pain and "

    def type_word() -> None:
        field = engine.field()
        for i in range(2, 10):
            field.suggest(prefix + "shortness"[:i])
        field.suggest(prefix)

    benchmark(type_word)
