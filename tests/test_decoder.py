"""The keystroke decoder and autocorrect through the Python API, on the shipped pack
(models/en-clinical, in the repo): taps, bad taps, the clinical safety guard, rejections, and
the evaluation adapters (kebbie's coordinates, the autocorrect typist)."""

from __future__ import annotations

import argparse
import math
import time

import keywise
import pytest
from keywise.eval import autocorrect as ac_eval
from keywise.eval import kebbie as kb
from keywise.eval.lookalikes import LOOK_ALIKE_PAIRS

from .conftest import texts

LEVELS = ["conservative", "normal", "aggressive"]
PAIRS = LOOK_ALIKE_PAIRS
DRUGS = sorted({d for p in PAIRS for d in p})


@pytest.fixture(scope="module")
def eng() -> keywise.Engine:
    return keywise.Engine.load(neural=False)


def centres(eng: keywise.Engine) -> dict[str, tuple[float, float]]:
    return {k["char"]: (k["x"], k["y"]) for k in eng.layout()["keys"]}  # type: ignore[index, union-attr]


def taps_for(eng: keywise.Engine, word: str) -> list[tuple[float, float]]:
    c = centres(eng)
    return [c[ch] for ch in word.lower()]


def one_edit(w: str) -> set[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = set()
    for i in range(len(w) + 1):
        if i < len(w):
            out.add(w[:i] + w[i + 1 :])
            if i + 1 < len(w):
                out.add(w[:i] + w[i + 1] + w[i] + w[i + 2 :])
            for c in letters:
                out.add(w[:i] + c + w[i + 1 :])
        for c in letters:
            out.add(w[:i] + c + w[i:])
    out.discard(w)
    return out


def test_taps_steer_the_correction(eng: keywise.Engine) -> None:
    # "psyient": the third tap sits between t and y, nearer t; the typed letter says y.
    c = centres(eng)
    taps = taps_for(eng, "psyient")
    taps[2] = ((c["t"][0] + c["y"][0]) / 2 - 0.1, c["t"][1])
    taps[1] = (c["s"][0] - 0.45, c["s"][1])  # on the a/s border
    r = eng.correction("The psyient ", taps, "normal")
    assert r is not None and r[0].text == "patient" and r[1]
    # Completion from taps: the partial "pst" tapped near "pat" still completes to patient.
    taps3 = taps_for(eng, "pat")
    taps3[1] = (c["a"][0] + 0.45, c["a"][1])
    assert "patient" in [s.text for s in eng.suggest("The pst", 3, taps3)]


def test_literal_completions_survive_taps(eng: keywise.Engine) -> None:
    plain = [s.text for s in eng.suggest("The pati", 3)]
    tapped = [s.text for s in eng.suggest("The pati", 3, taps_for(eng, "pati"))]
    assert plain and plain[0] == tapped[0] == "patient"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_taps_are_input_errors(eng: keywise.Engine, bad: float) -> None:
    taps = taps_for(eng, "pat")
    taps[1] = (bad, 1.0)
    with pytest.raises(keywise.InputError):
        eng.suggest("The pat", 3, taps)
    with pytest.raises(keywise.InputError):
        eng.correction("The pat ", [(1.0, bad)] * 3)


def test_wrong_tap_count_is_an_input_error(eng: keywise.Engine) -> None:
    with pytest.raises(keywise.InputError):
        eng.suggest("The pat", 3, taps_for(eng, "pa"))
    with pytest.raises(keywise.InputError):
        eng.correction("The pat ", taps_for(eng, "p"))
    with pytest.raises(keywise.InputError):
        eng.suggest("The pat", 3, [(1.0, 2.0, 3.0)])  # type: ignore[list-item]


def test_thousand_taps_are_bounded(eng: keywise.Engine) -> None:
    word = "abcdefghij" * 100
    taps = [(0.5 + (i % 10), 1.5) for i in range(1000)]
    t0 = time.perf_counter()
    out = eng.suggest(word, 3, taps)
    r = eng.correction(word + " ", taps)
    assert time.perf_counter() - t0 < 2.0
    assert isinstance(out, list) and len(out) <= 3
    assert r is None or isinstance(r[0].text, str)
    with pytest.raises(keywise.InputError):
        eng.suggest("pat", 3, [(0.0, 0.0)] * 5000)


def test_rare_misspelled_lexicon_words_are_fixed(eng: keywise.Engine) -> None:
    # Big word lists carry misspellings ("wtih", "hte"); in context they are fixed on space.
    r = eng.correction("She is doing well wtih ")
    assert r is not None and r[0].text == "with" and r[1]
    # Ordinary words are left alone.
    for text in ["The patient is ", "She reports pain in the ", "He denies chest "]:
        r = eng.correction(text)
        assert r is None or not r[1], text


def test_real_word_errors_are_fixed_when_the_context_is_plain(eng: keywise.Engine) -> None:
    # A known word one edit from what the context clearly wants ("yo" for "to"): fixed at the
    # normal level, never at the conservative one.
    for text, want in [("We will consider a steroid injection yo ", "to"), ("I recommend obtaining an MRI fo ", "of")]:
        r = eng.correction(text)
        assert r is not None and r[0].text == want and r[1], text
        assert eng.correction(text, level="conservative") is None, text
    # A rare entry in capitals is not forced on a typo: "anf" is "and" here, not ANF.
    r = eng.correction("what city should i search in anf ")
    assert r is not None and r[0].text == "and"


def test_title_case_display_forms_are_lowered_in_running_text(eng: keywise.Engine) -> None:
    # "Injection" and "Abnormality" are title case in the corpora's headings and tables; a
    # lower-case typo in a sentence gets the lower-case word, a title keeps its capitals, and
    # drug names keep theirs.
    r = eng.correction("We will give a steroid injectoin ")
    assert r is not None and r[0].text == "injection"
    r = eng.correction("These reveal no evidence of fracture or bony abnoramliity ")
    assert r is not None and r[0].text == "abnormality"
    r = eng.correction("- Medical Reasonign ")
    assert r is not None and r[0].text == "Reasoning"
    r = eng.correction("Continue tylenl ")
    assert r is not None and r[0].text == "Tylenol" and not r[1]


def test_a_letter_hit_for_the_space_bar_splits_two_words(eng: keywise.Engine) -> None:
    # Typed without coordinates, a letter whose key borders the space bar (x, c, v, b, n on
    # QWERTY, from the layout's geometry) may be the space: "thiscis" is "this is".
    for text, want in [("Yes thiscis ", "this is"), ("I have Buddy Guy ofvMarch ", "of March")]:
        r = eng.correction(text)
        assert r is not None and r[0].text == want and r[1], text
    # A letter far from the space bar is not a space.
    for text in ["Yes thisris ", "Yes thisqis "]:
        r = eng.correction(text)
        assert r is None or r[0].text != "this is", text


def test_a_tap_on_the_space_bar_edge_is_a_space(eng: keywise.Engine) -> None:
    # With taps, how near the tap fell to the space bar decides: a "z" tapped just left of
    # the bar, or a "." glued between words ("for.helping") tapped just right of it.
    c = centres(eng)
    space_x, space_y = c[" "]
    near_left, near_right = (space_x - 2.7, space_y - 0.1), (space_x + 2.7, space_y - 0.1)
    word = "pleasezconfirm"
    taps = taps_for(eng, word)
    taps[6] = near_left
    r = eng.correction("Thanks " + word + " ", taps)
    assert r is not None and r[0].text == "please confirm" and r[1]
    taps[6] = c["z"]  # dead on the z key: a z, not a space
    r = eng.correction("Thanks " + word + " ", taps)
    assert r is None or r[0].text != "please confirm"
    # The taps cover the whole glued token: that token is the word replaced.
    word = "for.helping"
    taps = [c.get(ch, near_right) for ch in word]
    r = eng.correction("Thanks " + word + " ", taps)
    assert r is not None and r[0].text == "for helping" and r[1]
    taps[3] = c["p"]  # a "." tapped far from the space bar stays a full stop
    r = eng.correction("Thanks " + word + " ", taps)
    assert r is None or " " not in r[0].text
    # Without taps (a hardware keyboard) the glued full stop is left alone.
    r = eng.correction("Thanks " + word + " ")
    assert r is None or " " not in r[0].text
    # Abbreviations and numbers are not glued words.
    for text in ["It is e.g ", "It costs 3.50 "]:
        w = text.split()[-1]
        r = eng.correction(text, [near_right if not ch.isalnum() else c.get(ch, c["a"]) for ch in w])
        assert r is None or " " not in r[0].text, text


def test_sentence_start_is_capitalised(eng: keywise.Engine) -> None:
    r = eng.correction("he ")
    assert r is not None and r[0].text == "He" and r[1]
    assert eng.correction("The patient said he ") is None
    assert eng.correction("he ", level="off") is None


def test_ordinary_words_are_not_turned_into_capitals(eng: keywise.Engine) -> None:
    # The corpora write these in capitals (CHIEF COMPLAINT headings, LEOPARD syndrome, APP), but
    # typed in lower case they are ordinary words: nothing changes mid-sentence.
    for text in ("Chief complaint ", "I saw the leopard ", "Open the app "):
        assert eng.correction(text) is None, text
    assert "complaint" in texts(eng.suggest("Chief comp"))
    assert "COMPLAINT" not in texts(eng.suggest("Chief comp", k=10))
    r = eng.correction("leopard ")  # a sentence start takes a capital, not capitals
    assert r is not None and r[0].text == "Leopard"
    # Controls: acronyms that are no ordinary word, or are clinical abbreviations, still do.
    for text, want in (("An mri ", "MRI"), ("Started ace ", "ACE")):
        r = eng.correction(text)
        assert r is not None and r[0].text == want and r[1], text
    assert eng.correction("Chief COMPLAINT ") is None  # typed in capitals: kept


def test_a_heading_typed_in_capitals_goes_on_in_capitals(eng: keywise.Engine) -> None:
    assert texts(eng.suggest("HISTORY OF PRESENT "))[0] == "ILLNESS"
    assert "COMPLAINT" in texts(eng.suggest("CHIEF "))
    assert "complaint" in texts(eng.suggest("Chief "))  # control: no heading
    # Lower case typed after it, or capitals that are a word's spelling (MRI), end the heading.
    assert texts(eng.suggest("HISTORY OF PRESENT ill"))[0] == "illness"
    assert all(w == w.lower() for w in texts(eng.suggest("MRI of the ")))
    r = eng.correction("HISTORY OF PRESENT ILNESS ")
    assert r is not None and r[0].text == "ILLNESS"


def test_unknown_level_is_an_input_error(eng: keywise.Engine) -> None:
    with pytest.raises(keywise.InputError):
        eng.correction("he ", level="maximum")


@pytest.mark.parametrize("level", LEVELS)
def test_lookalike_drugs_never_switched(eng: keywise.Engine, level: str) -> None:
    checked = 0
    for a, b in PAIRS:
        # The drugs typed exactly are never changed to anything.
        for d in (a, b):
            r = eng.correction(f"Patient was started on {d} ", level=level)
            assert r is None or not r[1] or r[0].text.lower() == d, (d, level)
        # No typo of one is ever turned into the other automatically; typos as close to
        # both are never turned into either.
        for typo in one_edit(a) | one_edit(b):
            r = eng.correction(f"Patient was started on {typo} ", level=level)
            checked += 1
            if r is None or not r[1]:
                continue
            out = r[0].text.lower()
            da, db = typo in one_edit(a), typo in one_edit(b)
            if da and db:
                assert out not in DRUGS, (typo, out, level)
            elif da:
                assert out not in DRUGS or out == a, (typo, out, level)
            else:
                assert out not in DRUGS or out == b, (typo, out, level)
    assert checked > 1000


@pytest.mark.parametrize("level", LEVELS)
def test_doses_and_units_never_changed(eng: keywise.Engine, level: str) -> None:
    for text in ["Take 5 mg ", "Take 50 mg ", "Take 5 ", "Take 50 ", "lisinopril 10 mg ", "mg ", "mcg ",
                 "Give 25 mcg ", "Give 0.5 mg ", "Inject 10 units ", "5 mL "]:
        r = eng.correction(text, level=level)
        assert r is None or not r[1], (text, level)
    # "mg" typed from taps that lean towards other keys is still never changed.
    c = centres(eng)
    taps = [(c["m"][0] - 0.4, c["m"][1]), (c["g"][0] + 0.4, c["g"][1])]
    r = eng.correction("Take 5 mg ", taps, level)
    assert r is None or not r[1]


def test_rejected_correction_not_offered_again() -> None:
    e = keywise.Engine.load(neural=False)
    r = e.correction("The pstient ")
    assert r is not None and r[0].text == "patient"
    e.reject("pstient", "patient")
    r2 = e.correction("The pstient ")
    assert r2 is None or r2[0].text != "patient"
    # Other words are unaffected.
    r3 = e.correction("The medicstion ")
    assert r3 is not None and r3[0].text == "medication"


def test_a_rejection_in_incognito_is_not_remembered() -> None:
    e = keywise.Engine.load(neural=False)
    with e.incognito():
        e.reject("pstient", "patient")
    with e.field(incognito=True) as private:
        private.reject("pstient", "patient")
    r = e.correction("The pstient ")
    assert r is not None and r[0].text == "patient"
    e.field().reject("pstient", "patient")  # control: a normal field's rejection is kept
    r = e.correction("The pstient ")
    assert r is None or r[0].text != "patient"


def test_kebbie_coordinates_and_adapter(eng: keywise.Engine) -> None:
    k = kb.KeywiseCorrector()
    # kebbie's en-US keys: q centred at (16, 36) px, a at (32, 108), z at (64, 180); 32 x 72 px keys.
    taps = k.taps([(16, 36), (32, 108), (64, 180), None], "qazp")
    assert taps is not None
    assert taps[:3] == [(0.5, 0.5), (1.0, 1.5), (2.0, 2.5)]
    assert taps[3] == centres(eng)["p"]
    assert k.taps([(16, 36)], "qa") is None
    ks = [(x * 32, y * 72) for x, y in taps_for(eng, "patient")]
    assert k.auto_correct("The ", ks, "patient") == ["patient"]
    # The second tap lands on s, near the a/s border (a fuzzy-typing substitution).
    c = centres(eng)
    pst = [(x * 32, y * 72) for x, y in taps_for(eng, "pstient")]
    pst[1] = ((c["s"][0] - 0.4) * 32, c["s"][1] * 72)
    assert k.auto_correct("The ", pst, "pstient")[0] == "patient"
    assert "patient" in k.auto_complete("The ", ks[:4], "pati")
    nxt = k.predict_next_word("The patient ")
    assert 1 <= len(nxt) <= 3
    assert k.resolve_swipe("", [(1.0, 1.0)]) == []
    # Picklable for kebbie's worker processes (the engine is reloaded lazily).
    import pickle

    k2 = pickle.loads(pickle.dumps(k))
    assert k2.auto_correct("The ", pst, "pstient")[0] == "patient"


def test_sentence_split(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "notes.txt"
    p.write_text("CHIEF COMPLAINT\nKnee pain. He is 5 ft tall. Dr. Smith saw him.\n\n", encoding="utf-8")
    assert kb.sentences(p) == ["CHIEF COMPLAINT", "Knee pain.", "He is 5 ft tall.", "Dr.", "Smith saw him."]
    assert kb.sentences(p, 2) == ["CHIEF COMPLAINT", "Knee pain."]
    ns = argparse.Namespace(file=str(tmp_path / "missing.txt"), lines=0, seed=42, json=False, pack=None)
    assert kb.main(ns) == 2


def test_autocorrect_eval_counts(eng: keywise.Engine, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    lines = ["The patient reports knee pain and swelling.", "She was started on lisinopril for hypertension."]
    clean, _ = ac_eval.evaluate(eng, lines, sigma=0.0, seed=1, level="normal")
    assert clean.words == 14 and clean.tp + clean.fn == 0 and clean.fp == 0
    noisy, lat = ac_eval.evaluate(eng, lines * 20, sigma=0.45, seed=1, level="normal")
    assert noisy.tp + noisy.fn > 20 and noisy.tp > 0 and len(lat) == noisy.words
    assert 0.0 <= noisy.precision <= 1.0 and 0.0 < noisy.recall <= 1.0
    p = tmp_path / "t.txt"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ns = argparse.Namespace(file=str(p), lines=10, seed=0, sigma=0.3, level="normal", json=True, pack=None)
    assert ac_eval.main(ns) == 0
    assert '"precision"' in capsys.readouterr().out
    with pytest.raises(ValueError):
        ac_eval.Typist(eng.layout(), float("nan"), 0)


def _with_decoder(tmp_path, over: dict[str, object]):  # type: ignore[no-untyped-def]
    """The shipped pack with decoder parameters overridden (files linked, manifest edited)."""
    from benches.holdout import decoder_variant

    dst = decoder_variant(keywise.Engine.load(neural=False).path, tmp_path / "pack", over, link=True)
    return keywise.Engine.load(dst, neural=False)


def test_spelling_errors_by_sound_are_corrected_from_taps(eng: keywise.Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Tapped dead on the keys typed: a vowel for another is a spelling, not a slip, so the
    # touch model alone (keys apart) leaves it; the spelling channel fixes it.
    cases = [("Can you ", "cincel", "cancel"), ("The patient ", "discribes", "describes"), ("The ", "eppointment", "appointment")]
    plain = _with_decoder(tmp_path, {"spelling": 7.5})
    for ctx, typed, want in cases:
        r = eng.correction(ctx + typed + " ", taps_for(eng, typed))
        assert r is not None and r[0].text == want and r[1], typed
        r = plain.correction(ctx + typed + " ", taps_for(eng, typed))
        assert r is None or r[0].text != want, typed


def test_lower_case_writer_gets_lower_case(eng: keywise.Engine) -> None:
    # A writer who starts sentences in lower case (or writes "i") is not re-cased: names and
    # sentence starts follow the writer.
    assert texts(eng.suggest("Please book 2 tickets in atl"))[0] == "Atlanta"
    assert texts(eng.suggest("please book 2 tickets in atl"))[0] == "atlanta"
    assert texts(eng.suggest("i want to go. wh"))[0].islower()
    assert texts(eng.suggest("I want to go. wh"))[0][0].isupper()
    r = eng.correction("How about the Cubs at Wrigley Field on march ")
    assert r is not None and r[0].text == "March" and r[1]
    assert eng.correction("how about the cubs at wrigley field on march ") is None
    # A typo is still fixed, in the writer's case.
    r = eng.correction("i want to go to atlnta ")
    assert r is not None and r[0].text == "atlanta"
    # Single letters are initials or list marks, not words to capitalise ("i" is the pronoun).
    assert eng.correction("Confirming your visit to t ") is None
    r = eng.correction("Yes i ")
    assert r is not None and r[0].text == "I"


def test_names_go_on_in_capitals(eng: keywise.Engine) -> None:
    # A word the corpora capitalise after a capitalised word goes on the name; the same word
    # elsewhere keeps the lower case it mostly has there. Headings without their colon do not
    # make the next word a name.
    for text, want in [("There's a game at Dodger stadium ", "Stadium"), ("We walked in Central park ", "Park")]:
        r = eng.correction(text)
        assert r is not None and r[0].text == want and r[1], text
    for text in ["Allan gardens is a nice park ", "Take a walk in the park ", "Respiratory Denies cough "]:
        assert eng.correction(text) is None, text
    assert texts(eng.suggest("Let's meet at Central pa"))[0] == "Park"
    assert texts(eng.suggest("We went to the pa"))[0].islower()
    # Contractions of "I" take their capital at a sentence start like any word.
    r = eng.correction("i'd ")
    assert r is not None and r[0].text == "I'd" and r[1]


def test_space_tapped_for_a_letter_is_corrected_over_the_span(eng: keywise.Engine) -> None:
    # Taps for "ni e" (the space bar hit for "c"): the correction covers the whole span and
    # says so; two words typed with their space are left alone.
    c = centres(eng)

    def taps(word: str, space: tuple[float, float]) -> list[tuple[float, float]]:
        return [space if ch == " " else c[ch.lower()] for ch in word]

    near_c = (c["c"][0], c["c"][1] + 0.55)
    r = eng.correction("A really ni e ", taps("ni e", near_c))
    assert r is not None and r[0].text == "nice" and r[0].replaces == 4 and r[1]
    r = eng.correction("The patient pa tient ", taps("pa tient", c[" "]))
    assert r is not None and r[0].text == "patient" and r[0].replaces == 8
    for text in ["I want to go ", "The end of the ", "She has a cough "]:
        span = " ".join(text.split()[-2:])
        assert eng.correction(text, taps(span, c[" "])) is None, text
    # Taps for the word at the cursor only: a correction of that word, `replaces` 0.
    r = eng.correction("A really nics ", taps("nics", c[" "]))
    assert r is not None and r[0].text == "nice" and r[0].replaces == 0


def test_run_together_words_split_in_context(eng: keywise.Engine) -> None:
    # The second word is scored after the first ("limiting" then "salt"), and a long unknown
    # string is less likely one word than two run together.
    for text, want in [("The patient " + "limitingsalt ", "limiting salt"), ("He had a heartattack ", "heart attack")]:
        w = text.split()[-1]
        r = eng.correction(text, taps_for(eng, w))
        assert r is not None and r[0].text == want and r[1], text


def test_fbeta_is_the_one_formula_of_the_autocorrect_reports() -> None:
    assert ac_eval.fbeta(0.5, 1.0, 0.9) == pytest.approx(1.81 * 0.5 / (0.81 * 0.5 + 1.0))
    assert ac_eval.fbeta(0.0, 0.0) == 0.0
    c = ac_eval.Counts(tp=3, fp=1, fn=2)
    assert c.fbeta(0.9) == ac_eval.fbeta(0.75, 0.6, 0.9)
