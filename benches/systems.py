"""The systems the harness compares: (name, factory) pairs, each factory returning a predictor
``predict(context, k) -> list[str]`` or raising ``Unavailable`` with a short reason.

Add keywise variants by appending to ``KEYWISE_VARIANTS``, e.g.
    ("keywise (neural off)", lambda: keywise_predictor(neural=False)),
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Predictor = Callable[[str, int], Sequence[str]]
Factory = Callable[[], Predictor]


class Unavailable(Exception):
    """A system cannot run here (not built, not installed); the harness skips it."""


def keywise_predictor(**load_kwargs: Any) -> Predictor:
    """keywise.Engine.load(**load_kwargs).suggest, reduced to the suggestion texts."""
    try:
        import keywise
    except ImportError as exc:
        raise Unavailable(f"keywise is not importable ({type(exc).__name__})") from exc
    try:
        engine = keywise.Engine.load(**load_kwargs)
    except Exception as exc:  # any load failure just skips the row
        raise Unavailable(f"keywise.Engine.load failed ({type(exc).__name__})") from exc

    def predict(context: str, k: int) -> list[str]:
        return [s.text for s in engine.suggest(context, k)]

    return predict


def presage_predictor(db: str) -> Predictor:
    from benches.presage import Presage, PresageError

    try:
        return Presage(db).predict
    except PresageError as exc:
        raise Unavailable(str(exc)) from exc


KEYWISE_VARIANTS: list[tuple[str, Factory]] = [
    ("keywise", keywise_predictor),
]

PEERS: list[tuple[str, Factory]] = [
    ("presage (own db)", lambda: presage_predictor("own")),
    ("presage (train db)", lambda: presage_predictor("train")),
]

# Ratios in the report are against this system.
BASELINE = "presage (train db)"


def all_systems() -> list[tuple[str, Factory]]:
    return [*KEYWISE_VARIANTS, *PEERS]
