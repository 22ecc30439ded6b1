"""The simulated typist (keywise.eval.ksr) against toy predictors with hand-computed counts."""

from __future__ import annotations

import ctypes.util
import importlib
import importlib.util
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Loaded by path so these tests need neither the native module nor an installed package.
_PATH = Path(__file__).resolve().parents[1] / "python" / "keywise" / "eval" / "ksr.py"
_spec = importlib.util.spec_from_file_location("keywise_eval_ksr_under_test", _PATH)
assert _spec is not None and _spec.loader is not None
ksr = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = ksr
_spec.loader.exec_module(ksr)


def vocab_predictor(vocab: list[str]):
    """Completes the partial word at the cursor from ``vocab`` (in order); after a space or
    at the start it offers the first k words of ``vocab``."""

    def predict(context: str, k: int) -> list[str]:
        prefix = ""
        for m in ksr.WORD_RE.finditer(context):
            if m.end() == len(context):
                prefix = m.group().lower()
        return [w for w in vocab if w.startswith(prefix)][:k]

    return predict


def never(context: str, k: int) -> list[str]:
    return []


def test_no_predictions_means_no_savings():
    r = ksr.run_ksr(never, ["the cat sat."], k=3)
    assert (r.keystrokes, r.selections, r.characters, r.lines) == (12, 0, 12, 1)
    assert r.ksr == 0.0
    # one call before each of the 9 word characters
    assert len(r.latencies_us) == 9


def test_hand_computed_ksr():
    # vocab order matters: "the", "cat" come before "sat" and "car".
    predict = vocab_predictor(["the", "cat", "sat", "car"])
    # k=1: "the" offered at start -> select (+space): 1 selection.
    #      "cat": before 'c' only "the" is offered -> type 'c' (1); then prefix "c" -> "cat"
    #      selected (+space): 1 selection.
    #      "sat": type 's'? before 's' offered "the" -> type; prefix "s" -> "sat" selected;
    #      next char is '.', no space inserted; then '.' typed.
    # keystrokes = c, s, . = 3; selections = 3; characters = 12.
    r1 = ksr.run_ksr(predict, ["the cat sat."], k=1)
    assert (r1.keystrokes, r1.selections, r1.characters) == (3, 3, 12)
    assert r1.ksr == pytest.approx(1 - 6 / 12)
    # k=2: start offers the, cat -> "the" selected; next offers the, cat -> "cat" selected;
    # next offers the, cat -> type 's' -> "sat" selected; '.' typed: 1 key + 3 selections.
    r2 = ksr.run_ksr(predict, ["the cat sat."], k=2)
    assert (r2.keystrokes, r2.selections) == (2, 3)
    assert r2.ksr == pytest.approx(1 - 5 / 12)


def test_case_insensitive_and_context_is_the_line_so_far():
    seen: list[str] = []

    def predict(context: str, k: int) -> list[str]:
        seen.append(context)
        return ["mri"] if context == "An " else []

    r = ksr.run_ksr(predict, ["An MRI today"], k=3)
    # "An" typed (2), space typed (1), "MRI " by one selection, "today" typed (5).
    assert (r.keystrokes, r.selections, r.characters) == (8, 1, 12)
    assert seen[:3] == ["", "A", "An "]
    assert seen[3:] == ["An MRI ", "An MRI t", "An MRI to", "An MRI tod", "An MRI toda"]


def test_lines_are_independent_and_window_is_applied():
    seen: list[str] = []

    def predict(context: str, k: int) -> list[str]:
        seen.append(context)
        return []

    ksr.run_ksr(predict, ["ab", "cd"], k=3, window=300)
    assert seen == ["", "a", "", "c"]
    seen.clear()
    ksr.run_ksr(predict, ["abcdef"], k=3, window=2)
    assert seen == ["", "a", "ab", "bc", "cd", "de"]


def test_tokenisation():
    line = "Patient's 59-year-old x-ray, Dr. Li 2.5mg -- don’t _x_ 'quoted'"
    words = [line[s:e] for s, e in ksr.word_spans(line)]
    assert words == [
        "Patient's",
        "59-year-old",
        "x-ray",
        "Dr",
        "Li",
        "2",
        "5mg",
        "don’t",
        "x",
        "quoted",
    ]


def test_selection_inserts_space_only_when_the_line_has_one():
    predict = vocab_predictor(["ok"])
    r = ksr.run_ksr(predict, ["ok,ok ok"], k=1)
    # ok (sel) , (key) ok+space (sel) ok (sel at end of line)
    assert (r.keystrokes, r.selections, r.characters) == (1, 3, 8)


def test_more_suggestions_than_k_are_ignored():
    def greedy(context: str, k: int) -> list[str]:
        return ["x", "y", "z", "word"]

    r = ksr.run_ksr(greedy, ["word"], k=3)
    assert (r.keystrokes, r.selections) == (4, 0)
    r = ksr.run_ksr(greedy, ["word"], k=4)
    assert (r.keystrokes, r.selections) == (0, 1)


