"""Robustness: arbitrary strings and tap lists give suggestions or a clear error, never a
crash; and one engine shared by 8 threads gives the single-threaded results."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import keywise
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from keywise import Engine, KeywiseError, UserStore

KEY = bytes(range(32))

# Any code point; lone surrogates are added separately (characters() excludes them).
any_char = st.characters()
surrogates = st.integers(0xD800, 0xDFFF).map(chr)
controls = st.sampled_from(["\x00", "\x07", "\x1b", "\x7f", "\u200b", "\u202e", "\ufeff", "\r", "\n", "\t"])
emoji = st.sampled_from(["😀", "👩🏽‍⚕️", "🇬🇧", "❤️", "\u0301", "ﬁ", "İ", "ß"])
words = st.sampled_from(["the ", "patient ", "denies ", "ch", "pa", "SOB", "mg ", "5", "teh ", "ofthe"])
text = st.lists(st.one_of(any_char, surrogates, controls, emoji, words), max_size=60).map("".join)
floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-2, 12),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 3.5e38, 1e-320]),
    st.integers(-(2**70), 2**70),
)
taps = st.one_of(st.none(), st.lists(st.tuples(floats, floats), max_size=30))
levels = st.sampled_from(["off", "conservative", "normal", "aggressive"])

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def eng(tiny_pack: Path) -> Engine:
    return Engine.load(tiny_pack, neural=False)


def _check(sugs: list[keywise.Suggestion], k: int) -> None:
    assert isinstance(sugs, list) and len(sugs) <= k
    for s in sugs:
        assert isinstance(s.text, str) and s.text
        assert s.kind in ("completion", "next", "correction", "shortcut")
        assert not math.isnan(s.score)


@SETTINGS
@given(t=text, k=st.integers(1, 64))
def test_any_text_suggests(eng: Engine, t: str, k: int) -> None:
    _check(eng.suggest(t, k=k), k)


@SETTINGS
@given(t=text, tp=taps, k=st.integers(-3, 70), level=levels)
def test_any_taps_suggest_or_clear_error(eng: Engine, t: str, tp: list | None, k: int, level: str) -> None:
    try:
        _check(eng.suggest(t, k=k, taps=tp), k)
    except (KeywiseError, ValueError) as e:
        assert str(e)  # a message, and not the typed text
        assert len(t) < 6 or t[-6:] not in str(e)
    try:
        r = eng.correction(t, taps=tp, level=level)
        if r is not None:
            s, apply, guard = r
            assert s.text and isinstance(apply, bool) and guard in ("", "drug", "dose")
    except (KeywiseError, ValueError) as e:
        assert str(e)


def test_wrong_types_are_clear_errors(eng: Engine) -> None:
    for bad in [None, b"bytes", 5, ["a"]]:
        with pytest.raises((KeywiseError, ValueError, TypeError)):
            eng.suggest(bad)  # type: ignore[arg-type]
    for k in [0, 65, -1, True, 2.0, "3"]:
        with pytest.raises((KeywiseError, ValueError, TypeError)):
            eng.suggest("the ", k=k)  # type: ignore[arg-type]
    for tp in [[(1.0,)], [(1, 2, 3)], [("x", 1)], "ab", [(1.0, 2.0)] * 5000, [None]]:
        with pytest.raises((KeywiseError, ValueError, TypeError)):
            eng.suggest("ab", taps=tp)  # type: ignore[arg-type]
    with pytest.raises((KeywiseError, ValueError)):
        eng.correction("teh ", level="extreme")


@pytest.mark.parametrize("n", [1 << 20, 5 << 20])
def test_megabytes_of_text(eng: Engine, n: int) -> None:
    for t in ["the patient " * (n // 12), "x" * n, "\ud800" * (n // 4) + "pa", "😀" * (n // 4)]:
        _check(eng.suggest(t), 3)
        eng.correction(t)
        assert eng.learn(t) == 0  # no store: nothing learned, no error


@SETTINGS
@given(t=text)
def test_learn_any_text(eng: Engine, tmp_path_factory: pytest.TempPathFactory, t: str) -> None:
    store = UserStore.open(tmp_path_factory.mktemp("s") / "u.kws", key=KEY)
    e = Engine(eng._native, eng.path, None, store)
    n = e.learn(t)
    assert isinstance(n, int) and n >= 0
    _check(e.suggest(t), 3)
    store.save()
    store.close()
    again = UserStore.open(store.path, key=KEY)
    assert again.words().keys() == store.words().keys()


CASES = [
    "The patient denies ch",
    "He reports shortness of ",
    "An mr",
    "teh",
    "patinet",
    "the patient was given 5 m",
    "negative for cov",
    "",
    " ",
    "ofthe",
    "Her p",
    "The ",
]
TAPS = [None, None, None, [(4.5, 0.5), (2.5, 0.5), (5.5, 1.5)], None, None, None, None, None, None, None, None]
LEARN = [f"the patient reports dyspnoea number {i} and takes metoprolol daily" for i in range(40)]


def _run(e: Engine, reps: int) -> list[object]:
    out: list[object] = []
    for _ in range(reps):
        for c, tp in zip(CASES, TAPS):
            out.append([(s.text, round(s.score, 4), s.kind) for s in e.suggest(c, k=5, taps=tp)])
            r = e.correction(c + " ")
            out.append(None if r is None else (r[0].text, r[1], r[2]))
    return out


def test_eight_threads_match_single_thread(eng: Engine, tmp_path: Path) -> None:
    want = _run(eng, 1)
    # Learning goes into its own store while the others read the pack: results must not change.
    store = UserStore.open(tmp_path / "u.kws", key=KEY)
    learner = Engine(eng._native, eng.path, None, store)
    single = UserStore.open(tmp_path / "single.kws", key=KEY)
    single_e = Engine(eng._native, eng.path, None, single)
    for t in LEARN * 2:
        single_e.learn(t)

    got: dict[int, list[object]] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            if i < 2:
                for t in LEARN:
                    learner.learn(t)
                got[i] = []
            else:
                got[i] = _run(eng, 20)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in ts), "deadlock: a thread did not finish"
    assert not errors, errors
    for i in range(2, 8):
        assert got[i] == want * 20
    # two threads learned LEARN each: the same words as learning it twice on one thread
    a, b = store.words(), single.words()
    assert a.keys() == b.keys()
    for w in a:
        assert a[w] == pytest.approx(b[w], rel=1e-3)


@SETTINGS
@given(st.lists(st.sampled_from(list("patiendshc ")), min_size=1, max_size=40).map("".join), text)
def test_field_never_repeats_within_a_word_and_survives_any_text(eng: Engine, typed: str, junk: str) -> None:
    # Typed letter by letter: within one word, no strip repeats a word an earlier strip of that
    # word (or the next-word strip before it) showed, unless no other word is left (then the
    # typed-past words come back instead of an empty strip); and junk in between never breaks
    # the field.
    field = eng.field()
    shown: set[str] = set()
    for i in range(len(typed) + 1):
        ctx = "The " + typed[:i]
        if ctx.endswith(" "):
            shown = set()
        got = {s.text.lower() for s in field.suggest(ctx, k=3)}
        if got & shown:
            assert got <= shown and {s.text.lower() for s in eng.suggest(ctx, k=64)} <= shown, (ctx, got, shown)
        shown |= got
    assert len(field.suggest(junk, k=5)) <= 5
    try:
        field.suggest(junk + " pa", k=3, taps=[(0.5, 0.5), (1.5, 0.5)])
    except keywise.InputError:
        pass  # a clear error (taps that do not match the word) is fine; a crash is not
