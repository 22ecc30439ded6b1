"""Neural language model: sentencepiece pieces scored by a one-step ONNX LSTM.

The model runs one piece per call with its recurrent state as explicit inputs and
outputs, so the state after the text before the cursor is cached and each keystroke
only runs the pieces that are new. A word's probability is the product of its pieces'
probabilities times the probability that the word ends there (the next piece does not
continue it). Words from the n-gram/decoder pool are rescored by a linear mixture
of the two models' word probabilities, with a weight tuned on held-out train/ text.

Runtime needs numpy, onnxruntime and sentencepiece; nothing here touches the network
or writes the user's text anywhere.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

MANIFEST = "manifest.json"
FORMAT = "keywise-neural"
FORMAT_VERSION = 1
MAX_FILE_BYTES = 64 << 20  # refuse to hash/parse anything larger: not a model of ours
MAX_CONTEXT_CHARS = 300
MAX_WORD_PIECES = 8  # longer (rare) words are not scored; bounds the batched depth
# Reranking scores at most this many pieces a word; longer candidates keep their n-gram score
# (held-out notes: p99 2.40 -> 1.76 ms, KSR 64.78 -> 64.79: `python -m benches.neural_depth`).
RERANK_MAX_PIECES = 3
MIN_REUSE_PIECES = 32  # overlap needed to reuse a state built on other text
MAX_SKIP = 24  # leading pieces of a window that may be missing from a reused state
PATH_KEEP = 384  # pieces of state history kept for reuse
WORD_CACHE = 4096
PIECE_CACHE = 16384  # words' piece sequences (~200 bytes each); a pool of 16 brings many new words
MAX_BRANCHES = 256  # scored piece prefixes kept for the context to take (a row each, ~33 KB)
LOG10E = 1.0 / math.log(10.0)
_WORD_EXTRA = "'\u2019-"


def _errors() -> Any:
    # Lazy: the package's errors module is the lead's; fall back so this file can
    # be imported and tested on its own.
    try:
        from keywise import errors

        return errors
    except ImportError:
        return _LocalErrors


class _LocalErrors:
    class KeywiseError(Exception):
        pass

    class PackError(KeywiseError):
        pass

    class IntegrityError(PackError):
        pass

    class InputError(KeywiseError, ValueError):
        pass


def _pack_error(msg: str) -> Exception:
    return _errors().PackError(msg)


def _integrity_error(msg: str) -> Exception:
    errs = _errors()
    cls = getattr(errs, "IntegrityError", None)
    # A checksum mismatch is a pack error to callers; use the finer class if it is one.
    if isinstance(cls, type) and issubclass(cls, errs.PackError):
        return cls(msg)
    return errs.PackError(msg)


def _input_error(msg: str) -> Exception:
    return _errors().InputError(msg)


# Join the parts of one word at the cursor, as the engine does (rust/core/src/engine.rs).
try:
    from keywise._native import JOINERS as _JOINERS
except ImportError:  # this file on its own, as _errors() allows; a test checks the two agree
    _JOINERS = "-'\u2019"


def _mixed(w: float, ngram_log10: float, neural_log10: float) -> float:
    """log10 of the engine's word probability: (1 - w) P_ngram + w P_neural."""
    return math.log10((1.0 - w) * 10.0**ngram_log10 + w * 10.0**neural_log10)


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch in _WORD_EXTRA