def test_bad_predictor_and_bad_k_give_clear_errors():
    with pytest.raises(TypeError):
        ksr.run_ksr(lambda c, k: "word", ["word"], k=3)
    with pytest.raises(TypeError):
        ksr.run_ksr(lambda c, k: [1, 2], ["word"], k=3)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError):
            ksr.run_ksr(never, ["word"], k=bad)
    with pytest.raises(ValueError):
        ksr.evaluate(never, ["word"], ks=(), next_ks=(), completion_ks=())


def test_empty_input():
    r = ksr.run_ksr(never, [], k=3)
    assert (r.ksr, r.characters, r.lines) == (0.0, 0, 0)
    assert math.isnan(r.p50_us())


def test_accuracy_hand_computed():
    predict = vocab_predictor(["the", "cat", "sat", "car"])
    nxt, comp = ksr.word_accuracy(predict, ["the cat sat", "a car"], next_ks=(1, 3), completion_ks=(1, 3))
    # next-word positions: "cat", "sat", "car" (first words of lines excluded).
    # top-1 offers "the" -> 0/3; top-3 offers the, cat, sat -> cat, sat hit: 2/3.
    assert (nxt[1].hits, nxt[1].trials) == (0, 3)
    assert (nxt[3].hits, nxt[3].trials) == (2, 3)
    # completion after the first letter, words of length >= 2: the, cat, sat, car ("a" skipped)
    # t -> the (hit@1); c -> cat, car: cat hit@1, car hit@3 only; s -> sat hit@1.
    assert (comp[1].hits, comp[1].trials) == (3, 4)
    assert (comp[3].hits, comp[3].trials) == (4, 4)
    assert comp[3].rate == 1.0


def test_evaluate_matches_separate_runs_and_caches_calls():
    predict = vocab_predictor(["the", "cat", "sat", "car", "on", "mat"])
    calls: list[str] = []

    def counted(context: str, k: int) -> list[str]:
        calls.append(context)
        return predict(context, k)

    lines = ["the cat sat on the mat.", "a car on the mat", "cats sat"]
    rep = ksr.evaluate(counted, lines, ks=(1, 3, 5))
    for k in (1, 3, 5):
        alone = ksr.run_ksr(predict, lines, k=k)
        got = rep.ksr[k]
        assert (got.keystrokes, got.selections, got.characters) == (
            alone.keystrokes,
            alone.selections,
            alone.characters,
        )
    nxt, comp = ksr.word_accuracy(predict, lines)
    assert rep.next_word[3] == nxt[3] and rep.completion[3] == comp[3]
    assert len(rep.latencies_us) == len(calls)
    assert rep.lines == 3 and rep.characters == sum(map(len, lines))
    # within one line, each distinct context is asked once, with the largest k
    calls.clear()
    asked_k: list[int] = []
    ksr.evaluate(lambda c, k: asked_k.append(k) or counted(c, k), [lines[0]], ks=(1, 3, 5))
    assert len(calls) == len(set(calls)) > 0
    assert set(asked_k) == {5}


def test_evaluate_without_shared_calls_uses_each_k():
    asked: list[int] = []

    def predict(context: str, k: int) -> list[str]:
        asked.append(k)
        # not prefix-consistent: the top-1 list differs from the top-3 list's head
        return ["cat"] if k == 1 else ["the", "cat", "sat"][:k]

    lines = ["the cat"]
    rep = ksr.evaluate(predict, lines, ks=(1, 3), next_ks=(1,), completion_ks=(), share_calls=False)
    assert set(asked) == {1, 3}
    assert rep.ksr[1].selections == ksr.run_ksr(predict, lines, k=1).selections
    assert rep.ksr[3].selections == ksr.run_ksr(predict, lines, k=3).selections
    assert (rep.next_word[1].hits, rep.next_word[1].trials) == (1, 1)
    shared = ksr.evaluate(predict, lines, ks=(1, 3), next_ks=(1,), completion_ks=())
    assert shared.next_word[1].hits == 0  # sliced from the k=3 answer: "the"


def test_percentile():
    xs = [float(x) for x in range(1, 101)]
    assert ksr.percentile(xs, 50) == pytest.approx(50.5)
    assert ksr.percentile(xs, 99) == pytest.approx(99.01)
    assert ksr.percentile([7.0], 99) == 7.0
    with pytest.raises(ValueError):
        ksr.percentile(xs, 101)


