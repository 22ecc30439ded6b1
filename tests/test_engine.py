"""The engine through the Python API, on the tiny fixture pack and on the shipped pack."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

import keywise
from keywise import Engine, InputError, KeywiseError, PackError, Suggestion

from .conftest import REPO, texts


@pytest.fixture(scope="module")
def eng(tiny_pack: Path) -> Engine:
    return Engine.load(tiny_pack, neural=False)


def test_completion_and_next_word(eng: Engine) -> None:
    out = eng.suggest("The patient denies ch")
    assert "chest" in texts(out)
    assert all(s.kind == "completion" for s in out)
    nxt = eng.suggest("He reports shortness of ")
    assert texts(nxt)[0] == "breath"
    assert all(s.kind == "next" for s in nxt)
    assert nxt[0].score > nxt[-1].score or len(nxt) == 1
    assert len(eng.suggest("The ", k=5)) == 5


def test_field_leaves_out_words_typed_past(eng: Engine) -> None:
    field = eng.field()
    shown: set[str] = set()
    for text in ["The patient ", "The patient d", "The patient di"]:
        got = texts(field.suggest(text))
        assert not shown & {w.lower() for w in got}, (text, got, shown)
        shown |= {w.lower() for w in got}
    # Engine.suggest stays a pure function: it repeats what the field left out.
    assert "diabetes" in texts(eng.suggest("The patient di"))
    assert "diabetes" not in texts(field.suggest("The patient di"))
    # Asked again for the same text, the field gives the same strip; a new word starts afresh.
    assert texts(field.suggest("The patient di")) == texts(field.suggest("The patient di"))
    assert texts(field.suggest("He has ")) == texts(eng.suggest("He has "))
    field.clear()
    assert texts(field.suggest("The patient di")) == texts(eng.suggest("The patient di"))
    # When every word left was typed past ("de": only "denies", shown after "d"), they come
    # back instead of an empty strip.
    field.clear()
    assert "denies" in texts(field.suggest("The patient d"))
    assert texts(field.suggest("The patient de")) == texts(eng.suggest("The patient de")) == ["denies"]
    # Bad input is refused as by Engine.suggest.
    with pytest.raises(InputError):
        field.suggest("x", k=0)
    with pytest.raises(InputError):
        field.suggest(None)  # type: ignore[arg-type]
    assert isinstance(field.suggest("\ud800 \x00" * 10_000), list)


def test_case_forms_and_sentence_start(eng: Engine) -> None:
    assert "MRI" in texts(eng.suggest("An mr"))
    assert "COVID-19" in texts(eng.suggest("negative for cov"))
    assert "pH" in texts(eng.suggest("Her p", k=10))
    assert "I" in texts(eng.suggest("in two weeks. ", k=10)) or "I" in texts(eng.suggest("i", k=5))
    # sentence start capitalises; a capital typed by the user is kept
    assert texts(eng.suggest("Denies chest pain. pat"))[0] == "Patient"
    assert texts(eng.suggest("the Pat"))[0] == "Patient"
    assert texts(eng.suggest("the PAT"))[0] == "PATIENT"


def test_bad_input_is_handled(eng: Engine) -> None:
    for text in ["", " ", "\x00\x01\x02", "😀😀 pa", "ελληνικά ", "\ud800 pa", "x" * 1_000_000, "pa" * 500_000 + " "]:
        out = eng.suggest(text)
        assert isinstance(out, list)
    for k in [0, -1, 65, 2.5, True]:
        with pytest.raises(InputError):
            eng.suggest("the", k=k)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        eng.suggest(None)  # type: ignore[arg-type]
    assert issubclass(InputError, KeywiseError)
    assert eng.suggest("take 10") == []


def test_thread_safe(eng: Engine) -> None:
    prompts = ["The patient denies ch", "shortness of ", "Continue lis", "The ", "p"]
    want = {p: texts(eng.suggest(p)) for p in prompts}
    errors: list[str] = []

    def work() -> None:
        for _ in range(300):
            for p in prompts:
                if texts(eng.suggest(p)) != want[p]:
                    errors.append(p)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


@pytest.mark.parametrize("damage", ["truncate", "flip", "version", "manifest", "missing", "swap"])
def test_corrupt_pack_is_a_clear_error(pack_copy: Path, damage: str) -> None:
    ng = pack_copy / "ngram.kwm"
    if damage == "truncate":
        ng.write_bytes(ng.read_bytes()[:-100])
    elif damage == "flip":
        b = bytearray(ng.read_bytes())
        b[len(b) // 2] ^= 0x10
        ng.write_bytes(bytes(b))
    elif damage == "version":
        b = bytearray(ng.read_bytes())
        b[4] = 99
        ng.write_bytes(bytes(b))
    elif damage == "manifest":
        (pack_copy / "manifest.json").write_text("{not json")
    elif damage == "missing":
        (pack_copy / "lexicon.kwl").unlink()
    elif damage == "swap":
        (pack_copy / "lexicon.kwl").write_bytes(ng.read_bytes())
    with pytest.raises(PackError) as ei:
        Engine.load(pack_copy, neural=False)
    msg = str(ei.value)
    assert str(pack_copy) in msg
    assert isinstance(ei.value, KeywiseError)


def test_not_a_pack(tmp_path: Path) -> None:
    with pytest.raises(PackError):
        Engine.load(tmp_path)


def test_arpa_round_trip(tiny_pack: Path, tmp_path: Path, eng: Engine) -> None:
    from keywise import _native

    arpa = tmp_path / "m.arpa"
    _native.kwm_to_arpa(tiny_pack / "ngram.kwm", arpa)
    text = arpa.read_text()
    assert text.startswith("\n\\data\\") and "\\3-grams:" in text
    back = tmp_path / "pack"
    back.mkdir()
    _native.arpa_to_kwm(arpa, back / "ngram.kwm")
    for f in ["lexicon.kwl", "manifest.json", "names.txt", "abbreviations.tsv"]:
        (back / f).write_bytes((tiny_pack / f).read_bytes())
    eng2 = Engine.load(back, neural=False)
    for p in ["The patient denies ch", "shortness of ", "The "]:
        assert texts(eng2.suggest(p)) == texts(eng.suggest(p))
    bad = tmp_path / "bad.arpa"
    bad.write_text("\\data\\\nngram 1=2\n\\1-grams:\n-1.0\tsecret_word\n")
    with pytest.raises(PackError) as ei:
        _native.arpa_to_kwm(bad, tmp_path / "x.kwm")
    assert "secret_word" not in str(ei.value)


def test_build_refuses_eval_splits(tmp_path: Path) -> None:
    from keywise import _native

    from .conftest import tiny_recipe

    r = tiny_recipe()
    r["corpora"] = [{"path": "/data/corpora/clinical/eval/notes.txt", "weight": 1}]
    with pytest.raises(ValueError):
        _native.build_pack(json.dumps(r), tmp_path / "p")


def test_score_text(eng: Engine) -> None:
    scores = eng.score_text("The patient denies chest pain.")
    assert [w for w, _, _ in scores] == ["the", "patient", "denies", "chest", "pain"]
    assert all(lp < 0 and known for _, lp, known in scores)


def test_default_pack_loads_and_predicts() -> None:
    eng = Engine.load(neural=False)
    assert "chest" in texts(eng.suggest("The patient denies ches"))
    assert "breath" in texts(eng.suggest("The patient denies chest pain and shortness of "))
    info = eng.info()
    assert info["order"] == 4 and int(info["words"]) > 50_000  # type: ignore[arg-type]
    assert Path(str(info["path"])) == REPO / "models" / "en-clinical"
    assert keywise.DEFAULT_PACK == REPO / "models" / "en-clinical"


def test_words_that_go_on_past_a_joiner() -> None:
    eng = Engine.load(neural=False)
    # "x-", "I'" and "patient’" are words being typed: completions, in the user's apostrophe.
    assert "x-ray" in texts(eng.suggest("a chest x-", k=5))
    assert "I'm" in texts(eng.suggest("Thank you. I'", k=5))
    assert "patient’s" in texts(eng.suggest("the patient’"))
    assert all(s.kind == "completion" for s in eng.suggest("she has non-"))
    # Taps for the letters before the joiner only are read as typed, not an error.
    assert "x-ray" in texts(eng.suggest("a chest x-", k=5, taps=[(5.5, 2.0)]))
    # Not a finished word to correct.
    assert eng.correction("a chest x- ") is None


def test_cli_suggest(capsys: pytest.CaptureFixture[str], tiny_pack: Path) -> None:
    from keywise.cli import main

    assert main(["--pack", str(tiny_pack), "suggest", "The", "patient", "denies", "ch", "--neural", "off"]) == 0
    assert "chest" in capsys.readouterr().out.split()
    assert main(["--pack", str(tiny_pack / "nope"), "suggest", "x"]) == 1
