"""The personal store end to end through the Python API, on the tiny fixture pack."""

from __future__ import annotations

import os
from pathlib import Path

import keywise
import pytest
from keywise import IntegrityError, KeywiseError

from .conftest import texts

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
SHIPPED = keywise.DEFAULT_PACK


@pytest.fixture()
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "user.kws"


@pytest.fixture()
def store(store_path: Path) -> keywise.UserStore:
    return keywise.UserStore.open(store_path, key=KEY)


@pytest.fixture()
def engine(tiny_pack: Path, store: keywise.UserStore) -> keywise.Engine:
    return keywise.Engine.load(tiny_pack, neural=False, user_store=store)


def saved_store(path: Path) -> bytes:
    s = keywise.UserStore.open(path, key=KEY)
    s.add("zorbitrex")
    s.set_shortcut("qxz", "quadrant exam zone")
    s.save()
    return path.read_bytes()


# --- learning ---------------------------------------------------------------------------------


def test_learn_threshold_is_two_uses(engine: keywise.Engine, store: keywise.UserStore) -> None:
    assert engine.learn("Started Zorbitrex today.") == 3
    assert not store.knows("zorbitrex")
    assert "Zorbitrex" not in store.words()
    engine.learn("Continue Zorbitrex daily.")
    assert store.knows("zorbitrex") and store.knows("ZORBITREX")
    words = store.words()
    # The display form is the spelling typed (sentence-initial capitals do not vote).
    assert words["Zorbitrex"] == pytest.approx(2.0, rel=1e-3)
    assert "today" not in words  # used once: still pending
    assert "Started" not in words and "started" not in words


def test_learning_settings_are_set_checked_and_kept(tiny_pack: Path, store: keywise.UserStore, store_path: Path) -> None:
    assert store.config() == (2, 90.0)
    store.configure(min_uses=1)
    engine = keywise.Engine.load(tiny_pack, neural=False, user_store=store)
    engine.learn("Started Quorbex today.")
    assert store.knows("quorbex")  # one use is enough now
    store.configure(half_life_days=float("inf"))
    assert store.config() == (1, float("inf"))
    for bad in ({"min_uses": 0}, {"min_uses": 1001}, {"min_uses": -3}, {"min_uses": 10**30}, {"half_life_days": 0.0},
                {"half_life_days": float("nan")}, {"half_life_days": -1.0}):
        with pytest.raises(keywise.InputError):
            store.configure(**bad)  # type: ignore[arg-type]
    assert store.config() == (1, float("inf"))  # a refused change changes nothing
    store.save()
    store.close()  # one UserStore of a file at a time
    assert keywise.UserStore.open(store_path, key=KEY).config() == (1, float("inf"))
    store.configure(min_uses=3)  # raised again: the one-use word waits for more uses
    assert not store.knows("quorbex")


def test_name_policy_strict_or_list_only(tiny_pack: Path, tmp_path: Path) -> None:
    learned = {}
    for policy in ("strict", "list"):
        st = keywise.UserStore.open(tmp_path / f"{policy}.kws", key=KEY)
        st.configure(min_uses=1)
        eng = keywise.Engine.load(tiny_pack, neural=False, user_store=st, phi_policy=policy)
        eng.learn("Seen today by Dr. Quennell for the knee.")
        learned[policy] = st.knows("quennell")
    # After a title the strict policy takes the word for a name; the list-only one knows no such name.
    assert learned == {"strict": False, "list": True}
    with pytest.raises(keywise.InputError):
        keywise.Engine.load(tiny_pack, neural=False, phi_policy="off")


