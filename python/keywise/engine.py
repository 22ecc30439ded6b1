"""The Python face of the engine: loads a pack, validates input, and (optionally) reranks the
native candidates with the neural model. The per-keystroke work happens in Rust with the GIL
released; this layer only checks arguments and hands over strings."""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Sequence

from keywise import _native
from keywise._native import Suggestion
from keywise.errors import InputError, PackError

#: The pack shipped with the package (English with clinical vocabulary).
DEFAULT_PACK = Path(__file__).resolve().parent.parent.parent / "models" / "en-clinical"
_MAX_K = 64
# How many n-gram candidates the neural model reranks. Only those that can reach the top k are
# scored, so a wider pool costs little (held-out notes, `python -m benches.neural_depth --grid
# 12:3,16:3,20:3`: KSR 65.35 / 65.47 / 65.51, model rows per call 4.07 / 4.12 / 4.22).
_NEURAL_POOL = 16
_NEURAL_WINDOW = 300  # characters of context the neural model reads (its MAX_CONTEXT_CHARS)


def _default_pack() -> Path:
    env = os.environ.get("KEYWISE_PACK")
    if env:
        return Path(env)
    return DEFAULT_PACK


class Engine:
    """A loaded model pack. Thread-safe: one engine may serve every thread and text field."""

    def __init__(
        self,
        native: _native.NativeEngine,
        path: Path,
        neural: object | None,
        user_store: _native.UserStore | None = None,
        decoder: bool = True,
    ) -> None:
        self._native = native
        self._decode = decoder
        self.path = path
        self._neural = neural
        self.user_store = user_store
        self._incognito = threading.local()
        self.level = "normal"

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str] | None = None,
        neural: bool | None = None,
        user_store: _native.UserStore | None = None,
        decoder: bool = True,
        neural_threads: int = 1,
        phi_policy: str = "strict",
    ) -> "Engine":
        """Load the pack at `path` (default: the shipped pack).

        `neural=None` uses the pack's neural model when it and onnxruntime are available (with
        one warning when not), `True` insists on it, `False` never loads it. `user_store` mixes
        that user's learned words into the suggestions and receives what `learn()` learns.
        `decoder=False` turns off typo decoding in `suggest` (literal completions only).
        `neural_threads`: onnxruntime's intra-op threads for the neural model (1 to 64; one
        keeps a keystroke's latency steady on a phone-class CPU). `phi_policy`: how `learn`
        recognises person names it must not learn: "strict" (the pack's names list, and names
        from context: after "Mr.", "Dr." and other titles, after "name:") or "list" (the list only).
        """
        if not isinstance(neural_threads, int) or isinstance(neural_threads, bool) or not 1 <= neural_threads <= 64:
            raise InputError("neural_threads must be an integer from 1 to 64")
        p = Path(path) if path is not None else _default_pack()
        if not (p / "manifest.json").is_file():
            raise PackError(f"{p}: not a keywise model pack (no manifest.json)")
        native = _native.NativeEngine.load(p, phi_policy)
        model = None
        if neural is not False:
            model = _load_neural(p, required=neural is True, threads=neural_threads)
        return cls(native, p, model, user_store, decoder)

    @property
    def neural(self) -> bool:
        """True when the neural model reranks suggestions."""
        return self._neural is not None

    def suggest(
        self, text: str, k: int = 3, taps: Sequence[tuple[float, float]] | None = None
    ) -> list[Suggestion]:
        """Suggestions for `text`, everything before the cursor: completions of the partial word
        at the cursor, or next words after a space. The partial word includes a trailing hyphen
        or apostrophe that words continue ("x-" -> "x-ray"). `taps`: one (x, y) point in layout
        units (see `layout()`) per character of the partial word; the decoder then reads them.
        A pure function of its arguments; a keyboard's text field wants `field()`."""
        return self._suggest(text, k, taps, None)

    def field(self, incognito: bool = False) -> "Field":
        """A text field's session: its `suggest` leaves out the words it already showed for the
        word being typed (the user typed past them), which frees their slots for others.
        `incognito=True` is the per-field switch (Android's IME_FLAG_NO_PERSONALIZED_LEARNING):
        `field.learn` learns nothing, and `field.close()` drops the caches of what was typed."""
        if not isinstance(incognito, bool):
            raise InputError("incognito must be True or False")
        return Field(self, incognito)

    def _suggest(
        self,
        text: str,
        k: int,
        taps: Sequence[tuple[float, float]] | None,
        field: _native.NativeField | None,
    ) -> list[Suggestion]:
        text = _check_text(text)
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= _MAX_K:
            raise InputError(f"k must be an int in 1..{_MAX_K}")
        t = _as_taps(taps)
        if self._neural is None:
            return self._native.suggest(text, k, t, self.user_store, self._decode, field)
        pool = self._native.suggest(text, max(k, _NEURAL_POOL), t, self.user_store, self._decode, field, False)
        if len(pool) <= 1 or any(s.kind == "shortcut" for s in pool):
            out = pool[:k]
        else:
            out = self._neural.rerank(text[-_NEURAL_WINDOW:], pool, k)  # type: ignore[attr-defined]
        if field is not None:
            self._native.record_shown(text, [s.text for s in out], field)
        return out

    def correction(
        self, text: str, taps: Sequence[tuple[float, float]] | None = None, level: str | None = None
    ) -> tuple[Suggestion, bool, str] | None:
        """The autocorrect verdict for the last word of `text` (space just pressed):
        (replacement, apply, guard) where guard is "drug" or "dose" when the change is only
        offered (the clinical safety guard), or None when the word stays. `taps` are for the
        characters of that word; taps for more of the text ("ni e", a space tapped for "c")
        may give a replacement of that whole span: `replacement.replaces` then says how many
        characters before the space it covers (0: the word at the cursor)."""
        text = _check_text(text)
        return self._native.autocorrect(text, _as_taps(taps), level or self.level, self.user_store)

    def autocorrect(
        self, text: str, taps: Sequence[tuple[float, float]] | None = None, level: str | None = None
    ) -> Suggestion | None:
        """The replacement to apply for the last word of `text`, or None."""
        r = self.correction(text, taps, level)
        return r[0] if r is not None and r[1] else None

    def reject(self, typed: str, replacement: str) -> None:
        """The user undid an autocorrection: never offer `replacement` for `typed` again (in
        incognito nothing is remembered: that too is learning from what was typed)."""
        self._reject(typed, replacement, self.is_incognito)

    def _reject(self, typed: str, replacement: str, private: bool) -> None:
        typed, replacement = _check_text(typed), _check_text(replacement)
        if not private:
            self._native.reject(typed, replacement)

    def learn(self, text: str) -> int:
        """Learn from text the user committed (nothing in incognito or without a store).
        Returns the number of words counted; names and identifiers are never learned."""
        return self._learn(text, self.is_incognito)

    def _learn(self, text: str, private: bool) -> int:
        text = _check_text(text, limit=1 << 20)
        if self.user_store is None or private:
            return 0
        return self._native.learn(self.user_store, text)[0]

    @property
    def is_incognito(self) -> bool:
        """True inside `with engine.incognito():` on this thread."""
        return getattr(self._incognito, "depth", 0) > 0

    @contextlib.contextmanager
    def incognito(self) -> Iterator["Engine"]:
        """Nothing typed inside the block is learned or stored (per thread, i.e. per field), and
        nothing of it is kept after: the neural model's caches of the text are dropped on exit."""
        self._incognito.depth = getattr(self._incognito, "depth", 0) + 1
        try:
            yield self
        finally:
            self._incognito.depth -= 1
            if self._incognito.depth == 0:
                self.forget_context()

    def forget_context(self) -> None:
        """Drop every in-memory cache built from typed text (the neural model's states, piece ids
        and word scores); the next call reads its context again. The outermost incognito block
        calls it as it ends; an embedder whose private session spans threads or requests (the
        demo's incognito switch) calls it when that session ends."""
        if self._neural is not None:
            self._neural.forget()  # type: ignore[attr-defined]

    def layout(self) -> dict[str, object]:
        """The keyboard geometry the decoder uses: keys with char, x, y (centres), w, h in key units."""
        keys = [{"char": c, "x": x, "y": y, "w": w, "h": h} for c, x, y, w, h in self._native.layout()]
        return {"name": "qwerty-en-us", "units": "key widths", "keys": keys}

    def score_text(self, text: str) -> list[tuple[str, float, bool]]:
        """(word, log10 P(word | history), in vocabulary) for each word of `text` (n-gram model)."""
        return self._native.score_text(_check_text(text, limit=1 << 24))

    def info(self) -> dict[str, object]:
        """What the pack holds."""
        d: dict[str, object] = dict(self._native.info())
        d["path"] = str(self.path)
        d["neural"] = self.neural
        return d


