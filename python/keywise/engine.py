"""The Python face of the engine: loads a pack, validates input, and (optionally) reranks the
native candidates with the neural model. The per-keystroke work happens in Rust with the GIL
released; this layer only checks arguments and hands over strings."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Sequence

from keywise import _native
from keywise._native import Suggestion
from keywise.errors import InputError, PackError

#: The pack shipped with the package (English with clinical vocabulary).
DEFAULT_PACK = Path(__file__).resolve().parent.parent.parent / "models" / "en-clinical"
_MAX_K = 64
# How many n-gram candidates the neural model reranks.
_NEURAL_POOL = 12


def _default_pack() -> Path:
    env = os.environ.get("KEYWISE_PACK")
    if env:
        return Path(env)
    return DEFAULT_PACK


class Engine:
    """A loaded model pack. Thread-safe: one engine may serve every thread and text field."""

    def __init__(self, native: _native.NativeEngine, path: Path, neural: object | None) -> None:
        self._native = native
        self.path = path
        self._neural = neural

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, neural: bool | None = None) -> "Engine":
        """Load the pack at `path` (default: the shipped pack).

        `neural=None` uses the pack's neural model when it and onnxruntime are available (with
        one warning when not), `True` insists on it, `False` never loads it.
        """
        p = Path(path) if path is not None else _default_pack()
        if not (p / "manifest.json").is_file():
            raise PackError(f"{p}: not a keywise model pack (no manifest.json)")
        native = _native.NativeEngine.load(p)
        model = None
        if neural is not False:
            model = _load_neural(p, required=neural is True)
        return cls(native, p, model)

    @property
    def neural(self) -> bool:
        """True when the neural model reranks suggestions."""
        return self._neural is not None

    def suggest(self, text: str, k: int = 3) -> list[Suggestion]:
        """Suggestions for `text`, everything before the cursor: completions of the partial word
        at the cursor, or next words after a space."""
        if not isinstance(text, str):
            raise InputError("text must be a str")
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= _MAX_K:
            raise InputError(f"k must be an int in 1..{_MAX_K}")
        text = _clean(text)
        if self._neural is None:
            return self._native.suggest(text, k)
        pool = self._native.suggest(text, max(k, _NEURAL_POOL))
        if len(pool) <= 1:
            return pool[:k]
        return self._neural.rerank(text[-300:], pool, k)  # type: ignore[attr-defined]

    def score_text(self, text: str) -> list[tuple[str, float, bool]]:
        """(word, log10 P(word | history), in vocabulary) for each word of `text` (n-gram model)."""
        if not isinstance(text, str):
            raise InputError("text must be a str")
        return self._native.score_text(_clean(text))

    def info(self) -> dict[str, object]:
        """What the pack holds."""
        d: dict[str, object] = dict(self._native.info())
        d["path"] = str(self.path)
        d["neural"] = self.neural
        return d


def _clean(text: str) -> str:
    # Only the tail matters (the core reads 512 bytes); lone surrogates cannot cross into Rust.
    text = text[-2048:]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _load_neural(pack: Path, required: bool) -> object | None:
    d = pack / "neural"
    if not (d / "manifest.json").is_file() and not required:
        return None
    try:
        from keywise.neural import NeuralLM
    except ImportError as e:  # onnxruntime or sentencepiece missing
        if required:
            raise PackError(f"the neural model needs onnxruntime and sentencepiece ({e.name} is missing)") from None
        warnings.warn(f"keywise: neural model disabled ({e.name} is not installed)", RuntimeWarning, stacklevel=3)
        return None
    try:
        return NeuralLM.load(d)
    except PackError:
        if required:
            raise
        warnings.warn(f"keywise: neural model in {d} could not be loaded; using the n-gram model", RuntimeWarning, stacklevel=3)
        return None


def _as_taps(taps: Sequence[tuple[float, float]] | None) -> list[tuple[float, float]] | None:
    if taps is None:
        return None
    try:
        return [(float(x), float(y)) for x, y in taps]
    except (TypeError, ValueError):
        raise InputError("taps must be a sequence of (x, y) number pairs") from None
