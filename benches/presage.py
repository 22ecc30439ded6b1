"""Presage (Debian `libpresage1v5`, 0.9.1) as a peer predictor, driven through its C API.

    from benches.presage import Presage
    with Presage.open("own") as p:          # or "train", or a path to a text2ngram SQLite db
        p.predict("the patient ", 3)        # -> ["is", "was", "has"]

Each instance writes its own small XML config (into a private temporary directory) so the
run is reproducible and stateless: only the smoothed n-gram predictor (Presage's default
deltas, i.e. a trigram model), no online learning, no recency predictor, no user database
under ~/.presage, and REPEAT_SUGGESTIONS on, so a prediction depends only on the context
it is given. The context is fed through the past-stream callback; the future stream is empty.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import tempfile
from pathlib import Path
from typing import Self
from xml.sax.saxutils import escape

OWN_DB = Path("/usr/share/presage/database_en.db")
CACHE = Path(os.environ.get("KEYWISE_CACHE", "/work/cache"))
TRAIN_DB = CACHE / "presage" / "train_1to3_lower.db"

_ERRORS = {
    1: "generic error",
    2: "token prefix mismatch",
    3: "smoothed n-gram predictor learn error",
    4: "config variable error",
    5: "invalid callback",
    6: "invalid suggestion",
    7: "predictor init error",
    8: "cannot open SQLite database",
    9: "SQLite execution error",
}

_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p)

_CONFIG = """<?xml version="1.0" encoding="UTF-8" standalone="no" ?>
<Presage>
  <PredictorRegistry><LOGGER>ERROR</LOGGER>
    <PREDICTORS>{predictors}</PREDICTORS></PredictorRegistry>
  <ContextTracker><LOGGER>ERROR</LOGGER><SLIDING_WINDOW_SIZE>80</SLIDING_WINDOW_SIZE>
    <LOWERCASE_MODE>yes</LOWERCASE_MODE><ONLINE_LEARNING>no</ONLINE_LEARNING></ContextTracker>
  <Selector><LOGGER>ERROR</LOGGER><SUGGESTIONS>{k}</SUGGESTIONS>
    <REPEAT_SUGGESTIONS>{repeat}</REPEAT_SUGGESTIONS>
    <GREEDY_SUGGESTION_THRESHOLD>0</GREEDY_SUGGESTION_THRESHOLD></Selector>
  <PredictorActivator><LOGGER>ERROR</LOGGER><PREDICT_TIME>1000</PREDICT_TIME>
    <MAX_PARTIAL_PREDICTION_SIZE>60</MAX_PARTIAL_PREDICTION_SIZE>
    <COMBINATION_POLICY>Meritocracy</COMBINATION_POLICY></PredictorActivator>
  <ProfileManager><LOGGER>ERROR</LOGGER><AUTOPERSIST>false</AUTOPERSIST></ProfileManager>
  <Predictors>
    <DefaultRecencyPredictor><PREDICTOR>RecencyPredictor</PREDICTOR><LOGGER>ERROR</LOGGER>
      <LAMBDA>1</LAMBDA><N_0>1</N_0><CUTOFF_THRESHOLD>20</CUTOFF_THRESHOLD></DefaultRecencyPredictor>
    <DefaultSmoothedNgramPredictor><PREDICTOR>SmoothedNgramPredictor</PREDICTOR>
      <LOGGER>ERROR</LOGGER><DBFILENAME>{db}</DBFILENAME><DELTAS>0.01 0.1 0.89</DELTAS>
      <LEARN>false</LEARN><DatabaseConnector><LOGGER>ERROR</LOGGER></DatabaseConnector>
    </DefaultSmoothedNgramPredictor>
  </Predictors>