def test_learn_without_store_or_in_incognito_learns_nothing(
    tiny_pack: Path, engine: keywise.Engine, store: keywise.UserStore, store_path: Path
) -> None:
    plain = keywise.Engine.load(tiny_pack, neural=False)
    assert plain.learn("Zorbitrex Zorbitrex Zorbitrex") == 0
    engine.learn("baseline words baseline words")
    store.save()
    before = store_path.read_bytes()
    with engine.incognito():
        assert engine.is_incognito
        assert engine.learn("Quenzaril Quenzaril Quenzaril Quenzaril") == 0
        assert "Quenzaril" not in texts(engine.suggest("Started quen"))
    assert not engine.is_incognito
    assert not store.knows("quenzaril")
    assert set(store.words()) == {"baseline", "words"}
    store.save()
    store.close()
    reopened = keywise.UserStore.open(store_path, key=KEY)
    assert not reopened.knows("quenzaril")
    assert set(reopened.words()) == {"baseline", "words"}
    assert len(store_path.read_bytes()) == len(before)  # nothing new stored


def test_incognito_field_learns_nothing_and_a_normal_field_does(
    engine: keywise.Engine, store: keywise.UserStore, store_path: Path
) -> None:
    with engine.field(incognito=True) as private:
        assert private.incognito
        assert private.learn("Quenzaril Quenzaril Quenzaril") == 0
        assert "Quenzaril" not in texts(private.suggest("Started quen"))
        with pytest.raises(keywise.InputError):
            private.learn(None)  # type: ignore[arg-type]
    store.save()
    assert not store.knows("quenzaril") and store.words() == {}
    store.close()
    assert not keywise.UserStore.open(store_path, key=KEY).knows("quenzaril")
    # Control: the same text in a normal field of the same engine is learned.
    with engine.field() as normal:
        assert not normal.incognito
        assert normal.learn("Quenzaril Quenzaril Quenzaril") == 3
    assert store.knows("quenzaril")
    with pytest.raises(keywise.InputError):
        engine.field(incognito="yes")  # type: ignore[arg-type]


def test_incognito_nests_and_survives_exceptions(engine: keywise.Engine, store: keywise.UserStore) -> None:
    with pytest.raises(RuntimeError), engine.incognito():
        with engine.incognito():
            pass
        assert engine.is_incognito
        raise RuntimeError("boom")
    assert not engine.is_incognito
    engine.learn("Quenzaril Quenzaril")
    assert store.knows("quenzaril")


def test_incognito_is_per_thread(engine: keywise.Engine, store: keywise.UserStore) -> None:
    import threading

    got: list[int] = []
    with engine.incognito():
        t = threading.Thread(target=lambda: got.append(engine.learn("Quenzaril Quenzaril")))
        t.start()
        t.join()
        assert engine.learn("Zorbitrex Zorbitrex") == 0
    assert got == [2]
    assert store.knows("quenzaril") and not store.knows("zorbitrex")


def test_identifiers_and_names_are_not_learned(engine: keywise.Engine, store: keywise.UserStore) -> None:
    for _ in range(3):
        engine.learn(
            "Mr. Jonathan Quixby, MRN 448812, call 555-0100 or q.tester@example.org; "
            "Patient name: Zorya Blenkinsop. Dr. Quellbrand saw him. Started Xarelto for afib."
        )
    words = {w.lower() for w in store.words()}
    for bad in ["jonathan", "quixby", "zorya", "blenkinsop", "quellbrand", "448812", "tester", "example"]:
        assert bad not in words, bad
    assert {"started", "xarelto", "afib", "call", "saw"} <= words


def test_quixby_on_shipped_pack(tmp_path: Path) -> None:
    """The lead's report: the surname after a titled, listed first name was learned."""
    if not (SHIPPED / "manifest.json").is_file():
        pytest.skip("the shipped pack is not built")
    store = keywise.UserStore.open(tmp_path / "u.kws", key=KEY)
    engine = keywise.Engine.load(SHIPPED, neural=False, user_store=store)
    for _ in range(3):
        engine.learn("Started Xarelto for afib. Mr. Jonathan Quixby was seen.")
    words = {w.lower() for w in store.words()}
    assert "quixby" not in words and "jonathan" not in words
    assert {"xarelto", "afib", "seen"} <= words


# --- user control -----------------------------------------------------------------------------


