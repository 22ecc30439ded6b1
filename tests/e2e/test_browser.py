"""End-to-end: headless Chromium drives the demo page against the real engine.

Tests for engine parts that do not exist yet (taps, autocorrect, store) skip with the reason."""

from __future__ import annotations

import importlib.util
import os
import re
import struct
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
# The 30 ms p99 target is a figure to report, not a pass/fail on a shared machine (timed tests
# flake); set KEYWISE_E2E_P99_MS to enforce a bound. By default only a hang fails.
P99_TARGET_MS = 30.0
P99_BOUND_MS = float(os.environ.get("KEYWISE_E2E_P99_MS", "1000"))


def need(demo: Any, *caps: str) -> None:
    missing = [c for c in caps if not demo.caps.get(c)]
    if missing:
        pytest.skip(f"engine part not available yet: {', '.join(missing)}")


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(p * len(s)))]


def test_page_loads_clean_and_local(demo: Any) -> None:
    demo.type_keys("The patient ")
    assert demo.console_errors == []  # includes CSP violations
    foreign = [u for u in demo.requests if not u.startswith(demo.origin + "/")]
    assert foreign == []
    if importlib.util.find_spec("websockets"):  # else uvicorn has no WebSocket: fetch it is
        # Keystrokes went over the WebSocket, not a fetch each.
        assert not [u for u in demo.requests if u.endswith("/api/suggest")]
    # The token left the address bar for an HttpOnly cookie.
    assert demo.page.url == demo.origin + "/"
    assert demo.page.evaluate("() => document.cookie") == ""
    # The note lives in page memory only.
    assert demo.page.evaluate("() => [localStorage.length, sessionStorage.length]") == [0, 0]


def test_missing_parts_are_shown(demo: Any) -> None:
    banner = demo.page.locator("#degraded")
    expected = {
        "autocorrect": "Autocorrect: not in this engine yet",
        "learn": "Learning: not in this engine yet",
        "store": "Learned words: no encrypted store",
        "engine_incognito": "Incognito is enforced by the demo",
    }
    missing = [phrase for cap, phrase in expected.items() if not demo.caps[cap]]
    if demo.layout_source != "engine":
        missing.append("Keyboard: built-in QWERTY")
    elif not demo.caps["taps"]:
        missing.append("Tap decoding: not in this engine yet")
    if not missing:
        assert banner.is_hidden()
        return
    text = banner.inner_text()
    for phrase in missing:
        assert phrase in text


def test_suggestions_update_every_keystroke(demo: Any) -> None:
    sentence = "The patient denies chest pain. She reports mild nausea"
    before = len(demo.latencies())
    demo.type_keys(sentence)  # waits for a fresh strip after every key
    assert len(demo.latencies()) - before >= len(sentence)
    assert demo.value() == sentence
    assert demo.suggestions(), "no suggestions after typing a sentence"
    assert re.search(r"p99 \d", demo.page.inner_text("#latency"))


NOTE = (
    "Chief complaint: chest pain for two days. The patient denies shortness of breath, fever or "
    "cough. History of hypertension and type 2 diabetes. Blood pressure is stable on current "
    "medication. Heart rate regular, lungs clear. Plan: ECG, troponin, follow up in one week."
)


def test_keystroke_latency_p99(demo: Any, capsys: Any) -> None:
    """Keystroke to updated strip, timed in the page (performance.now() around request + render)."""
    before = len(demo.latencies())
    # At a fast typist's pace (60 ms a key), without the harness polling between keys.
    demo.page.keyboard.type(NOTE, delay=60)
    demo.wait_latencies(before + len(NOTE) - 1)
    lat = demo.latencies()[before:]
    p50, p99 = pct(lat, 0.5), pct(lat, 0.99)
    with capsys.disabled():
        print(f"\n[keywise demo] keystroke -> suggestions in page (request + render), "
              f"n={len(lat)}: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(lat):.1f} ms "
              f"(target p99 < {P99_TARGET_MS:g} ms)")
    assert p99 < P99_BOUND_MS, f"p99 {p99:.1f} ms over the {P99_BOUND_MS:g} ms bound"


def test_accept_a_suggestion(demo: Any) -> None:
    demo.type_keys("The patient denies ch")
    sugg = demo.suggestions()
    assert sugg, "no completion for 'ch'"
    first = demo.page.locator("#strip .sugg").first
    kind = first.get_attribute("data-kind")
    n = len(demo.latencies())
    first.click()
    demo.wait_latencies(n)
    if kind == "next":
        assert demo.value() == f"The patient denies ch {sugg[0]} "
    else:
        assert demo.value() == f"The patient denies {sugg[0]} "
    # The editor kept focus, so typing goes on; punctuation moves before the added space.
    accepted = demo.value()
    demo.type_keys(".")
    assert demo.value() == accepted[:-1] + ". "
    demo.type_keys("x")
    assert demo.value() == accepted[:-1] + ". x"


