"""The demo server's guard and API, over real HTTP on 127.0.0.1, without a browser.

A minimal engine double stands in so that the guard is tested even before the engine exists;
it has only `suggest`, so these tests also check that missing parts degrade, not crash."""

from __future__ import annotations

import http.client
import io
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

app_mod = pytest.importorskip("keywise.demo.app")

from keywise import keystore  # noqa: E402

MARKER = "Zqxwv-secret-typed-text"


@dataclass
class _Sugg:
    text: str
    score: float
    kind: str


class SuggestOnlyEngine:
    """Only `suggest`: no layout, taps, autocorrect, learning or incognito."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def suggest(self, text: str, k: int = 3) -> list[_Sugg]:
        self.seen.append(text)
        if "boom" in text:
            raise RuntimeError(f"engine failed on {text!r}")  # a careless engine message
        if "refuse" in text:
            raise ValueError(f"bad input {text!r}")
        return [_Sugg("chest", -1.0, "completion"), _Sugg("nan", float("nan"), "next")][:k]


class DictStore:
    def __init__(self) -> None:
        self.w: dict[str, int] = {}
        self.saves = 0

    def words(self) -> dict[str, int]:
        return dict(self.w)

    def add(self, word: str) -> None:
        self.w[word] = self.w.get(word, 0) + 1

    def forget(self, word: str) -> None:
        self.w.pop(word, None)

    def wipe(self) -> None:
        self.w.clear()

    def save(self) -> None:
        self.saves += 1


class Client:
    def __init__(self, srv: Any) -> None:
        self.srv = srv
        self.host = f"127.0.0.1:{srv.port}"
        self.cookie = ""

    def req(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=10)
        hs = {"Host": self.host}
        if self.cookie:
            hs["Cookie"] = self.cookie
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            hs["Content-Type"] = "application/json"
        hs.update(headers or {})
        conn.request(method, path, body=data, headers=hs)
        r = conn.getresponse()
        out = (r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        conn.close()
        return out

    def login(self) -> None:
        status, hs, body = self.req("GET", f"/?t={self.srv.token}")
        assert status == 200 and b'content="0;url=/"' in body
        self.cookie = hs["set-cookie"].split(";")[0]

    def json(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        status, _, data = self.req(method, path, body)
        return status, json.loads(data)


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[Any, SuggestOnlyEngine, DictStore]]:
    engine, store = SuggestOnlyEngine(), DictStore()
    srv = app_mod.DemoServer(engine, store)
    srv.start_in_thread()
    yield srv, engine, store
    srv.stop()


@pytest.fixture()
def client(live: Any) -> Client:
    c = Client(live[0])
    c.login()
    return c


def test_binds_loopback_only(live: Any) -> None:
    srv = live[0]
    assert srv.sock.getsockname()[0] == "127.0.0.1"
    assert srv.url.startswith(f"http://127.0.0.1:{srv.port}/?t=")
    assert len(srv.token) >= 40


def test_keepalive_responses_are_not_delayed(client: Client) -> None:
    # Regression: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms to each keep-alive reply.
    conn = http.client.HTTPConnection("127.0.0.1", client.srv.port, timeout=10)
    hs = {"Host": client.host, "Cookie": client.cookie, "Content-Type": "application/json"}
    times = []
    for _ in range(15):
        t0 = time.perf_counter()
        conn.request("POST", "/api/suggest", body=b'{"text": "The pa"}', headers=hs)
        r = conn.getresponse()
        r.read()
        times.append(time.perf_counter() - t0)
        assert r.status == 200
    conn.close()
    assert sorted(times)[len(times) // 2] < 0.035


def test_login_sets_strict_httponly_cookie(live: Any) -> None:
    c = Client(live[0])
    status, hs, body = c.req("GET", f"/?t={live[0].token}")
    assert status == 200 and live[0].token.encode() not in body
    cookie = hs["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert f"keywise_demo_{live[0].port}=" in cookie


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/api/status", "/api/words"])
def test_no_session_no_answer(live: Any, path: str) -> None:
    status, _, body = Client(live[0]).req("GET", path)
    assert status == 403
    assert b"printed in the terminal" in body


def test_wrong_token_refused(live: Any) -> None:
    c = Client(live[0])
    assert c.req("GET", "/?t=not-the-token")[0] == 403
    c.cookie = f"keywise_demo_{live[0].port}=forged"
    assert c.req("GET", "/api/status")[0] == 403


@pytest.mark.parametrize("host", ["evil.example", f"evil.example:{0}", "127.0.0.2", ""])
def test_foreign_host_header_refused(client: Client, host: str) -> None:
    # DNS rebinding: a foreign name resolving to 127.0.0.1 must get nothing.
    assert client.req("GET", "/api/status", headers={"Host": host})[0] == 421


def test_page_and_headers(client: Client) -> None:
    status, hs, body = client.req("GET", "/")
    assert status == 200 and b"<textarea" in body
    csp = hs["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe" not in csp
    assert hs["x-content-type-options"] == "nosniff"
    assert hs["referrer-policy"] == "no-referrer"
    assert hs["cache-control"] == "no-store"
    assert "server" not in hs
    for asset, ctype in (("app.js", "text/javascript"), ("style.css", "text/css")):
        s, h, b = client.req("GET", f"/static/{asset}")
        assert s == 200 and h["content-type"].startswith(ctype) and b


def test_assets_reference_nothing_external() -> None:
    import importlib.resources
    import re

    static = importlib.resources.files("keywise.demo").joinpath("static")
    for name in ("index.html", "app.js", "style.css"):
        text = static.joinpath(name).read_text()
        assert not re.search(r"https?://|//[a-z0-9-]+\.[a-z]{2,}/|@import|url\(", text), name


@pytest.mark.parametrize("path", ["/nope", "/static/../app.py", "/static/index.html", "/docs", "/api"])
def test_only_own_page_and_api(client: Client, path: str) -> None:
    assert client.req("GET", path)[0] == 404


def test_cross_origin_post_refused(client: Client) -> None:
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Origin": "null"}):
        status, _, _ = client.req("POST", "/api/suggest", {"text": "a"}, headers=headers)
        assert status == 403, headers
    ok = {"Origin": client.srv.url.split("/?")[0], "Sec-Fetch-Site": "same-origin"}
    assert client.req("POST", "/api/suggest", {"text": "a"}, headers=ok)[0] == 200


def test_suggest_roundtrip(client: Client, live: Any) -> None:
    status, data = client.json("POST", "/api/suggest", {"text": "The patient denies ch"})
    assert status == 200
    assert data["suggestions"][0] == {"text": "chest", "kind": "completion", "score": -1.0,
                                      "guarded": False, "guard": None}
    assert data["suggestions"][1]["score"] is None  # NaN never reaches JSON
    assert live[1].seen[-1] == "The patient denies ch"
    assert isinstance(data["server_us"], int)


@pytest.mark.parametrize(
    "body,status",
    [
        ({"text": 5}, 400),
        ({}, 400),
        ({"text": "a", "taps": "x"}, 400),
        ({"text": "a", "taps": [[1, "2"]]}, 400),
        ({"text": "a", "taps": [[1, 2, 3]]}, 400),
        ({"text": "a", "taps": [[True, 2]]}, 400),
        ({"text": "a", "taps": [[1, 2]] * 65}, 400),
        ({"text": "a\x00b"}, 400),
        ({"text": "x" * 4001}, 400),
        ([1, 2], 400),
    ],
)
def test_bad_input_is_a_clear_error(client: Client, body: Any, status: int) -> None:
    got, data = client.json("POST", "/api/suggest", body)
    assert got == status and data["error"]


def test_transport_errors(client: Client) -> None:
    assert client.req("POST", "/api/suggest", raw=b'{"text": "a"}',
                      headers={"Content-Type": "text/plain"})[0] == 415
    assert client.req("POST", "/api/suggest", raw=b"{nope",
                      headers={"Content-Type": "application/json"})[0] == 400
    assert client.req("POST", "/api/suggest", raw=b"\xff\xfe",
                      headers={"Content-Type": "application/json"})[0] == 400
    assert client.req("POST", "/api/suggest", raw=b"[" * 30000 + b"]" * 30000,
                      headers={"Content-Type": "application/json"})[0] == 400
    big = b'{"text": "' + b"a" * 70000 + b'"}'
    assert client.req("POST", "/api/suggest", raw=big,
                      headers={"Content-Type": "application/json"})[0] == 413
    assert client.req("GET", "/api/suggest")[0] == 405


def test_errors_and_logs_never_echo_text(
    client: Client, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    bodies = []
    for text in (f"boom {MARKER}", f"refuse {MARKER}", MARKER * 400, f"fine {MARKER}"):
        _, _, body = client.req("POST", "/api/suggest", {"text": text})
        bodies.append(body)
    client.req("POST", "/api/words/add", {"word": f"two {MARKER}"})
    assert json.loads(bodies[0]) == {"error": "internal error"}
    assert json.loads(bodies[1]) == {"error": "input refused by the engine"}
    out, err = capfd.readouterr()
    for where in (*bodies, caplog.text.encode(), out.encode(), err.encode()):
        assert MARKER.encode() not in where


def test_missing_engine_parts_degrade(client: Client) -> None:
    status, data = client.json("GET", "/api/status")
    assert status == 200
    caps = data["caps"]
    assert caps["suggest"] and caps["store"]
    assert not any(caps[k] for k in ("layout", "taps", "autocorrect", "learn", "reject",
                                     "engine_incognito"))
    _, lay = client.json("GET", "/api/layout")
    assert lay["source"] == "builtin"
    assert sorted(k["label"] for k in lay["layout"]["keys"]) == sorted("abcdefghijklmnopqrstuvwxyz")
    assert client.json("POST", "/api/autocorrect", {"text": "teh"}) == (
        501, {"error": "not available in this engine yet"})
    assert client.json("POST", "/api/learn", {"text": "x."})[1]["learned"] is False
    assert client.json("POST", "/api/reject", {"typed": "a", "replacement": "b"})[1]["rejected"] is False


def test_words_add_remove_export(client: Client, live: Any) -> None:
    store = live[2]
    saves = store.saves
    s, d = client.json("POST", "/api/words/add", {"word": "  tachy  "})
    assert s == 200 and d["words"] == {"tachy": 1} and store.saves == saves + 1
    assert client.json("POST", "/api/words/add", {"word": "two words"})[0] == 400
    assert client.json("POST", "/api/words/add", {"word": "   "})[0] == 400
    status, hs, body = client.req("GET", "/api/words/export")
    assert status == 200 and "attachment" in hs["content-disposition"]
    assert hs["content-type"].startswith("text/plain") and body == b"tachy\n"
    s, d = client.json("POST", "/api/words/remove", {"word": "tachy"})
    assert s == 200 and d["words"] == {}


def test_words_wipe_needs_confirmation(client: Client, live: Any) -> None:
    store = live[2]
    client.json("POST", "/api/words/add", {"word": "tachy"})
    assert client.json("POST", "/api/words/wipe", {})[0] == 400
    assert client.json("POST", "/api/words/wipe", {"confirm": "yes"})[0] == 400
    assert client.json("GET", "/api/words")[1]["words"] == {"tachy": 1}
    saves = store.saves
    s, d = client.json("POST", "/api/words/wipe", {"confirm": True})
    assert s == 200 and d["words"] == {} and store.saves == saves + 1


def test_incognito_flag(client: Client, live: Any) -> None:
    assert client.json("POST", "/api/incognito", {"on": "yes"})[0] == 400
    assert client.json("POST", "/api/incognito", {"on": True})[1]["incognito"] is True
    assert client.json("GET", "/api/status")[1]["incognito"] is True
    assert client.json("POST", "/api/incognito", {"on": False})[1]["incognito"] is False


def test_an_engine_without_fields_gets_an_incognito_block_per_call() -> None:
    import contextlib

    calls: list[str] = []

    class IncognitoEngine(SuggestOnlyEngine):
        @contextlib.contextmanager
        def incognito(self) -> Iterator[None]:
            calls.append("enter")
            yield
            calls.append("exit")

    ea = app_mod.EngineAdapter(IncognitoEngine(), None)
    ea.set_incognito(True)
    for text in ("The pat", "The pati", "The patie"):
        ea.suggest(text, None)
    ea.set_incognito(False)
    ea.suggest("The patient ", None)
    assert calls == ["enter", "exit"] * 3


def test_the_note_is_one_text_field_and_incognito_opens_a_private_one(tiny_pack: Any, tmp_path: Any) -> None:
    import keywise

    store = keywise.UserStore.open(tmp_path / "u.kws", key=bytes(32))
    eng = keywise.Engine.load(tiny_pack, neural=False, user_store=store)
    ea = app_mod.EngineAdapter(eng, store)
    calls: list[str] = []
    first = {s["text"] for s in ea.suggest("The patient d", None)}
    again = {s["text"] for s in ea.suggest("The patient di", None)}
    assert first and not first & again  # the field left out what it showed
    assert first & {s.text for s in eng.suggest("The patient di")}  # stateless would repeat it
    ea.set_incognito(True)
    assert ea.field.incognito
    ea.suggest("The patient reports", None)
    assert ea.learn("Quenzaril Quenzaril Quenzaril.") is False and not store.knows("quenzaril")
    private = ea.field
    private.close = lambda: calls.append("closed")  # type: ignore[method-assign]
    ea.set_incognito(False)
    assert calls == ["closed"]  # the incognito field's close drops the engine's caches
    assert not ea.field.incognito
    assert ea.learn("Quenzaril Quenzaril Quenzaril.") and store.knows("quenzaril")


def test_layout_normalisation() -> None:
    raw = {"name": "qwerty", "keys": [
        {"label": c, "x": i * 10.0, "y": 0, "w": 10, "h": 15} for i, c in enumerate("qwertyuiopasdfghjklzxcvbnm")
    ] + [{"label": "space", "x": 0, "y": 50, "w": 50, "h": 15}, {"label": "'", "x": "bad"},
         {"char": " ", "x": 2.5, "y": 3, "width": 5, "height": 1},
         {"char": "'", "x": 9.5, "y": 2, "width": 0, "height": 1},
         {"char": "-", "x": 9.5, "y": 2.5, "width": 1, "height": 1}]}
    lay = app_mod.normalise_layout(raw)
    assert len(lay["keys"]) == 27 and lay["name"] == "qwerty"
    assert lay["keys"][-1] == {"label": "-", "x": 9.5, "y": 2.5, "w": 1.0, "h": 1.0}
    with pytest.raises(ValueError):
        app_mod.normalise_layout({"keys": raw["keys"][:5]})
    with pytest.raises(ValueError):
        app_mod.normalise_layout({"nokeys": 1})


def test_main_rejects_bad_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert app_mod.main(port=70000, open_browser=False, pack=None) == 2
    assert "--port" in capsys.readouterr().err


def test_passphrase_needs_env_or_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEYWISE_PASSPHRASE", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO())  # not a terminal
    with pytest.raises(keystore.StoreAccessError, match="KEYWISE_PASSPHRASE"):
        keystore.passphrase(new_store=True)
    monkeypatch.setenv("KEYWISE_PASSPHRASE", "from env")
    assert keystore.passphrase(new_store=True) == "from env"


def test_keyring_skipped_when_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYWISE_NO_KEYRING", "1")
    assert keystore.keyring_key() is None


def test_port_in_use_is_a_clear_error(live: Any) -> None:
    with pytest.raises(app_mod.DemoError, match="cannot listen"):
        app_mod.DemoServer(SuggestOnlyEngine(), None, port=live[0].port)


def _real_engine_loads() -> bool:
    try:
        import keywise

        keywise.Engine.load(neural=False)
    except Exception:
        return False
    return True


def test_main_serves_until_interrupted(tmp_path: Any) -> None:
    """`main()` in a child process: prints the address, serves the page, exits 0 on Ctrl-C."""
    import os
    import signal
    import subprocess
    import sys

    if not _real_engine_loads():
        pytest.skip("keywise.Engine with its default pack is not built yet")
    env = {**os.environ, "KEYWISE_NO_KEYRING": "1", "KEYWISE_PASSPHRASE": "test passphrase",
           "KEYWISE_USER_STORE": str(tmp_path / "store.kws"), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from keywise.demo.app import main; sys.exit(main(None, False, None))"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = ""
        deadline = time.monotonic() + 60
        while "http://127.0.0.1:" not in line and time.monotonic() < deadline:
            assert proc.stdout is not None and proc.stderr is not None
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                pytest.fail(f"demo exited early: {proc.stderr.read()[-2000:]}")
        url = line.split()[-1]
        port = int(url.split(":")[2].split("/")[0])
        srv = type("S", (), {"port": port, "token": url.split("t=")[1]})()
        c = Client(srv)
        c.login()
        assert c.req("GET", "/")[0] == 200
        status, data = c.json("POST", "/api/suggest", {"text": f"The patient {MARKER} ch"})
        assert status == 200 and isinstance(data["suggestions"], list)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err[-2000:]
    assert MARKER not in out + err


# ------------------------------------------------------------------ the keystroke WebSocket

ws_client = pytest.importorskip("websockets.sync.client", reason="pip install websockets")


def _ws(client: Client, origin: str | None = None, cookie: str | None = None) -> Any:
    headers = {}
    if cookie is None:
        cookie = client.cookie
    if cookie:
        headers["Cookie"] = cookie
    return ws_client.connect(
        f"ws://127.0.0.1:{client.srv.port}/api/ws",
        origin=origin if origin is not None else f"http://{client.host}",
        additional_headers=headers, open_timeout=5,
    )


def test_ws_keystroke_calls(client: Client) -> None:
    with _ws(client) as ws:
        ws.send(json.dumps({"id": 1, "op": "suggest", "text": "The patient denies ch"}))
        r = json.loads(ws.recv(timeout=5))
        assert r["id"] == 1 and r["status"] == 200 and r["suggestions"][0]["text"] == "chest"
        ws.send(json.dumps({"id": 2, "op": "autocorrect", "text": "teh"}))
        assert json.loads(ws.recv(timeout=5))["status"] == 501
        for bad in ("{nope", json.dumps({"id": 3, "op": "learn", "text": "x"}),
                    json.dumps({"id": 4, "op": "suggest", "text": 5}), json.dumps([1]),
                    json.dumps({"id": 6, "op": ["suggest"]}), json.dumps({"id": 7, "op": {}})):
            ws.send(bad)
            assert json.loads(ws.recv(timeout=5))["status"] == 400
        ws.send(b"\x00binary")
        assert json.loads(ws.recv(timeout=5))["status"] == 400
        ws.send("[" * 30000 + "]" * 30000)
        assert json.loads(ws.recv(timeout=5))["status"] == 400
        ws.send(json.dumps({"id": 5, "op": "suggest", "text": f"boom {MARKER}"}))
        r = json.loads(ws.recv(timeout=5))
        assert r == {"error": "internal error", "id": 5, "status": 500}


@pytest.mark.parametrize("origin,cookie", [
    ("http://evil.example", None),  # cross-site WebSocket hijacking
    (None, ""),  # no session
    (None, "keywise_demo_1=forged"),
])
def test_ws_refused_without_session_or_origin(client: Client, origin: Any, cookie: Any) -> None:
    if cookie == "keywise_demo_1=forged":
        cookie = f"keywise_demo_{client.srv.port}=forged"
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus, match="403"), _ws(client, origin=origin, cookie=cookie) as ws:
        ws.recv(timeout=2)


def test_ws_oversized_message_closes(client: Client) -> None:
    with _ws(client) as ws:
        ws.send(json.dumps({"id": 1, "op": "suggest", "text": "a" * 70000}))
        from websockets.exceptions import ConnectionClosedError

        with pytest.raises(ConnectionClosedError, match="1009"):  # message too big
            ws.recv(timeout=5)


@pytest.mark.parametrize("attrs,guarded,guard", [
    ({"kind": "correction"}, False, None),
    ({"kind": "guarded"}, True, None),
    ({"kind": "correction", "apply": False}, True, None),
    ({"kind": "correction", "guard": "Drug"}, True, "drug"),
    ({"kind": "correction", "guard": "none", "apply": True}, False, None),
])
def test_guard_shapes(attrs: dict[str, Any], guarded: bool, guard: Any) -> None:
    s = type("S", (), {"text": "x", "score": 0.5, **attrs})()
    j = app_mod.suggestion_json(s)
    assert j["guarded"] is guarded and j["guard"] == guard


def test_launch_file_is_private(tmp_path: Any) -> None:
    import stat

    url = "http://127.0.0.1:1234/?t=abc_DEF-123"
    path = app_mod.launch_file(url, tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f'content="0;url={url}"' in path.read_text()
    with pytest.raises(FileExistsError):  # never follows a planted file or link
        app_mod.launch_file(url, tmp_path)


def test_keyring_key_created_once_and_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    keyring = pytest.importorskip("keyring")
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.items: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.items.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.items[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.items.pop((service, username), None)

    class PlaintextKeyring(MemoryKeyring):
        pass

    monkeypatch.delenv("KEYWISE_NO_KEYRING", raising=False)
    old = keyring.get_keyring()
    try:
        mem = MemoryKeyring()
        keyring.set_keyring(mem)
        k1 = keystore.keyring_key()
        assert isinstance(k1, bytes) and len(k1) == 32
        assert keystore.keyring_key() == k1
        assert list(mem.items) == [("keywise", "user-store-key")]
        mem.items[("keywise", "user-store-key")] = "not hex"
        assert keystore.keyring_key() is None  # a damaged entry: fall back, never crash
        keyring.set_keyring(PlaintextKeyring())
        assert keystore.keyring_key() is None  # a key in a plain file protects nothing
    finally:
        keyring.set_keyring(old)


def test_correction_verdicts_through_the_api() -> None:
    """An engine with `correction` (replacement, apply, guard): applied, offered or nothing."""
    verdicts = {
        "The pateint": (_Sugg("patient", 0.9, "correction"), True, ""),
        "Started metforman": (_Sugg("metformin", 0.8, "correction"), False, "drug"),
        "Give 50 mgg": (_Sugg("mg", 0.7, "correction"), False, "dose"),
        "The patient": None,
    }

    class CorrectingEngine(SuggestOnlyEngine):
        def correction(self, text: str, taps: Any = None) -> Any:
            return verdicts.get(text.rstrip(), None)

    srv = app_mod.DemoServer(CorrectingEngine(), None)
    srv.start_in_thread()
    try:
        c = Client(srv)
        c.login()
        assert c.json("GET", "/api/status")[1]["caps"]["autocorrect"] is True

        def ac(text: str) -> Any:
            status, body = c.json("POST", "/api/autocorrect", {"text": text})
            assert status == 200
            return body

        r = ac("The pateint")
        assert r["action"] == "applied" and r["suggestion"]["text"] == "patient"
        r = ac("Started metforman")
        assert r["action"] == "offered" and r["suggestion"]["guard"] == "drug"
        assert ac("Give 50 mgg")["suggestion"]["guard"] == "dose"
        r = ac("The patient")
        assert r["suggestion"] is None and r["action"] == "none"
    finally:
        srv.stop()


def test_wrong_passphrase_is_a_clear_error(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    keywise = pytest.importorskip("keywise")
    if not hasattr(keywise, "UserStore"):
        pytest.skip("keywise.UserStore is not built yet")
    path = tmp_path / "store.kws"
    monkeypatch.setenv("KEYWISE_NO_KEYRING", "1")
    monkeypatch.setenv("KEYWISE_PASSPHRASE", "the right one")
    store = keystore.open_store(path)
    store.add("tachypnoeic")
    store.save()
    store.close()
    assert "tachypnoeic" in keystore.open_store(path).words()
    assert b"tachypnoeic" not in path.read_bytes()  # encrypted at rest
    monkeypatch.setenv("KEYWISE_PASSPHRASE", "a wrong one")
    with pytest.raises(keystore.StoreAccessError, match="wrong key or passphrase"):
        keystore.open_store(path)