def test_add_forget_wipe(engine: keywise.Engine, store: keywise.UserStore) -> None:
    store.add("Zorbitrex")
    assert store.knows("zorbitrex")  # added words are known at once
    assert "Zorbitrex" in store.words()
    engine.learn("take quenzaril nightly. take quenzaril nightly.")
    assert store.knows("quenzaril")
    assert store.forget("quenzaril") is True
    assert store.forget("quenzaril") is False
    assert not store.knows("quenzaril")
    # Forgetting drops the word's n-grams too: "take" is no longer followed by it.
    assert "quenzaril" not in [t.lower() for t in texts(engine.suggest("take ", k=5))]
    store.wipe()
    assert store.words() == {}
    assert not store.knows("zorbitrex")
    assert store.shortcuts() == []


@pytest.mark.parametrize("bad", ["", "two words", "tab\tword", "x" * 65, "nul\x00"])
def test_add_rejects_bad_words_clearly(store: keywise.UserStore, bad: str) -> None:
    with pytest.raises(ValueError) as ei:
        store.add(bad)
    assert isinstance(ei.value, KeywiseError)
    if len(bad) > 3:
        assert bad not in str(ei.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.add("lone\ud800surrogate"),
        lambda s: s.add(42),
        lambda s: s.forget("lone\udfffsurrogate"),
        lambda s: s.knows(b"bytes"),
        lambda s: s.set_shortcut("sob", "short\ud800ness"),
        lambda s: s.set_shortcut(None, "x"),
        lambda s: s.remove_shortcut("\ud800"),
    ],
)
def test_store_arguments_that_are_not_text_are_input_errors(store: keywise.UserStore, call) -> None:
    # pyo3 alone raises UnicodeEncodeError (quoting the character) or TypeError here.
    with pytest.raises(keywise.InputError) as ei:
        call(store)
    assert str(ei.value).split()[0] in {"word", "abbrev", "expansion"}
    assert "\ud800" not in str(ei.value) and "\udfff" not in str(ei.value)
    assert store.words() == {} and store.shortcuts() == []


def test_passphrase_that_is_not_text_is_an_input_error(store_path: Path) -> None:
    for bad in ("pass\ud800word", 1234):
        with pytest.raises(keywise.InputError):
            keywise.UserStore.open(store_path, passphrase=bad)
    assert not store_path.exists()


def test_export_and_import_plain_and_dic(store: keywise.UserStore, tmp_path: Path) -> None:
    for w in ["Zorbitrex", "quenzaril", "MRIx", "Lévothyrox"]:
        store.add(w)
    plain, dic = tmp_path / "words.txt", tmp_path / "words.dic"
    store.export(plain)
    store.export(dic, dic=True)
    lines = plain.read_text(encoding="utf-8").split()
    assert sorted(lines) == sorted(["Zorbitrex", "quenzaril", "MRIx", "Lévothyrox"])
    d = dic.read_text(encoding="utf-8").splitlines()
    assert d[0] == "4" and sorted(d[1:]) == sorted(lines)
    for src in (plain, dic):
        other = keywise.UserStore.open(tmp_path / f"other-{src.suffix}.kws", key=KEY)
        assert other.import_words(src) == 4
        assert sorted(other.words()) == sorted(lines)
    # A Hunspell file with affix flags and a count line imports the stems.
    h = tmp_path / "hun.dic"
    h.write_text("3\nquixotril/MS\nnorvexa\nplenzo/S\n", encoding="utf-8")
    s3 = keywise.UserStore.open(tmp_path / "h.kws", key=KEY)
    assert s3.import_words(h) == 3
    assert {"quixotril", "norvexa", "plenzo"} == set(s3.words())


def test_import_errors_are_clear(store: keywise.UserStore, tmp_path: Path) -> None:
    with pytest.raises((KeywiseError, OSError)):
        store.import_words(tmp_path / "missing.txt")
    b = tmp_path / "binary.txt"
    b.write_bytes(b"\xff\xfe\x00bad\x80\n")
    with pytest.raises((KeywiseError, ValueError)):
        store.import_words(b)
    assert store.words() == {}