def test_onscreen_keys_type_letters(demo: Any) -> None:
    box = demo.page.locator('#keys .key[data-label="h"]').bounding_box()
    demo.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    demo.page.locator('#controls [data-ctl="shift"]').click()
    box = demo.page.locator('#keys .key[data-label="r"]').bounding_box()
    demo.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert demo.value() == "hR"
    demo.page.locator('#controls [data-ctl="backspace"]').click()
    assert demo.value() == "h"


def _key_box(demo: Any, label: str) -> dict[str, float]:
    return demo.page.locator(f'#keys .key[data-label="{label}"]').bounding_box()


def _tap(demo: Any, label: str, fx: float = 0.5, fy: float = 0.5) -> None:
    b = _key_box(demo, label)
    demo.page.mouse.click(b["x"] + fx * b["width"], b["y"] + fy * b["height"])


def test_sloppy_taps_are_corrected(demo: Any) -> None:
    need(demo, "layout", "taps", "autocorrect")
    demo.type_keys("The ")
    # "patient" with the 'a' landing on 's', just past the a|s border: the page types "pstient",
    # the decoder gets the coordinates.
    for ch in "patient":
        if ch == "a":
            _tap(demo, "s", fx=0.12)
        else:
            _tap(demo, ch)
    assert demo.value() == "The pstient"
    demo.page.locator('#controls [data-ctl=" "]').click()
    demo.wait_value("The patient ")
    assert demo.page.locator("#notices .notice-correction").is_visible()
    # The decoder got the tap coordinates, in the layout's units.
    keys = {k["label"]: k for k in demo.get("/api/layout")["layout"]["keys"]}
    sent = [m for m in demo.ws_sent if m.get("op") == "autocorrect"][-1]
    assert sent["text"] == "The pstient" and len(sent["taps"]) == 7
    s = keys["s"]
    x, y = sent["taps"][1]
    assert x == pytest.approx(s["x"] - 0.38 * s["w"], abs=0.05 * s["w"])
    assert y == pytest.approx(s["y"], abs=0.05 * s["h"])
    t = keys["t"]
    assert sent["taps"][2] == pytest.approx([t["x"], t["y"]], abs=0.05 * t["w"])


AUTOCORRECT_SAMPLES = [
    ("The pateint", "pateint"),
    ("The patient denies chset", "chset"),
    ("History of hypertnesion", "hypertnesion"),
    ("teh", "teh"),
]


def test_undo_an_autocorrection(demo: Any) -> None:
    need(demo, "autocorrect")
    for text, typed in AUTOCORRECT_SAMPLES:
        r = demo.post("/api/autocorrect", {"text": text})
        if r["action"] == "applied":
            break
    else:
        pytest.fail("the engine autocorrects none of the sample typos")
    replacement = r["suggestion"]["text"]
    demo.type_keys(text)
    demo.page.keyboard.type(" ")
    corrected = text[: -len(typed)] + replacement + " "
    demo.wait_value(corrected)
    chip = demo.page.locator("#notices .notice-correction")
    assert chip.is_visible() and typed in chip.inner_text()
    with demo.page.expect_response(lambda x: x.url.endswith("/api/reject")) as resp:
        chip.get_by_role("button", name="Undo").click()
    assert resp.value.ok
    assert resp.value.request.post_data_json == {"typed": typed, "replacement": replacement}
    assert demo.value() == text + " "
    assert not chip.is_visible()


def test_backspace_reverts_an_autocorrection(demo: Any) -> None:
    need(demo, "autocorrect")
    for text, typed in AUTOCORRECT_SAMPLES:
        if demo.post("/api/autocorrect", {"text": text})["action"] == "applied":
            break
    else:
        pytest.fail("the engine autocorrects none of the sample typos")
    demo.type_keys(text)
    demo.page.keyboard.type(" ")
    demo.page.wait_for_selector("#notices .notice-correction")
    with demo.page.expect_response(lambda x: x.url.endswith("/api/reject")):
        demo.page.keyboard.press("Backspace")
    assert demo.value() == text


GUARD_SAMPLES = [
    "Give 50 mgg",
    "Start insulin 10 unts",
    "Started metforman",
    "Metoprolol 50 mg daily, then metoprolo",
    "Continue lisinoprol",
    "Give hydroxyzine 25 mg, hydralazine",
]


def test_guarded_change_is_offered_not_applied(demo: Any) -> None:
    need(demo, "autocorrect")
    for text in GUARD_SAMPLES:
        r = demo.post("/api/autocorrect", {"text": text})
        if r["action"] == "offered":
            break
    else:
        pytest.skip("no sample drug typo triggers the clinical guard in this engine")
    demo.type_keys(text)
    demo.page.keyboard.type(" ")
    chip = demo.page.locator("#notices .notice-guarded")
    chip.wait_for()
    assert "Offered, not applied" in chip.inner_text()
    assert demo.value() == text + " "  # offered, never applied
    chip.get_by_role("button", name="Apply").click()
    typed = text.split()[-1]
    assert demo.value() == text[: -len(typed)] + r["suggestion"]["text"] + " "