def test_read_lines(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("one\r\n\n  \ntwo three\nfour\n", encoding="utf-8")
    assert ksr.read_lines(p) == ["one", "two three", "four"]
    assert ksr.read_lines(p, limit=2) == ["one", "two three"]


# --- the typist over the Presage peer (benches/presage.py), on a database built in the test ---

_TEXT2NGRAM = shutil.which("text2ngram")


def _load_presage():
    path = Path(__file__).resolve().parents[1] / "benches" / "presage.py"
    spec = importlib.util.spec_from_file_location("keywise_benches_presage_under_test", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def tiny_presage_db(tmp_path_factory):
    if _TEXT2NGRAM is None or ctypes.util.find_library("presage") is None:
        pytest.skip("Presage is not installed (benches/setup.sh installs it)")
    d = tmp_path_factory.mktemp("presage")
    corpus = d / "corpus.txt"
    corpus.write_text(
        "the patient is stable.\nthe patient is comfortable.\nthe patient denies pain.\n"
        "blood pressure is normal.\nthe patient is stable today.\n",
        encoding="utf-8",
    )
    db = d / "tiny.db"
    for n, extra in ((1, []), (2, ["-a"]), (3, ["-a"])):
        subprocess.run(
            [_TEXT2NGRAM, "-n", str(n), "-l", *extra, "-f", "sqlite", "-o", str(db), str(corpus)],
            check=True,
            capture_output=True,
        )
    return db


def test_presage_peer_predicts_and_types(tiny_presage_db):
    presage = _load_presage()
    with presage.Presage(tiny_presage_db) as p:
        assert p.predict("The patient ", 1) == ["is"]
        assert p.predict("the patient is s", 3) == ["stable"]
        assert len(p.predict("", 5)) == 5
        # k changes between calls are honoured
        assert len(p.predict("", 2)) == 2
        # stateless: the same context gives the same answer whatever came before
        assert p.predict("the patient ", 3) == p.predict("the patient ", 3)
        r = ksr.run_ksr(p.predict, ["The patient is stable."], k=1)
        # "the" + space, "patient" + space, "is" + space, "stable" each one selection at most
        assert r.selections >= 3 and r.ksr > 0.5
        with pytest.raises(ValueError):
            p.predict("x", 0)
    with pytest.raises(presage.PresageError):
        p.predict("x", 3)  # closed
    with pytest.raises(presage.PresageError):
        presage.Presage(tiny_presage_db.parent / "missing.db")


# --- the harness (benches/__main__.py) end to end, on fixture corpora and toy systems ---


def test_harness_writes_report(tmp_path, monkeypatch):
    repo = Path(__file__).resolve().parents[1]
    monkeypatch.syspath_prepend(str(repo))
    harness = importlib.import_module("benches.__main__")
    shared = tmp_path / "shared"
    for _, rel in harness.TASKS.values():
        f = shared / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("the cat sat on the mat.\n\nthe cat ran.\na dog sat.\n", encoding="utf-8")
    monkeypatch.setenv("KEYWISE_SHARED", str(shared))
    toy = vocab_predictor(["the", "cat", "sat", "on", "mat"])
    monkeypatch.setattr(
        harness.registry,
        "all_systems",
        lambda: [("toy", lambda: toy), ("peer", lambda: never), ("broken", _unavailable(harness))],
    )
    out = tmp_path / "out"
    argv = ["--lines", "2", "--first", "--tasks", "clinical,web", "--baseline", "toy", "--out", str(out)]
    if importlib.util.find_spec("matplotlib") is None:
        argv.append("--no-plots")
    assert harness.main(argv) == 0
    md = (out / "BENCHMARKS.md").read_text(encoding="utf-8")
    data = json.loads((out / "BENCHMARKS.json").read_text(encoding="utf-8"))
    toy_ksr = data["results"]["clinical"]["toy"]["ksr"]["3"]
    expected = ksr.run_ksr(toy, ["the cat sat on the mat.", "the cat ran."], k=3).ksr
    assert toy_ksr == pytest.approx(expected) and toy_ksr > 0
    assert data["results"]["clinical"]["peer"]["ksr"]["3"] == 0.0
    assert "## Clinical notes" in md and "## Web text" in md and "## Dialogue" not in md
    assert "| toy | " in md and "| peer | 0.0% (0.00×)" in md
    assert "skipped **broken**: not built here" in md
    if "--no-plots" not in argv:
        assert (out / "ksr_vs_k.png").stat().st_size > 0 and (out / "latency.png").stat().st_size > 0


def _unavailable(harness):
    def factory():
        raise harness.registry.Unavailable("not built here")

    return factory


def test_evaluate_typist_types_in_order_per_k_and_accuracies_ask_predict():
    predict = vocab_predictor(["the", "cat", "sat", "car", "on", "mat"])
    made: list[int] = []
    seen: list[tuple[int, str]] = []

    def typist(k: int):
        made.append(k)

        def ask(context: str, kk: int) -> list[str]:
            seen.append((k, context))
            return predict(context, kk)

        return ask

    lines = ["the cat sat on the mat.", "a car on the mat"]
    rep = ksr.evaluate(predict, lines, ks=(1, 3), next_ks=(1,), completion_ks=(3,), typist=typist)
    assert made == [1, 3]
    for k in (1, 3):
        order: list[str] = []
        alone = ksr.run_ksr(lambda c, kk: order.append(c) or predict(c, kk), lines, k=k)
        assert rep.ksr[k].ksr == alone.ksr
        # The typist asks in typing order, every position (no memo sharing across k).
        assert [c for kk, c in seen if kk == k] == order
    nxt, comp = ksr.word_accuracy(predict, lines, next_ks=(1,), completion_ks=(3,))
    assert (rep.next_word[1].hits, rep.completion[3].hits) == (nxt[1].hits, comp[3].hits)