</Presage>
"""


class PresageError(RuntimeError):
    """Presage could not be loaded or returned an error code."""


def _load_library() -> ctypes.CDLL:
    name = ctypes.util.find_library("presage") or "libpresage.so.1"
    try:
        lib = ctypes.CDLL(name)
    except OSError as exc:
        raise PresageError("libpresage not found; run benches/setup.sh") from exc
    p = ctypes.c_void_p
    lib.presage_new_with_config.argtypes = [_CALLBACK, p, _CALLBACK, p, ctypes.c_char_p, ctypes.POINTER(p)]
    lib.presage_new_with_config.restype = ctypes.c_int
    lib.presage_free.argtypes = [p]
    lib.presage_free.restype = None
    lib.presage_predict.argtypes = [p, ctypes.POINTER(ctypes.POINTER(ctypes.c_char_p))]
    lib.presage_predict.restype = ctypes.c_int
    lib.presage_free_string_array.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
    lib.presage_free_string_array.restype = None
    lib.presage_config_set.argtypes = [p, ctypes.c_char_p, ctypes.c_char_p]
    lib.presage_config_set.restype = ctypes.c_int
    return lib


def resolve_db(db: str | os.PathLike[str]) -> Path:
    """Resolve "own" (Presage's English db), "train" (benches/setup.sh's db) or a path."""
    path = {"own": OWN_DB, "train": TRAIN_DB}.get(str(db), Path(db))
    if not path.is_file():
        hint = " (run benches/setup.sh)" if str(db) in ("own", "train") else ""
        raise PresageError(f"Presage database not found: {path}{hint}")
    return path


class Presage:
    """One Presage instance over one SQLite n-gram database. Not thread-safe."""

    def __init__(
        self,
        db: str | os.PathLike[str] = "own",
        k: int = 3,
        *,
        repeat_suggestions: bool = True,
        recency: bool = False,
    ) -> None:
        """``repeat_suggestions=False`` is Presage's stock setting: words already offered since
        the last context change are not offered again, which makes answers depend on the
        order of calls. ``recency=True`` adds Presage's recency predictor (it reads the context
        given, and learns nothing)."""
        self.db = resolve_db(db)
        self._lib = _load_library()
        self._past = ctypes.create_string_buffer(b"", 4096)
        self._empty = ctypes.create_string_buffer(b"", 1)
        # Keep the callback objects alive as long as the instance: Presage calls them.
        self._past_cb = _CALLBACK(lambda _arg: ctypes.addressof(self._past))
        self._future_cb = _CALLBACK(lambda _arg: ctypes.addressof(self._empty))
        self._dir = tempfile.TemporaryDirectory(prefix="presage-")
        config = Path(self._dir.name) / "presage.xml"
        predictors = "DefaultSmoothedNgramPredictor" + (" DefaultRecencyPredictor" if recency else "")
        config.write_text(
            _CONFIG.format(
                k=int(k),
                db=escape(str(self.db)),
                predictors=predictors,
                repeat="yes" if repeat_suggestions else "no",
            ),
            encoding="utf-8",
        )
        handle = ctypes.c_void_p()
        rc = self._lib.presage_new_with_config(
            self._past_cb, None, self._future_cb, None, str(config).encode(), ctypes.byref(handle)
        )
        self._check(rc, "presage_new_with_config")
        self._handle: ctypes.c_void_p | None = handle
        self._k = int(k)

    @classmethod
    def open(cls, db: str | os.PathLike[str] = "own", k: int = 3) -> Presage:
        return cls(db, k)

    def _check(self, rc: int, what: str) -> None:
        if rc != 0:
            raise PresageError(f"{what}: {_ERRORS.get(rc, f'error {rc}')}")

    def _set_k(self, k: int) -> None:
        if k != self._k:
            rc = self._lib.presage_config_set(self._handle, b"Presage.Selector.SUGGESTIONS", str(k).encode())
            self._check(rc, "presage_config_set")
            self._k = k

    def predict(self, context: str, k: int = 3) -> list[str]:
        """Up to k suggestions (lower-case words) for the text before the cursor."""
        if self._handle is None:
            raise PresageError("Presage instance is closed")
        if k < 1:
            raise ValueError("k must be at least 1")
        data = context.encode("utf-8", errors="replace")
        if len(data) >= len(self._past):
            self._past = ctypes.create_string_buffer(data, len(data) * 2)
        else:
            self._past.value = data
        self._set_k(k)
        result = ctypes.POINTER(ctypes.c_char_p)()
        self._check(self._lib.presage_predict(self._handle, ctypes.byref(result)), "presage_predict")
        words: list[str] = []
        try:
            i = 0
            while result and result[i] is not None:
                words.append(result[i].decode("utf-8", errors="replace"))
                i += 1
        finally:
            if result:
                self._lib.presage_free_string_array(result)
        return words[:k]

    __call__ = predict

    def close(self) -> None:
        if getattr(self, "_handle", None) is not None:
            self._lib.presage_free(self._handle)
            self._handle = None
        if hasattr(self, "_dir"):
            self._dir.cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # never raise from a finaliser
            self.close()