def _words(demo: Any) -> dict[str, Any]:
    return demo.get("/api/words")["words"]


def test_incognito_learns_nothing(demo: Any) -> None:
    need(demo, "learn", "store")
    word = "zorvexin"
    assert word not in _words(demo)
    demo.page.locator("#incognito").check()
    demo.page.wait_for_selector("#incognito-note:not([hidden])")
    learn_calls: list[str] = []

    def on_request(r: Any) -> None:
        if "/api/learn" in r.url:
            learn_calls.append(r.url)

    demo.page.on("request", on_request)
    for _ in range(3):
        demo.type_keys(f"Patient was given {word} today. ")
    demo.page.wait_for_timeout(300)
    assert learn_calls == [] and word not in _words(demo)
    # Control: the same sentences outside incognito are learned, so the check above can fail.
    demo.page.locator("#incognito").uncheck()
    demo.page.wait_for_selector("#incognito-note", state="hidden")
    for _ in range(3):
        demo.type_keys(f"Patient was given {word} today. ")
    demo.page.wait_for_function(
        "w => [...document.querySelectorAll('#word-list .w')].some(e => e.textContent === w)",
        arg=word, timeout=5000,
    )
    assert word in _words(demo)
    demo.post("/api/words/remove", {"word": word})


def test_learned_words_panel(demo: Any, tmp_path: Path) -> None:
    need(demo, "store")
    page = demo.page
    page.fill("#new-word", "tachypnoeic")
    page.click("#add-word button")
    item = page.locator("#word-list li", has_text="tachypnoeic")
    item.wait_for()
    assert "tachypnoeic" in _words(demo)
    with page.expect_download() as dl:
        page.click("#export")
    path = tmp_path / "export.txt"
    dl.value.save_as(path)
    assert "tachypnoeic" in path.read_text().splitlines()
    item.get_by_role("button", name="Remove word").click()
    item.wait_for(state="detached")
    assert "tachypnoeic" not in _words(demo)


def test_forget_all_asks_first(demo: Any) -> None:
    need(demo, "store")
    page = demo.page
    for w in ("tachypnoeic", "quorbexate"):
        page.fill("#new-word", w)
        page.click("#add-word button")
        page.locator("#word-list li", has_text=w).wait_for()
    page.once("dialog", lambda d: d.dismiss())
    page.click("#wipe")
    page.wait_for_timeout(300)
    assert {"tachypnoeic", "quorbexate"} <= set(_words(demo))  # dismissed: nothing forgotten
    page.once("dialog", lambda d: d.accept())
    page.click("#wipe")
    page.locator("#word-list li").first.wait_for(state="detached")
    assert _words(demo) == {}
    assert "No learned words yet" in page.inner_text("#words-hint")


def test_screenshot(demo: Any, tmp_path: Path) -> None:
    """Always renders the page; writes docs/demo.png only with KEYWISE_WRITE_SCREENSHOT=1."""
    demo.type_keys("Chief complaint: chest pain. The pateint denies shortness of breath. "
                   "Metoprolol 50 mgg daily, rep")
    out = REPO / "docs" / "demo.png" if os.environ.get("KEYWISE_WRITE_SCREENSHOT") else (
        tmp_path / "demo.png")
    demo.page.set_viewport_size({"width": 1100, "height": 640})
    demo.page.screenshot(path=str(out), full_page=True)
    head = out.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    assert width >= 800 and height >= 600


def test_launch_file_opens_the_demo(browser: Any, server: Any, tmp_path: Path) -> None:
    from keywise.demo.app import launch_file

    ctx = browser.new_context()
    try:
        page = ctx.new_page()
        page.goto(launch_file(server.url, tmp_path).as_uri())
        page.wait_for_url(f"http://127.0.0.1:{server.port}/", timeout=10000)
        page.wait_for_function("() => window.keywiseDemo && window.keywiseDemo.ready")
    finally:
        ctx.close()


def test_touch_taps_type(browser: Any, server: Any) -> None:
    ctx = browser.new_context(has_touch=True, is_mobile=True, viewport={"width": 400, "height": 800})
    try:
        page = ctx.new_page()
        page.goto(server.url)
        page.wait_for_function("() => window.keywiseDemo && window.keywiseDemo.ready")
        for label in "ok":
            b = page.locator(f'#keys .key[data-label="{label}"]').bounding_box()
            page.touchscreen.tap(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)
        assert page.input_value("#note") == "ok"
    finally:
        ctx.close()