def test_shortcuts_are_suggested(engine: keywise.Engine, store: keywise.UserStore) -> None:
    store.set_shortcut("qxz", "quadrant exam zone")
    assert store.shortcuts() == [("qxz", "quadrant exam zone")]
    sugs = engine.suggest("The patient had qxz", k=3)
    assert ("quadrant exam zone", "shortcut") in [(s.text, s.kind) for s in sugs]
    assert store.remove_shortcut("qxz") is True
    assert store.remove_shortcut("qxz") is False
    assert "quadrant exam zone" not in texts(engine.suggest("The patient had qxz", k=3))
    # The pack's abbreviation list is offered too, as a shortcut.
    sugs = engine.suggest("The patient has SOB", k=3)
    assert ("shortness of breath", "shortcut") in [(s.text, s.kind) for s in sugs]


def test_user_words_are_suggested(engine: keywise.Engine, store: keywise.UserStore) -> None:
    assert "Zorbitrex" not in texts(engine.suggest("Started zor", k=3))
    engine.learn("Started Zorbitrex today.")
    engine.learn("Started Zorbitrex today.")
    assert texts(engine.suggest("Started zor", k=3))[0] == "Zorbitrex"
    # And as the next word after the context the user typed it in.
    assert "Zorbitrex" in texts(engine.suggest("Started ", k=3))


def test_a_word_is_not_ranked_lower_for_being_known(engine: keywise.Engine, store: keywise.UserStore) -> None:
    # The mixture scales every pack word by the same share, so a word the user knows (weakly,
    # in other contexts) never falls below a pack word the user does not know.
    ctx = "The patient "
    before = texts(engine.suggest(ctx, k=4))
    assert len(before) == 4
    word = before[2]
    filler = " ".join("q" + "".join(chr(97 + (i * 7 + j * 3) % 26) for j in range(6)) for i in range(300))
    engine.learn(f"{filler}. {word}. {filler}. {word}.")
    assert store.knows(word)
    after = texts(engine.suggest(ctx, k=4))
    assert word in after[:3], (before, after)


def test_user_words_are_never_autocorrected(engine: keywise.Engine, store: keywise.UserStore) -> None:
    # Without the word, the pack corrects it (so the assertion below can fail).
    r = engine.correction("The patient reports cheest ")
    assert r is not None and r[1] and r[0].text == "chest"
    engine.learn("mild cheest discomfort. mild cheest discomfort.")
    assert store.knows("cheest")
    r = engine.correction("The patient reports cheest ")
    assert r is None or not r[1]
    assert engine.autocorrect("The patient reports cheest ") is None
    # Added words too.
    assert engine.autocorrect("The patient reports paine ") is not None
    store.add("paine")
    assert engine.autocorrect("The patient reports paine ") is None


# --- persistence ------------------------------------------------------------------------------


def test_reopen_after_save(tiny_pack: Path, store_path: Path) -> None:
    s = keywise.UserStore.open(store_path, key=KEY)
    e = keywise.Engine.load(tiny_pack, neural=False, user_store=s)
    e.learn("Started Zorbitrex today. Started Zorbitrex today.")
    s.set_shortcut("qxz", "quadrant exam zone")
    s.add("Quenzaril")
    s.save()
    assert s.path == store_path
    s.add("unsavedword")  # not saved: not there after reopening
    del e, s
    r = keywise.UserStore.open(store_path, key=KEY)
    assert {"Zorbitrex", "Started", "today", "Quenzaril"} <= set(r.words())
    assert not r.knows("unsavedword")
    assert r.shortcuts() == [("qxz", "quadrant exam zone")]
    e2 = keywise.Engine.load(tiny_pack, neural=False, user_store=r)
    assert texts(e2.suggest("Started zor", k=3))[0] == "Zorbitrex"