def _check_text(text: str, limit: int = 2048) -> str:
    if not isinstance(text, str):
        raise InputError("text must be a str")
    return _clean(text, limit)


def _clean(text: str, limit: int = 2048) -> str:
    # Only the tail matters (the core reads 512 bytes); lone surrogates cannot cross into Rust.
    text = text[-limit:]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _load_neural(pack: Path, required: bool, threads: int = 1) -> object | None:
    """The pack's neural model; without one (or without onnxruntime / sentencepiece) None and
    one warning, or PackError when it is `required`."""
    d = pack / "neural"
    if not (d / "manifest.json").is_file() and not required:
        warnings.warn(f"keywise: the pack at {pack} has no neural model; using the n-gram model "
                      "(Engine.load(neural=False) says so without this warning)", RuntimeWarning, stacklevel=3)
        return None
    try:
        from keywise.neural import NeuralLM

        return NeuralLM.load(d, threads=threads)  # imports onnxruntime and sentencepiece
    except ImportError as e:
        if required:
            raise PackError(f"the neural model needs onnxruntime and sentencepiece ({e.name} is missing)") from None
        warnings.warn(f"keywise: neural model disabled ({e.name} is not installed); using the n-gram model",
                      RuntimeWarning, stacklevel=3)
        return None
    except PackError:
        if required:
            raise
        warnings.warn(f"keywise: neural model in {d} could not be loaded; using the n-gram model", RuntimeWarning, stacklevel=3)
        return None


