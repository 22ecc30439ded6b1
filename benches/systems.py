"""The systems the harness compares: (name, factory) pairs, each factory returning a predictor
``predict(context, k) -> list[str]`` or raising ``Unavailable`` with a short reason.

Add keywise variants by appending to ``KEYWISE_VARIANTS``, e.g.
    ("keywise (neural off)", lambda: keywise_predictor(neural=False)),

keywise predictors carry ``predict.typist`` (None or a factory of the typist's predictor, see
``keywise.eval.ksr.evaluate``). Every predictor carries ``predict.spec`` (how to rebuild it in a fresh process: see
``benches/speed.py``) and, for keywise, ``predict.engine`` (the loaded ``keywise.Engine``),
for the speed-and-size measures; Presage predictors carry ``predict.db`` (the database path).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Predictor = Callable[[str, int], Sequence[str]]
Factory = Callable[[], Predictor]


class Unavailable(Exception):
    """A system cannot run here (not built, not installed); the harness skips it."""


def load_keywise(**load_kwargs: Any) -> Any:
    """keywise.Engine.load(**load_kwargs), or Unavailable with the reason."""
    try:
        import keywise
    except ImportError as exc:
        raise Unavailable(f"keywise is not importable ({type(exc).__name__}: {exc})") from exc
    try:
        return keywise.Engine.load(**load_kwargs)
    except Exception as exc:  # any load failure just skips the row, with its reason
        raise Unavailable(f"keywise.Engine.load({_kw(load_kwargs)}) failed: {type(exc).__name__}: {exc}") from exc


def _kw(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


def keywise_predictor(field: bool = True, **load_kwargs: Any) -> Predictor:
    """keywise.Engine.load(**load_kwargs).suggest, reduced to the suggestion texts. With `field`
    the typist types in a text field (``predict.typist``: ``Engine.field``, which leaves out the
    words it showed for the word before); the accuracies always ask ``Engine.suggest``."""
    engine = load_keywise(**load_kwargs)

    def predict(context: str, k: int) -> list[str]:
        return [s.text for s in engine.suggest(context, k)]

    def typist(_k: int) -> Predictor:
        from keywise.eval.ksr import engine_predictor

        return engine_predictor(engine, field=True)

    predict.engine = engine  # type: ignore[attr-defined]
    predict.typist = typist if field else None  # type: ignore[attr-defined]
    predict.spec = {"kind": "keywise", "kwargs": dict(load_kwargs), "field": field}  # type: ignore[attr-defined]
    return predict


def presage_predictor(db: str, stock: bool = False) -> Predictor:
    """Presage over `db`, stateless. With `stock` the typist (``.typist``) runs Presage as
    shipped: words offered since the last word boundary are not offered again, plus its recency
    predictor (one fresh instance per k, asked in typing order)."""
    from benches.presage import Presage, PresageError

    try:
        p = Presage(db)
    except PresageError as exc:
        raise Unavailable(str(exc)) from exc
    predict = p.predict  # a bound method takes no attributes: wrap it

    def wrapped(context: str, k: int) -> list[str]:
        return predict(context, k)

    def typist(_k: int) -> Predictor:
        q = Presage(db, repeat_suggestions=False, recency=True)
        held.append(q)  # kept open until the predictor goes
        return q.predict

    held: list[Any] = []
    wrapped.db = p.db  # type: ignore[attr-defined]
    wrapped.typist = typist if stock else None  # type: ignore[attr-defined]
    wrapped.spec = {"kind": "presage", "db": db, "stock": stock}  # type: ignore[attr-defined]
    wrapped.presage = p  # type: ignore[attr-defined]
    return wrapped


KEYWISE_VARIANTS: list[tuple[str, Factory]] = [
    # The default: the pack's neural model when it (and onnxruntime) is present.
    ("keywise", keywise_predictor),
    # neural=True insists on the neural model: not available (with the reason) when missing.
    ("keywise (neural on)", lambda: keywise_predictor(neural=True)),
    ("keywise (neural off)", lambda: keywise_predictor(neural=False)),
    # Engine.suggest alone (a pure function) for the typist, no text field.
    ("keywise (neural off, stateless)", lambda: keywise_predictor(neural=False, field=False)),
    # Neither the neural reranker nor typo decoding in suggest(): literal n-gram completions.
    ("keywise (decoder off)", lambda: keywise_predictor(neural=False, decoder=False)),
]

PEERS: list[tuple[str, Factory]] = [
    ("presage (own db)", lambda: presage_predictor("own")),
    ("presage (train db)", lambda: presage_predictor("train")),
    # As shipped (no repeats within a word, recency predictor): the typist only.
    ("presage (train db, stock)", lambda: presage_predictor("train", stock=True)),
]

# Ratios in the report are against this system.
BASELINE = "presage (train db)"


def all_systems() -> list[tuple[str, Factory]]:
    return [*KEYWISE_VARIANTS, *PEERS]


def build(spec: dict[str, Any]) -> Predictor:
    """The predictor a ``spec`` describes (used by the fresh-process RSS probe)."""
    if spec["kind"] == "keywise":
        return keywise_predictor(spec.get("field", True), **spec.get("kwargs", {}))
    if spec["kind"] == "presage":
        return presage_predictor(spec["db"], spec.get("stock", False))
    raise ValueError(f"unknown system kind {spec['kind']!r}")