def test_one_store_of_a_file_at_a_time(store_path: Path, tmp_path: Path) -> None:
    first = keywise.UserStore.open(store_path, key=KEY)
    first.add("zorbitrex")
    first.save()
    with pytest.raises(keywise.InUseError) as ei:
        keywise.UserStore.open(store_path, key=KEY)  # its later save would undo first's changes
    assert isinstance(ei.value, KeywiseError)
    first.close()
    with keywise.UserStore.open(store_path, key=KEY) as second:
        assert second.knows("zorbitrex")
        with pytest.raises(keywise.InUseError):
            first.save()  # a closed store takes the lock again to save: refused while second has it
    first.save()  # second's block ended: the lock is free again
    first.close()
    # Another process holds it: refused here until that process ends.
    import subprocess
    import sys

    with subprocess.Popen(
        [sys.executable, "-c", "import sys, keywise; s = keywise.UserStore.open(sys.argv[1], key=bytes(range(32)));"
         "print('open', flush=True); sys.stdin.readline()", str(store_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    ) as child:
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == "open"
            with pytest.raises(keywise.InUseError):
                keywise.UserStore.open(store_path, key=KEY)
        finally:
            child.kill()
    assert keywise.UserStore.open(store_path, key=KEY).knows("zorbitrex")  # the OS freed its lock


def test_passphrase_store(store_path: Path) -> None:
    s = keywise.UserStore.open(store_path, passphrase="correct horse battery")
    s.add("zorbitrex")
    s.save()
    s.close()
    assert keywise.UserStore.open(store_path, passphrase="correct horse battery").knows("zorbitrex")
    before = store_path.read_bytes()
    with pytest.raises(IntegrityError):
        keywise.UserStore.open(store_path, passphrase="wrong horse battery")
    with pytest.raises(IntegrityError):
        keywise.UserStore.open(store_path, key=KEY)
    assert store_path.read_bytes() == before


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"key": b"short"}, {"key": bytes(33)}, {"key": "k" * 32}, {"passphrase": ""},
     {"key": KEY, "passphrase": "x"}],
)
def test_open_rejects_bad_keys(store_path: Path, kwargs: dict[str, object]) -> None:
    with pytest.raises(keywise.InputError):
        keywise.UserStore.open(store_path, **kwargs)
    assert not store_path.exists()


def test_wrong_key_is_an_integrity_error_and_leaves_the_file(store_path: Path) -> None:
    before = saved_store(store_path)
    with pytest.raises(IntegrityError) as ei:
        keywise.UserStore.open(store_path, key=OTHER_KEY)
    assert "zorbitrex" not in str(ei.value).lower()
    assert store_path.read_bytes() == before
    assert keywise.UserStore.open(store_path, key=KEY).knows("zorbitrex")


def _corruptions(data: bytes) -> list[tuple[str, bytes]]:
    out = [(f"header byte {i}", data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]) for i in range(32)]
    mid = len(data) // 2
    out += [
        ("body byte", data[:mid] + bytes([data[mid] ^ 0x80]) + data[mid + 1 :]),
        ("last byte", data[:-1] + bytes([data[-1] ^ 0x01])),
        ("truncated", data[:-1]),
        ("truncated header", data[:20]),
        ("header only", data[:32]),
        ("appended", data + b"\x00"),
        ("empty", b""),
        ("zeros", bytes(len(data))),
        ("other magic", b"XXXX" + data[4:]),
    ]
    return out


def test_any_corruption_is_an_integrity_error_never_a_reset(store_path: Path) -> None:
    good = saved_store(store_path)
    for what, bad in _corruptions(good):
        store_path.write_bytes(bad)
        with pytest.raises(IntegrityError):
            keywise.UserStore.open(store_path, key=KEY)
            pytest.fail(f"{what}: opened")
        assert store_path.read_bytes() == bad, what
        assert not list(store_path.parent.glob("*.tmp*")), what
    store_path.write_bytes(good)
    assert keywise.UserStore.open(store_path, key=KEY).knows("zorbitrex")