def _as_taps(taps: Sequence[tuple[float, float]] | None) -> list[tuple[float, float]] | None:
    if taps is None:
        return None
    if len(taps) > 4096:
        raise InputError("too many taps (at most 4096)")
    try:
        return [(float(x), float(y)) for x, y in taps]
    except (TypeError, ValueError):
        raise InputError("taps must be a sequence of (x, y) number pairs") from None


class Field:
    """One text field of a keyboard (see `Engine.field`). Cheap; thread-safe, though a field is
    typed in by one thread. It keeps only the words shown for the word being typed, in memory,
    and forgets them when the text stops extending that word. A context manager: leaving the
    block closes the field."""

    def __init__(self, engine: Engine, incognito: bool = False) -> None:
        self.engine = engine
        self._incognito = incognito
        self._native = _native.NativeField()

    @property
    def incognito(self) -> bool:
        """True for a field opened with `Engine.field(incognito=True)`."""
        return self._incognito

    def learn(self, text: str) -> int:
        """`Engine.learn` for text the user committed in this field: nothing in an incognito
        field (nor inside `engine.incognito()`). Returns the number of words counted."""
        return self.engine._learn(text, self._incognito or self.engine.is_incognito)

    def reject(self, typed: str, replacement: str) -> None:
        """`Engine.reject` for an autocorrection undone in this field: nothing is remembered in an
        incognito field."""
        self.engine._reject(typed, replacement, self._incognito or self.engine.is_incognito)

    def close(self) -> None:
        """The field's session ended (focus lost, the note closed): forget what it showed and, for
        an incognito field, drop every cache of typed text (`Engine.forget_context`). The field
        may be used again afterwards; it starts afresh."""
        self.clear()
        if self._incognito:
            self.engine.forget_context()

    def __enter__(self) -> "Field":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def suggest(
        self, text: str, k: int = 3, taps: Sequence[tuple[float, float]] | None = None
    ) -> list[Suggestion]:
        """`Engine.suggest` for this field: the words this field showed for shorter prefixes of
        the partial word (or as next words before it) are left out."""
        return self.engine._suggest(text, k, taps, self._native)

    def clear(self) -> None:
        """Forget what the field showed (the text was replaced, the field lost focus)."""
        self._native.clear()

    def focus(self, text: str = "") -> None:
        """The field got focus (or its text was replaced) with `text` before the cursor, as a
        keyboard learns when its input view starts: forget what it showed, and read `text` now so
        that the first keystroke does not pay for a long prefilled context (the neural model's
        catch-up: a few milliseconds, once per field; `python -m benches.neural_cold`)."""
        text = _check_text(text)
        self.clear()
        if self.engine._neural is not None and text:
            self.engine._neural.prime(text[-_NEURAL_WINDOW:])  # type: ignore[attr-defined]