def _read_checked(directory: Path, name: Any, expected: Any, label: str) -> bytes:
    if not isinstance(name, str) or not name or "/" in name or "\\" in name or name in (".", ".."):
        raise _pack_error(f"neural manifest: bad file name for {label}")
    if not isinstance(expected, str) or len(expected) != 64:
        raise _pack_error(f"neural manifest: missing sha256 for {label}")
    path = directory / name
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _pack_error(f"neural {label} file is too large ({size} bytes)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise _pack_error(f"neural {label} file is missing: {name}") from None
    except OSError as exc:
        raise _pack_error(f"neural {label} file cannot be read: {name} ({exc.strerror})") from None
    if hashlib.sha256(data).hexdigest() != expected.lower():
        raise _integrity_error(f"neural {label} file {name} does not match its sha256 (truncated or modified)")
    return data


class NeuralLM:
    """One onnxruntime session and one tokenizer; not shared between engines."""

    def __init__(self, session: Any, sp: Any, manifest: dict[str, Any], threads: int,
                 context_session: Any = None) -> None:
        self._session = session
        # The cell alone in a Scan (optional): runs of context pieces in one call, no output layer.
        self._context_session = context_session
        self._sp = sp
        self.vocab_size = int(manifest["vocab_size"])
        self.hidden = int(manifest["hidden"])
        self.sep_id = int(manifest["sep_id"])
        self.threads = threads
        self.mix_weight = float(manifest.get("mix_weight", 0.5))
        # Pieces that continue the current word; every other piece (a new "▁word",
        # punctuation, the line separator) ends it.
        cont = np.zeros(self.vocab_size, dtype=bool)
        for i in range(self.vocab_size):
            if sp.is_control(i):
                continue
            piece = sp.id_to_piece(i)
            if sp.is_byte(i) or sp.is_unknown(i):
                cont[i] = True
            elif piece and piece[0] != "\u2581" and _is_word_char(piece[0]):
                cont[i] = True
        # Pieces that end the word before them (word starts, punctuation, controls).
        self._end_mask = (~cont).astype(np.float32)
        self._zero = np.zeros((1, self.hidden), dtype=np.float32)
        self._lock = threading.Lock()
        # State path: ids fed so far and, for each, (h, c, logprobs) after it.
        self._path_ids: list[int] = []
        self._path_states: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._epoch = 0
        self._align_start = 0
        self._word_cache: OrderedDict[tuple[int, int, tuple[int, ...]], float] = OrderedDict()
        self._piece_cache: dict[str, tuple[int, ...]] = {}
        # States the last scoring built past the context, by piece prefix: when the user goes on
        # with a word that was a candidate, the context takes them instead of running them again.
        self._branch_key: tuple[int, int] | None = None
        self._branches: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._last_context: tuple[tuple[int, int, bool], list[int]] | None = None
        self.steps_run = 0  # model rows evaluated, for tests and benchmarks

    # ---------------------------------------------------------------- loading
    @classmethod
    def load(cls, directory: str | os.PathLike[str], threads: int = 1) -> NeuralLM:
        """Load and verify a neural pack folder (manifest.json, model.onnx, tokenizer.model).

        Every failure (missing or tampered file, a model whose inputs or outputs are not
        what this runtime drives) raises ``keywise.PackError`` here, never later.
        """
        if not isinstance(threads, int) or isinstance(threads, bool) or not 1 <= threads <= 64:
            raise _input_error("threads must be an integer from 1 to 64")
        try:
            directory = Path(directory)
        except TypeError:
            raise _input_error("directory must be a path") from None
        try:
            raw = (directory / MANIFEST).read_bytes()
        except FileNotFoundError:
            raise _pack_error("neural manifest.json is missing") from None
        except OSError as exc:
            raise _pack_error(f"neural manifest.json cannot be read ({exc.strerror})") from None
        try:
            manifest = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise _pack_error("neural manifest.json is not valid JSON") from None
        if not isinstance(manifest, dict):
            raise _pack_error("neural manifest.json is not an object")
        if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
            raise _pack_error(f"neural manifest: expected format {FORMAT} version {FORMAT_VERSION}")
        sums = manifest.get("sha256")
        if not isinstance(sums, dict):
            raise _pack_error("neural manifest: missing sha256 table")
        for key in ("vocab_size", "hidden", "sep_id"):
            val = manifest.get(key)
            if not isinstance(val, int) or isinstance(val, bool) or val < 0:
                raise _pack_error(f"neural manifest: bad {key}")
        weight = manifest.get("mix_weight", 0.5)
        if not isinstance(weight, (int, float)) or not 0.0 <= float(weight) <= 1.0:
            raise _pack_error("neural manifest: mix_weight must be in [0, 1]")
        model_name, tok_name = manifest.get("model"), manifest.get("tokenizer")
        model_bytes = _read_checked(directory, model_name, sums.get(model_name), "model")
        tok_bytes = _read_checked(directory, tok_name, sums.get(tok_name), "tokenizer")
        context_name = manifest.get("context_model")
        context_bytes = (None if context_name is None
                         else _read_checked(directory, context_name, sums.get(context_name), "context model"))

        import onnxruntime as ort
        import sentencepiece as spm

        sp = spm.SentencePieceProcessor()
        try:
            sp.LoadFromSerializedProto(tok_bytes)
        except Exception:  # sentencepiece raises bare RuntimeError/OSError variants
            raise _pack_error("neural tokenizer file is not a sentencepiece model") from None
        vocab, hidden, sep = manifest["vocab_size"], manifest["hidden"], manifest["sep_id"]
        if sp.get_piece_size() != vocab:
            raise _pack_error(f"neural tokenizer has {sp.get_piece_size()} pieces, manifest says {vocab}")
        if not 0 <= sep < vocab or not sp.is_control(sep):
            raise _pack_error("neural manifest: sep_id is not a control piece of the tokenizer")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
        except Exception:  # onnxruntime raises several unrelated exception types
            raise _pack_error("neural model file is not a loadable ONNX model") from None
        _check_signature(session, vocab, hidden)
        context_session = None
        if context_bytes is not None:
            try:
                context_session = ort.InferenceSession(context_bytes, opts, providers=["CPUExecutionProvider"])
            except Exception:
                raise _pack_error("neural context model file is not a loadable ONNX model") from None
            _check_context_signature(context_session, hidden)
        lm = cls(session, sp, manifest, threads, context_session)
        lm._smoke_test()
        return lm

    def _smoke_test(self) -> None:
        try:
            lp, h, c = self._run(np.array([self.sep_id], dtype=np.int64), self._zero, self._zero)
        except Exception:
            raise _pack_error("neural model failed its load-time check run") from None
        if (
            lp.shape != (1, self.vocab_size)
            or h.shape != (1, self.hidden)
            or c.shape != (1, self.hidden)
            or not np.all(np.isfinite(lp))
        ):
            raise _pack_error("neural model outputs have the wrong shape or are not finite")
        total = float(np.exp(lp.astype(np.float64)).sum())
        if not 0.98 < total < 1.02:
            raise _pack_error("neural model output is not a log-probability distribution")
        if self._context_session is not None:
            # Its states must be the step model's (the runtime mixes the two along the text).
            toks = np.array([self.sep_id, (self.sep_id + 1) % self.vocab_size, self.sep_id], dtype=np.int64)
            h2, c2 = h, c
            for tok in toks[1:]:
                _, h2, c2 = self._run(np.array([tok], dtype=np.int64), h2, c2)
            try:
                hs, cs = self._run_context(toks, self._zero, self._zero)
            except Exception:
                raise _pack_error("neural context model failed its load-time check run") from None
            if (hs.shape != (3, 1, self.hidden) or cs.shape != (3, 1, self.hidden)
                    or not np.allclose(hs[-1], h2, atol=1e-5) or not np.allclose(cs[-1], c2, atol=1e-5)):
                raise _pack_error("neural context model does not give the step model's states")
        self.steps_run = 0

    def forget(self) -> None:
        """Drop every cache built from text (piece ids, states, word scores): what an incognito
        field typed is not kept after it ends. The next call runs its context again."""
        with self._lock:
            self._path_ids.clear()
            self._path_states.clear()
            self._epoch += 1
            self._align_start = 0
            self._word_cache.clear()
            self._piece_cache.clear()
            self._branches.clear()
            self._branch_key = None
            self._last_context = None

    def prime(self, text: str) -> None:
        """Read ``text`` now as the context of the calls to come: a field that opens with text in
        it pays for reading that text here (the catch-up, once) rather than on its first keystroke."""
        if not isinstance(text, str):
            raise _input_error("text must be a string")
        with self._lock:
            context, truncated, _ = self._split(text)
            self._context_state(self._encode_context(context, truncated))

    # ---------------------------------------------------------------- model steps
    def _run(self, tokens: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lp, h2, c2 = self._session.run(None, {"tokens": tokens, "h": h, "c": c})
        self.steps_run += len(tokens)
        return lp, h2, c2

    def _run_context(self, tokens: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """States [T, 1, H] after each of a run of pieces (one batch row), in one call."""
        hs, cs = self._context_session.run(None, {"tokens": tokens, "h": h, "c": c})
        self.steps_run += len(tokens)
        return hs, cs

    def _context_state(self, ids: list[int]) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
        """(key, h, c, logprobs) after feeding ``ids``, reusing cached states where possible.

        The text window handed to us slides as the user types, so besides plain prefix
        reuse, a cached path whose tail overlaps the start of ``ids`` is reused: its state
        then carries a little more history than the window, which only helps an LSTM.
        """
        path = self._path_ids
        at_end = (self._epoch, len(path))
        skip, end = self._align(ids)
        if end and self._path_states[end - 1][2] is None:
            end -= 1  # a context run left no logprobs there: run that piece again
        branches = self._branches if self._branch_key == at_end and end == at_end[1] else {}
        if end:
            if end < len(path):
                del path[end:]
                del self._path_states[end:]
                self._epoch += 1  # states past here are gone; their word scores too
            h, c, lp = self._path_states[end - 1]
            rest = ids[skip + end - self._align_start :]
        else:
            path.clear()
            self._path_states.clear()
            self._epoch += 1
            h, c, lp = self._zero, self._zero, None
            rest = ids
        taken = 0
        while taken < len(rest) and (got := branches.get(tuple(rest[: taken + 1]))) is not None:
            # Copies: a branch row is a view into its whole batch, which the path would keep alive.
            h, c, lp = (x.copy() for x in got)
            path.append(rest[taken])
            self._path_states.append((h, c, lp))
            taken += 1
        todo = rest[taken:]
        if self._context_session is not None and len(todo) > 1:
            # All but the last piece in one call; only the last needs its next-piece logprobs.
            hs, cs = self._run_context(np.array(todo[:-1], dtype=np.int64), h, c)
            for i, tok in enumerate(todo[:-1]):
                path.append(tok)
                self._path_states.append((hs[i], cs[i], None))
            h, c, todo = hs[-1], cs[-1], todo[-1:]
        for tok in todo:
            lp, h, c = self._run(np.array([tok], dtype=np.int64), h, c)
            path.append(tok)
            self._path_states.append((h, c, lp))
        if len(path) > PATH_KEEP:  # forget the oldest; later states stay valid
            cut = len(path) - PATH_KEEP
            del path[:cut]
            del self._path_states[:cut]
            self._epoch += 1
        assert lp is not None  # ids is never empty
        return len(path), h, c, lp

    def _align(self, ids: list[int]) -> tuple[int, int]:
        """Find cached state for a prefix of ``ids``: (pieces of ids skipped, path end).

        ``ids[skip : skip + L] == path[j : j + L]`` with the state at path[j + L - 1]
        reused (``self._align_start`` = j). Accepted: a common prefix (skip = j = 0);
        a window that slid forward (skip = 0, the match runs to the path's end); or a
        long overlap (e.g. a window that moved back after a backspace in long text).
        Short overlaps elsewhere would glue unrelated history on.
        """
        path = self._path_ids
        self._align_start = 0
        if not path:
            return 0, 0
        n, m = len(ids), len(path)
        if ids[:m] == path:
            return 0, m
        best = (0, 0, 0, 0)  # (coverage in ids, skip, j, L)
        index: dict[int, list[int]] = {}
        for pos, tok in enumerate(path):
            index.setdefault(tok, []).append(pos)
        for skip in range(min(MAX_SKIP, n)):
            for j in index.get(ids[skip], ()):
                lim = min(n - skip, m - j)
                length = 1
                while length < lim and path[j + length] == ids[skip + length]:
                    length += 1
                ok = (skip == 0 and (j == 0 or j + length == m)) or length >= MIN_REUSE_PIECES
                if ok and skip + length > best[0]:
                    best = (skip + length, skip, j, length)
            if best[0] == n:
                break
        if not best[0]:
            return 0, 0
        _, skip, j, length = best
        self._align_start = j
        return skip, j + length

    def _end_logprobs(self, lp_rows: np.ndarray) -> np.ndarray:
        """ln P(the word ends here) for each row of next-piece log-probabilities."""
        # Summing the ending pieces (not 1 - the continuing ones) avoids cancellation; one
        # float32 matvec also skips gathering the columns (measured: faster than the gather).
        end = np.exp(lp_rows) @ self._end_mask
        # Clipped at 1 (float32 sums can pass it): a word's ln P then never exceeds its first
        # piece's, the bound reranking relies on.
        return np.log(np.minimum(np.maximum(end.astype(np.float64), 1e-12), 1.0))  # np.clip: 5 µs more

    def _branch_start(self, key: tuple[int, int]) -> None:
        """Keep the scored branches of one context state only, and not too many of them."""
        if self._branch_key != key or len(self._branches) > MAX_BRANCHES:
            self._branches.clear()
            self._branch_key = key

    def _score_words(self, key: tuple[int, int], h: np.ndarray, c: np.ndarray, lp: np.ndarray,
                     seqs: list[tuple[int, ...]], prune: Any = None) -> list[float | None]:
        """ln P(word) for each piece sequence, all continuing the same context state.

        Candidates sharing a piece prefix share its rows; each depth is one batched call. With
        ``prune(done, bounds)``, called after each depth but the last: ``done`` holds the ln P
        of the sequences that ended at that depth, ``bounds`` an upper bound on the ln P of each
        longer one (its pieces so far and the next); it returns the sequences not worth running
        further, which get None.
        """
        out: dict[tuple[int, ...], float | None] = {}
        todo = []
        for s in seqs:
            ck = (key[0], key[1], s)
            if ck in self._word_cache:
                self._word_cache.move_to_end(ck)
                out[s] = self._word_cache[ck]
            elif s not in out:
                todo.append(s)
                out[s] = None
        if todo:
            self._branch_start(key)
            # Per depth d: the distinct prefixes of length d + 1, each one row of that depth's batch.
            prev_lp, prev_h, prev_c = lp, h, c  # the context: the one parent of depth 0
            prev_logp = np.zeros(1)
            prev_row: dict[tuple[int, ...], int] = {(): 0}
            d = 0
            while todo:
                prefixes = sorted({s[: d + 1] for s in todo})
                parent = np.fromiter((prev_row[p[:-1]] for p in prefixes), dtype=np.intp, count=len(prefixes))
                toks = np.fromiter((p[-1] for p in prefixes), dtype=np.int64, count=len(prefixes))
                # ln P(prefix) in float64, summed piece by piece as the scores always were.
                logp = prev_logp[parent] + prev_lp[parent, toks].astype(np.float64)
                lpb, hb, cb = self._run(toks, prev_h[parent], prev_c[parent])
                row = {p: i for i, p in enumerate(prefixes)}
                for p, i in row.items():
                    self._branches[p] = (hb[i : i + 1], cb[i : i + 1], lpb[i : i + 1])
                done = [s for s in todo if len(s) == d + 1]
                todo = [s for s in todo if len(s) > d + 1]
                ended: dict[tuple[int, ...], float] = {}
                if done:
                    idx = np.fromiter((row[s] for s in done), dtype=np.intp, count=len(done))
                    # Often (the last depth) every row ends a word: no copy of the rows then.
                    ends = self._end_logprobs(lpb)[idx] if len(done) == len(lpb) else self._end_logprobs(lpb[idx])
                    for s, val in zip(done, (logp[idx] + ends).tolist()):
                        out[s] = ended[s] = val
                        self._word_cache[(key[0], key[1], s)] = val
                if todo and prune is not None:
                    bounds = {s: float(logp[row[s[: d + 1]]]) + float(lpb[row[s[: d + 1]], s[d + 1]]) for s in todo}
                    dropped = prune(ended, bounds)
                    todo = [s for s in todo if s not in dropped]
                prev_lp, prev_h, prev_c, prev_logp, prev_row = lpb, hb, cb, logp, row
                d += 1
            while len(self._word_cache) > WORD_CACHE:
                self._word_cache.popitem(last=False)
        return [out[s] for s in seqs]

    # ---------------------------------------------------------------- text handling
    def _encode_context(self, text: str, truncated: bool) -> list[int]:
        # The context stays the same while a word is typed: encode it once. Keyed by a hash so
        # that no copy of the text is kept (as the field keeps hashes of what it showed).
        tag = (hash(text), len(text), truncated)
        last = self._last_context
        if last is not None and last[0] == tag:
            return last[1]
        ids = self._encode_new_context(text, truncated)
        self._last_context = (tag, ids)
        return ids

    def _encode_new_context(self, text: str, truncated: bool) -> list[int]:
        ids: list[int] = [] if truncated else [self.sep_id]
        lines = text.split("\n")
        encoded = [self._sp.EncodeAsIds(line) for line in lines]  # list encode starts threads: slow
        for i, pieces in enumerate(encoded):
            if i > 0:
                ids.append(self.sep_id)
            ids.extend(pieces)
        if not ids:
            ids = [self.sep_id]
        return ids

    def _pieces(self, word: str) -> tuple[int, ...]:
        # Pools repeat from keystroke to keystroke; encoding is a visible share of a call.
        got = self._piece_cache.get(word)
        if got is None:
            got = tuple(self._sp.EncodeAsIds(unicodedata.normalize("NFC", word)))
            if len(self._piece_cache) >= PIECE_CACHE:
                self._piece_cache.clear()
            self._piece_cache[word] = got
        return got

    @staticmethod
    def _split(text: str, next_word: bool = False) -> tuple[str, bool, str]:
        """(context before the word at the cursor, window truncated?, punctuation attached to the word).

        A text that does not end in a space ends in a partial word, which the candidates
        replace; with ``next_word`` (the engine saw a boundary such as "59-" or "(") the
        whole trailing chunk is context that the candidate is glued to.
        """
        text = unicodedata.normalize("NFC", text)
        truncated = len(text) > MAX_CONTEXT_CHARS
        if truncated:
            text = text[-MAX_CONTEXT_CHARS:]
            # Drop the first, cut word: its pieces would be wrong.
            cut = next((i for i, ch in enumerate(text) if ch.isspace()), len(text))
            text = text[cut:]
        if not text or text[-1].isspace():
            return text, truncated, ""
        start = len(text)
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        chunk = text[start:]
        if next_word:
            return text[:start], truncated, chunk
        w = len(chunk)
        # The partial word, with joiners inside it or at its end ("x-", "don'": the engine
        # completes those as one word).
        while w > 0 and (_is_word_char(chunk[w - 1]) or (chunk[w - 1] in _JOINERS and w >= 2 and _is_word_char(chunk[w - 2]))):
            w -= 1
        return text[:start], truncated, chunk[:w]

    def word_log10_probs(self, text: str, words: Sequence[str], next_word: bool = False) -> list[float]:
        """log10 P(word | text) for each word (nan where it cannot be scored).

        By default a partial word at the end of ``text`` is replaced by the words and
        punctuation before it (e.g. "(") is context; with ``next_word`` the words follow
        ``text`` directly (glued to it when it does not end in a space).
        """
        if not isinstance(text, str) or not all(isinstance(w, str) for w in words):
            raise _input_error("text and words must be strings")
        with self._lock:
            return self._word_log10_probs(text, list(words), next_word)

    def _prepare(self, text: str, words: list[str], next_word: bool):
        """(state key, h, c, logprobs after the context, piece sequence of each word)."""
        context, truncated, attached = self._split(text, next_word)
        ids = self._encode_context(context, truncated)
        seqs = [self._pieces(attached + w) for w in words]
        if attached:
            pre = tuple(self._sp.EncodeAsIds(attached))
            if pre and all(s[: len(pre)] == pre and len(s) > len(pre) for s in seqs):
                ids = ids + list(pre)
                seqs = [s[len(pre):] for s in seqs]
        pos, h, c, lp = self._context_state(ids)
        return (self._epoch, pos), h, c, lp, seqs

    def _word_log10_probs(
        self, text: str, words: list[str], next_word: bool = False, max_pieces: int = MAX_WORD_PIECES
    ) -> list[float]:
        key, h, c, lp, seqs_full = self._prepare(text, words, next_word)
        result = [float("nan")] * len(words)
        idx = [i for i, s in enumerate(seqs_full) if 0 < len(s) <= max_pieces]
        if idx:
            lnp = self._score_words(key, h, c, lp, [seqs_full[i] for i in idx])
            for i, v in zip(idx, lnp):
                assert v is not None  # nothing is pruned without a prune callback
                result[i] = v * LOG10E
        return result

    def _top_k_log10_probs(self, text: str, words: list[str], ngram: list[float], next_word: bool,
                           k: int) -> list[float]:
        """Neural log10 P for ranking ``words`` by the mixture with ``ngram``: exact for every word
        that can be among the best ``k``, an upper bound (its first piece's probability) for the
        rest, whose mixed score then stays below the k-th. nan where a word is not scored.

        The ``k + 1`` best bounds are scored first; then, in one more round, every word whose
        bound still reaches the k-th best exact mixed score (distinct words). Between depths a
        longer word's bound tightens to its pieces so far and the next, and a word that falls out
        of reach is not run further. Most pools need the first round only (`python -m
        benches.neural_speed --against 1c0ea07`: 5,376 model rows instead of 21,425).
        """
        key, h, c, lp, seqs = self._prepare(text, words, next_word)
        w = self.mix_weight
        result = [float("nan")] * len(words)
        mixed = list(ngram)  # exact for words left unscored (P_neural taken as P_ngram)
        exact = [True] * len(words)
        for i, s in enumerate(seqs):
            if not 0 < len(s) <= RERANK_MAX_PIECES:
                continue
            cached = self._word_cache.get((key[0], key[1], s))
            exact[i] = cached is not None
            # ln P(word) <= ln P(its first piece): the pieces after it and the end are <= 1.
            result[i] = (cached if cached is not None else float(lp[0][s[0]])) * LOG10E
            mixed[i] = _mixed(w, ngram[i], result[i])
        pending = sorted((i for i in range(len(words)) if not exact[i]), key=lambda i: -mixed[i])

        def kth_best() -> float:
            best: dict[str, float] = {}
            for i, m in enumerate(mixed):
                if exact[i] and m > best.get(words[i], -math.inf):
                    best[words[i]] = m
            return sorted(best.values(), reverse=True)[k - 1] if len(best) >= k else -math.inf

        def settle(batch: list[int], ended: dict, bounds: dict) -> set:
            """Take the words that ended; tighten the others' bounds; drop those out of reach."""
            for i in batch:
                s = seqs[i]
                if s in ended:
                    result[i], exact[i] = ended[s] * LOG10E, True
                    mixed[i] = _mixed(w, ngram[i], result[i])
                elif s in bounds:
                    result[i] = bounds[s] * LOG10E
                    mixed[i] = _mixed(w, ngram[i], result[i])
            kth = kth_best()
            reach = {seqs[i] for i in batch if seqs[i] in bounds and mixed[i] >= kth}
            return set(bounds) - reach

        size = k + 1
        while True:
            kth = kth_best()
            pending = [i for i in pending if mixed[i] >= kth]  # the rest cannot reach the top k
            if not pending:
                break
            batch, pending = pending[:size], pending[size:]
            size = len(pending)  # a second round takes every word still in reach
            vals = self._score_words(key, h, c, lp, [seqs[i] for i in batch],
                                     prune=lambda ended, bounds, batch=batch: settle(batch, ended, bounds))
            for i, v in zip(batch, vals):
                if v is not None:  # None: dropped between depths, its (tighter) bound stays
                    result[i], exact[i] = v * LOG10E, True
                    mixed[i] = _mixed(w, ngram[i], result[i])
        return result

    # ---------------------------------------------------------------- reranking
    def rerank(self, text: str, pool: list[Any], k: int) -> list[Any]:
        """Rescore the n-gram/decoder pool with the neural model and return the best ``k``.

        score = log10((1 - w) * 10**ngram_score + w * P_neural(word | text)), w = mix_weight.
        Shortcuts keep their score; words too long to score keep their n-gram score (P_neural taken
        as P_ngram: unknown, not zero).
        """
        if not isinstance(text, str):
            raise _input_error("text must be a string")
        if not isinstance(k, int) or isinstance(k, bool) or k < 0:
            raise _input_error("k must be a non-negative integer")
        if not isinstance(pool, (list, tuple)):
            raise _input_error("pool must be a list of suggestions")
        for item in pool:
            if not isinstance(getattr(item, "text", None), str) or not isinstance(
                getattr(item, "score", None), (int, float)
            ):
                raise _input_error("pool items need a text and a numeric score")
        if k == 0 or not pool:
            return []
        w = self.mix_weight
        base = [float(s.score) if math.isfinite(s.score) else -99.0 for s in pool]
        scorable = [i for i, s in enumerate(pool) if getattr(s, "kind", "") != "shortcut" and s.text.strip()]
        neural: dict[int, float] = {}
        if scorable and w > 0.0:
            # All "next" means the engine saw a word boundary at the cursor, even after "59-".
            next_word = all(getattr(pool[i], "kind", "") == "next" for i in scorable)
            ngram = [base[i] for i in scorable]
            with self._lock:
                vals = self._top_k_log10_probs(text, [pool[i].text for i in scorable], ngram, next_word, k)
            neural = {i: v for i, v in zip(scorable, vals) if math.isfinite(v)}
        scored = [(_mixed(w, b, neural[i]) if i in neural else b, i) for i, b in enumerate(base)]
        scored.sort(key=lambda t: (-t[0], t[1]))
        out, seen = [], set()
        for s, i in scored:
            item = pool[i]
            if item.text in seen:
                continue
            seen.add(item.text)
            out.append(type(item)(item.text, s, getattr(item, "kind", "")))
            if len(out) == k:
                break
        return out


_STATE = ("tensor(float)", 2)


def _check_io(session: Any, label: str, want_in: dict[str, tuple[str, int]],
              want_out: dict[str, tuple[str, int]], widths: dict[str, int]) -> None:
    """The graph must have exactly these inputs and these outputs in this order, each of its
    dtype and rank, and the given width (dimension 1) where the file fixes it; say what differs."""
    ins = {x.name: x for x in session.get_inputs()}
    outs = {x.name: x for x in session.get_outputs()}
    if set(ins) != set(want_in) or list(outs) != list(want_out):
        raise _pack_error(f"{label} has inputs {sorted(ins)} and outputs {list(outs)}, "
                          f"expected {', '.join(want_in)} and {', '.join(want_out)}")
    for name, (dtype, rank) in {**want_in, **want_out}.items():
        arg = ins.get(name) or outs[name]
        if arg.type != dtype or len(arg.shape) != rank:
            raise _pack_error(f"{label} {name} must be {dtype} of rank {rank}")
        dim = arg.shape[1] if name in widths else None
        if isinstance(dim, int) and dim != widths[name]:
            raise _pack_error(f"{label} {name} has width {dim}, expected {widths[name]}")


def _check_context_signature(session: Any, hidden: int) -> None:
    """The context model: a run of pieces and a state in, the state after each piece out."""
    _check_io(session, "neural context model", {"tokens": ("tensor(int64)", 1), "h": _STATE, "c": _STATE},
              {"hs": ("tensor(float)", 3), "cs": ("tensor(float)", 3)}, {"h": hidden, "c": hidden})


def _check_signature(session: Any, vocab: int, hidden: int) -> None:
    """The model must be the one-step form the runtime drives; say which part differs."""
    _check_io(session, "neural model", {"tokens": ("tensor(int64)", 1), "h": _STATE, "c": _STATE},
              {"logprobs": ("tensor(float)", 2), "h_out": _STATE, "c_out": _STATE},
              {"h": hidden, "c": hidden, "logprobs": vocab, "h_out": hidden, "c_out": hidden})