def test_missing_folder_and_unwritable_target_are_clear_errors(tmp_path: Path) -> None:
    s = keywise.UserStore.open(tmp_path / "gone" / "u.kws", key=KEY)  # created lazily on save
    s.add("zorbitrex")
    try:
        s.save()
    except (KeywiseError, OSError):
        pass  # a clear error is fine
    else:
        assert (tmp_path / "gone" / "u.kws").is_file()
    d = tmp_path / "adir"
    d.mkdir()
    with pytest.raises((KeywiseError, OSError)):
        keywise.UserStore.open(d, key=KEY).save()
    assert d.is_dir()


def test_repr_hides_content(store: keywise.UserStore) -> None:
    store.add("zorbitrex")
    assert "zorbitrex" not in repr(store).lower()


def test_store_file_is_private(store_path: Path) -> None:
    saved_store(store_path)
    if os.name == "posix":
        assert store_path.stat().st_mode & 0o077 == 0


def test_cli_words_manages_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from keywise.cli import main

    path = tmp_path / "words.kws"
    monkeypatch.setenv("KEYWISE_NO_KEYRING", "1")
    monkeypatch.setenv("KEYWISE_PASSPHRASE", "correct horse")
    w = ["words", "--store", str(path)]
    assert main([*w, "list"]) == 1 and not path.exists()  # listing never creates a store
    assert main([*w, "add", "Quorbex"]) == 0
    (tmp_path / "in.txt").write_text("Zyvox\nlinezolid\n", encoding="utf-8")
    assert main([*w, "import", str(tmp_path / "in.txt")]) == 0
    capsys.readouterr()
    assert main([*w, "list"]) == 0
    listed = [ln.split("\t")[0] for ln in capsys.readouterr().out.splitlines()]
    assert sorted(listed) == ["Quorbex", "Zyvox", "linezolid"]
    assert main([*w, "export", str(tmp_path / "out.dic"), "--dic"]) == 0
    assert (tmp_path / "out.dic").read_text(encoding="utf-8").splitlines()[0] == "3"
    assert main([*w, "forget", "zyvox"]) == 0
    assert main([*w, "forget", "Zqxnotthere"]) == 1
    assert "Zqxnotthere" not in capsys.readouterr().err  # errors never echo the word
    assert main([*w, "add", "two words"]) == 1
    assert main([*w, "wipe"]) == 2  # asks for --yes
    # Each change was saved: a fresh open sees it.
    with keywise.UserStore.open(path, passphrase="correct horse") as reopened:
        assert set(reopened.words()) == {"Quorbex", "linezolid"}
        assert main([*w, "list"]) == 1  # the store is open here: a clear refusal, no lost change
        assert "open in another program" in capsys.readouterr().err
    assert main([*w, "wipe", "--yes"]) == 0
    assert keywise.UserStore.open(path, passphrase="correct horse").words() == {}
    monkeypatch.setenv("KEYWISE_PASSPHRASE", "wrong horse")
    assert main([*w, "list"]) == 1
    assert "wrong key or passphrase" in capsys.readouterr().err


def test_cli_shortcuts(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from keywise.cli import main

    path = tmp_path / "words.kws"
    monkeypatch.setenv("KEYWISE_NO_KEYRING", "1")
    monkeypatch.setenv("KEYWISE_PASSPHRASE", "correct horse")
    c = ["shortcuts", "--store", str(path)]
    assert main([*c, "remove", "sob"]) == 1 and not path.exists()
    assert main([*c, "set", "sob", "shortness", "of", "breath"]) == 0
    capsys.readouterr()
    assert main([*c, "list"]) == 0
    assert capsys.readouterr().out == "sob\tshortness of breath\n"
    assert keywise.UserStore.open(path, passphrase="correct horse").shortcuts() == [("sob", "shortness of breath")]
    assert main([*c, "remove", "sob"]) == 0
    assert main([*c, "remove", "sob"]) == 1
    assert keywise.UserStore.open(path, passphrase="correct horse").shortcuts() == []
