"""Local clinical note-entry demo: a Starlette app served by uvicorn on 127.0.0.1 only.

Security model (single user, this machine): bind to loopback, accept only our own Host header
(blocks DNS rebinding), require a random per-run token (given once in the URL, then kept in an
HttpOnly SameSite=Strict cookie) so other local users' pages cannot drive the API, JSON-only
POSTs checked for same origin, and a strict CSP. Typed text is never logged: no access log, and
errors are reported by type only.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import json
import logging
import math
import os
import secrets
import socket
import sys
import tempfile
import threading
import time
import webbrowser
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from keywise.keystore import StoreAccessError, default_store_path, open_store
from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

log = logging.getLogger("keywise.demo")

MAX_BODY_BYTES = 64 * 1024
MAX_TEXT_CHARS = 4000  # the page sends only the tail before the cursor; more is never needed
MAX_WORD_CHARS = 64
MAX_TAPS = 64
SUGGESTIONS = 3

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "cache-control": "no-store",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
STATIC_TYPES = {
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}


class DemoError(Exception):
    """A user-facing startup problem (the port is taken...). Message is safe to print. The store's
    own problems (no key, a wrong passphrase) are `keywise.keystore.StoreAccessError`."""


# ---------------------------------------------------------------- keyboard geometry


def builtin_layout() -> dict[str, Any]:
    """QWERTY drawn when the engine has no layout(), in the core's units (rust/core/src/layout.rs:
    a letter key is 1 x 1, rows staggered 0, 0.5, 1.5); x, y are key centres."""
    keys = []
    for row, (letters, offset) in enumerate((("qwertyuiop", 0.0), ("asdfghjkl", 0.5), ("zxcvbnm", 1.5))):
        for i, ch in enumerate(letters):
            keys.append({"label": ch, "x": offset + i + 0.5, "y": row + 0.5, "w": 1.0, "h": 1.0})
    return {"name": "qwerty (built-in)", "keys": keys}


def normalise_layout(raw: Any) -> dict[str, Any]:
    """The letter keys of an engine layout as {label, x, y, w, h}, x and y the key centre.

    Accepts the Rust `Key` field names (`char`, `width`, `height`) or short ones (`label`,
    `w`, `h`). Whitespace keys are dropped: the page draws its own control row."""
    keys_in = raw.get("keys") if isinstance(raw, dict) else raw
    if not isinstance(keys_in, list):
        raise ValueError("layout has no key list")
    keys = []
    for k in keys_in:
        if not isinstance(k, dict):
            continue
        label = k.get("label", k.get("char", k.get("ch")))
        try:
            x, y = float(k["x"]), float(k["y"])
            w = float(k["w"] if "w" in k else k["width"])
            h = float(k["h"] if "h" in k else k["height"])
        except (KeyError, TypeError, ValueError):
            continue
        if (
            isinstance(label, str)
            and len(label) == 1
            and not label.isspace()
            and all(map(math.isfinite, (x, y, w, h)))
            and w > 0
            and h > 0
        ):
            keys.append({"label": label, "x": x, "y": y, "w": w, "h": h})
    if len(keys) < 26:
        raise ValueError("layout has too few keys")
    name = raw.get("name", "engine layout") if isinstance(raw, dict) else "engine layout"
    return {"name": str(name), "keys": keys}


# ---------------------------------------------------------------- engine adapter


def _is_missing(exc: BaseException) -> bool:
    return isinstance(exc, (NotImplementedError, AttributeError, TypeError))


class EngineAdapter:
    """Probes which engine parts exist, so the page can say what is missing instead of faking it."""

    def __init__(self, engine: Any, store: Any | None) -> None:
        self.engine = engine
        self.store = store
        self.incognito = False
        self.layout: dict[str, Any]
        self.layout_source = "builtin"
        self.layout = builtin_layout()
        fn = getattr(engine, "layout", None)
        if callable(fn):
            try:
                self.layout = normalise_layout(fn())
                self.layout_source = "engine"
            except Exception as exc:  # a missing or malformed layout only degrades the keyboard
                log.warning("engine layout unusable (%s); using built-in QWERTY", type(exc).__name__)
        centres = {k["label"].lower(): (k["x"], k["y"]) for k in self.layout["keys"]}
        self.caps = {
            "suggest": True,
            "layout": self.layout_source == "engine",
            "taps": self.layout_source == "engine" and self._probe(
                lambda: engine.suggest("th", k=1, taps=[centres["t"], centres["h"]])
            ),
            "autocorrect": self._probe(lambda: self._verdict("teh", None)),
            "learn": callable(getattr(engine, "learn", None)),
            "reject": callable(getattr(engine, "reject", None)),
            "engine_incognito": callable(getattr(engine, "incognito", None)),
            "store": store is not None,
        }
        # The note is one text field (Engine.field): it leaves out the words it already showed
        # for the word being typed. The incognito switch opens a field of the other kind; closing
        # an incognito field drops the engine's caches of its text once. (An engine without
        # fields gets an incognito block around each call instead, which drops those caches
        # after every keystroke: each one then reads its whole context again.)
        self.field = engine.field() if callable(getattr(engine, "field", None)) else None

    @staticmethod
    def _probe(call: Callable[[], Any]) -> bool:
        try:
            call()
        except Exception as exc:
            if not _is_missing(exc):
                log.warning("engine probe failed (%s)", type(exc).__name__)
            return False
        return True

    def set_incognito(self, on: bool) -> None:
        if self.field is not None and on != self.incognito:
            old, self.field = self.field, self.engine.field(incognito=on)
            old.close()
        self.incognito = on

    @contextlib.contextmanager
    def _scope(self) -> Iterator[None]:
        if self.incognito and self.caps["engine_incognito"] and self.field is None:
            with self.engine.incognito():
                yield
        else:
            yield

    def suggest(self, text: str, taps: list[tuple[float, float]] | None) -> list[dict[str, Any]]:
        with self._scope():
            if taps and self.caps["taps"]:
                out = (self.field or self.engine).suggest(text, k=SUGGESTIONS, taps=taps)
            else:
                out = (self.field or self.engine).suggest(text, k=SUGGESTIONS)
        return [suggestion_json(s) for s in list(out)[:SUGGESTIONS]]

    def _verdict(self, text: str, taps: list[tuple[float, float]] | None) -> dict[str, Any] | None:
        kw: dict[str, Any] = {"taps": taps} if taps else {}
        # `correction` also returns what the guard holds back (apply False, guard "drug"/"dose");
        # `autocorrect` alone only returns what to apply.
        if callable(getattr(self.engine, "correction", None)):
            r = self.engine.correction(text, **kw)
            if r is None:
                return None
            s, apply, guard = r
            out = suggestion_json(s)
            out["guarded"] = out["guarded"] or not apply
            out["guard"] = str(guard).lower() if guard else out["guard"]
            return out
        s = self.engine.autocorrect(text, **kw)
        return None if s is None else suggestion_json(s)

    def autocorrect(self, text: str, taps: list[tuple[float, float]] | None) -> dict[str, Any] | None:
        with self._scope():
            return self._verdict(text, taps if self.caps["taps"] else None)

    def learn(self, text: str) -> bool:
        if self.incognito or not self.caps["learn"]:
            return False
        n = self.engine.learn(text)
        self.save()
        return n is None or bool(n)  # the engine may say how many words it counted

    def reject(self, typed: str, replacement: str) -> bool:
        if self.incognito or not self.caps["reject"]:
            return False
        self.engine.reject(typed, replacement)
        self.save()
        return True

    def save(self) -> None:
        if self.store is not None and callable(getattr(self.store, "save", None)):
            self.store.save()

    def words(self) -> dict[str, Any]:
        if self.store is None:
            return {}
        raw = self.store.words()
        items = raw.items() if isinstance(raw, dict) else ((w, None) for w in raw)
        out: dict[str, Any] = {}
        for w, v in items:
            if isinstance(v, (int, float)) and math.isfinite(v):
                out[str(w)] = v
            else:
                out[str(w)] = getattr(v, "count", None)
        return dict(sorted(out.items(), key=lambda kv: kv[0].casefold()))


def suggestion_json(s: Any) -> dict[str, Any]:
    kind = str(getattr(s, "kind", "completion"))
    score = getattr(s, "score", None)
    score = float(score) if isinstance(score, (int, float)) and math.isfinite(score) else None
    # The core marks a dose/drug change with a guard (and apply = False): offered, never applied.
    guard = getattr(s, "guard", None)
    guard = str(guard).lower() if guard not in (None, "", "none", "None") else None
    guarded = (
        kind == "guarded" or bool(getattr(s, "guarded", False)) or getattr(s, "apply", True) is False
        or guard is not None
    )
    return {"text": str(s.text), "kind": kind, "score": score, "guarded": guarded, "guard": guard}


# ---------------------------------------------------------------- request parsing


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def read_json(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise BadRequest("expected application/json", 415)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise BadRequest("request too large", 413)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        raise BadRequest("body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


def get_text(data: dict[str, Any], name: str, limit: int, *, allow_empty: bool = True) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string")
    if len(value) > limit:
        raise BadRequest(f"'{name}' is longer than {limit} characters")
    if not allow_empty and not value.strip():
        raise BadRequest(f"'{name}' must not be empty")
    if "\x00" in value:
        raise BadRequest(f"'{name}' contains a NUL character")
    return value


def get_taps(data: dict[str, Any]) -> list[tuple[float, float]] | None:
    taps = data.get("taps")
    if taps is None:
        return None
    if not isinstance(taps, list) or len(taps) > MAX_TAPS:
        raise BadRequest(f"'taps' must be a list of at most {MAX_TAPS} [x, y] pairs")
    out = []
    for t in taps:
        if (
            not isinstance(t, list)
            or len(t) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in t)
            or not all(math.isfinite(v) for v in t)
        ):
            raise BadRequest("each tap must be a pair of finite numbers")
        out.append((float(t[0]), float(t[1])))
    return out or None


# ---------------------------------------------------------------- the ASGI app


class GuardMiddleware:
    """Host check, session token, same-origin POSTs and security headers, before any route."""

    def __init__(self, app: ASGIApp, *, token: str, port: int) -> None:
        self.app = app
        self.token = token
        self.cookie = f"keywise_demo_{port}"  # cookies ignore ports: keep two demos apart
        self.hosts = {f"127.0.0.1:{port}".encode(), f"localhost:{port}".encode()}
        self.origins = {b"http://" + h for h in self.hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return  # no lifespan
        headers = dict(scope["headers"])
        if scope["type"] == "websocket":
            # Cross-site WebSocket hijacking: browsers always send Origin on a WebSocket.
            if (
                headers.get(b"host") in self.hosts
                and headers.get(b"origin") in self.origins
                and secrets.compare_digest(
                    HTTPConnection(scope).cookies.get(self.cookie, "").encode(),
                    self.token.encode(),
                )
            ):
                await self.app(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": 1008})
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                hs = list(message.get("headers", []))
                hs += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": hs}
            await send(message)

        def deny(status: int, text: str) -> Response:
            return PlainTextResponse(text, status_code=status)

        if headers.get(b"host") not in self.hosts:
            await deny(421, "unknown host")(scope, receive, send_secured)
            return
        request = Request(scope)
        if scope["path"] == "/" and scope["method"] == "GET" and "t" in request.query_params:
            if not secrets.compare_digest(request.query_params["t"].encode(), self.token.encode()):
                await deny(403, "invalid link: open the address printed in the terminal")(
                    scope, receive, send_secured
                )
                return
            # Move the token from the URL (history, screenshots) into an HttpOnly cookie. The
            # page then reloads itself rather than a 303: a redirect chain started elsewhere
            # (the launch file, a terminal) counts as cross-site, so it would not carry a
            # SameSite=Strict cookie, while this same-origin navigation does.
            resp = HTMLResponse(
                '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,">'
                '<meta http-equiv="refresh" content="0;url=/">'
                '<p><a href="/">Open the keywise demo</a></p>\n'
            )
            resp.set_cookie(self.cookie, self.token, httponly=True, samesite="strict", path="/")
            await resp(scope, receive, send_secured)
            return
        got = request.cookies.get(self.cookie, "")
        if not secrets.compare_digest(got.encode(), self.token.encode()):
            await deny(403, "no session: open the address printed in the terminal")(
                scope, receive, send_secured
            )
            return
        if scope["method"] not in ("GET", "HEAD"):
            site = headers.get(b"sec-fetch-site")
            origin = headers.get(b"origin")
            if (site is not None and site != b"same-origin") or (
                origin is not None and origin not in self.origins
            ):
                await deny(403, "cross-origin request refused")(scope, receive, send_secured)
                return
        await self.app(scope, receive, send_secured)


def _static(name: str) -> bytes:
    return importlib.resources.files("keywise.demo").joinpath("static", name).read_bytes()


def create_app(engine: Any, store: Any | None = None, *, token: str, port: int) -> ASGIApp:
    """The demo ASGI app around an engine (and an optional UserStore)."""
    ea = EngineAdapter(engine, store)
    assets = {name: _static(name) for name in STATIC_TYPES}
    index = _static("index.html")

    def call(fn: Callable[[dict[str, Any]], dict[str, Any]], data: Any) -> tuple[int, dict[str, Any]]:
        """Run one API operation; errors become (status, message) that never quote the text.

        Engine calls take microseconds and are not known to be thread-safe: they run on the
        event loop, which serialises them."""
        try:
            if not isinstance(data, dict):
                raise BadRequest("body must be a JSON object")
            t0 = time.perf_counter()
            result = fn(data)
            result["server_us"] = round((time.perf_counter() - t0) * 1e6)
            return 200, result
        except BadRequest as exc:
            return exc.status, {"error": str(exc)}
        except NotImplementedError:
            return 501, {"error": "not available in this engine yet"}
        except ValueError as exc:  # keywise.InputError is a ValueError
            log.info("input refused (%s)", type(exc).__name__)
            return 400, {"error": "input refused by the engine"}
        except Exception as exc:
            log.error("request failed (%s)", type(exc).__name__)
            return 500, {"error": "internal error"}

    def endpoint(fn: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[Request], Any]:
        async def wrapped(request: Request) -> Response:
            try:
                data = await read_json(request) if request.method == "POST" else {}
            except BadRequest as exc:
                return JSONResponse({"error": str(exc)}, status_code=exc.status)
            status, body = call(fn, data)
            return JSONResponse(body, status_code=status)

        return wrapped

    def status(_: dict[str, Any]) -> dict[str, Any]:
        return {"caps": ea.caps, "incognito": ea.incognito, "layout_source": ea.layout_source}

    def layout(_: dict[str, Any]) -> dict[str, Any]:
        return {"layout": ea.layout, "source": ea.layout_source}

    def suggest(d: dict[str, Any]) -> dict[str, Any]:
        return {"suggestions": ea.suggest(get_text(d, "text", MAX_TEXT_CHARS), get_taps(d))}

    def autocorrect(d: dict[str, Any]) -> dict[str, Any]:
        if not ea.caps["autocorrect"]:
            raise NotImplementedError
        text = get_text(d, "text", MAX_TEXT_CHARS)
        s = ea.autocorrect(text, get_taps(d))
        typed = text.rsplit(None, 1)[-1] if text.strip() else ""
        if s is None or s["text"] == typed:
            action = "none"
        else:
            action = "offered" if s["guarded"] else "applied"
        return {"suggestion": s, "action": action}

    def learn(d: dict[str, Any]) -> dict[str, Any]:
        return {"learned": ea.learn(get_text(d, "text", MAX_TEXT_CHARS))}

    def reject(d: dict[str, Any]) -> dict[str, Any]:
        typed = get_text(d, "typed", MAX_WORD_CHARS, allow_empty=False)
        replacement = get_text(d, "replacement", MAX_WORD_CHARS, allow_empty=False)
        return {"rejected": ea.reject(typed, replacement)}

    def incognito(d: dict[str, Any]) -> dict[str, Any]:
        on = d.get("on")
        if not isinstance(on, bool):
            raise BadRequest("'on' must be true or false")
        ea.set_incognito(on)
        return {"incognito": on}

    def words(_: dict[str, Any]) -> dict[str, Any]:
        return {"words": ea.words(), "available": ea.store is not None}

    def _need_store() -> Any:
        if ea.store is None:
            raise NotImplementedError
        return ea.store

    def words_add(d: dict[str, Any]) -> dict[str, Any]:
        word = get_text(d, "word", MAX_WORD_CHARS, allow_empty=False).strip()
        if any(c.isspace() for c in word):
            raise BadRequest("a word must not contain spaces")
        _need_store().add(word)
        ea.save()
        return {"words": ea.words()}

    def words_remove(d: dict[str, Any]) -> dict[str, Any]:
        _need_store().forget(get_text(d, "word", MAX_WORD_CHARS, allow_empty=False))
        ea.save()
        return {"words": ea.words()}

    def words_wipe(d: dict[str, Any]) -> dict[str, Any]:
        # Everything learned, added and every shortcut: the page asks the user first.
        if d.get("confirm") is not True:
            raise BadRequest("'confirm' must be true")
        _need_store().wipe()
        ea.save()
        return {"words": ea.words()}

    async def words_export(request: Request) -> Response:
        # One word a line, like the core's export, built in memory: the server writes no plain
        # file; the browser saves one only because the user asked for it.
        try:
            body = "".join(f"{w}\n" for w in ea.words())
        except Exception as exc:
            log.error("export failed (%s)", type(exc).__name__)
            return JSONResponse({"error": "internal error"}, status_code=500)
        return Response(
            body,
            media_type="text/plain; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="keywise-words.txt"'},
        )

    ws_ops = {"suggest": suggest, "autocorrect": autocorrect}

    async def keystrokes(ws: WebSocket) -> None:
        """The per-keystroke calls over one socket: a fetch per key costs the browser several
        ms more (headers, cookies, a loader per request) than a message does."""
        await ws.accept()
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                try:
                    msg = json.loads(message.get("text") or "")
                except (ValueError, RecursionError):
                    await ws.send_text(
                        json.dumps({"id": None, "status": 400, "error": "send JSON text frames"})
                    )
                    continue
                mid = msg.get("id") if isinstance(msg, dict) else None
                name = msg.get("op") if isinstance(msg, dict) else None
                op = ws_ops.get(name) if isinstance(name, str) else None
                if op is None:
                    status, body = 400, {"error": "unknown op"}
                else:
                    status, body = call(op, msg)
                mid = mid if isinstance(mid, int) and not isinstance(mid, bool) else None
                await ws.send_text(json.dumps({**body, "id": mid, "status": status}))
        except WebSocketDisconnect:
            pass

    async def page(request: Request) -> Response:
        return Response(index, media_type="text/html; charset=utf-8")

    def asset(name: str) -> Callable[[Request], Any]:
        async def serve(request: Request) -> Response:
            return Response(assets[name], media_type=STATIC_TYPES[name])

        return serve

    routes = [
        Route("/", page, methods=["GET"]),
        *(Route(f"/static/{n}", asset(n), methods=["GET"]) for n in STATIC_TYPES),
        Route("/api/status", endpoint(status), methods=["GET"]),
        Route("/api/layout", endpoint(layout), methods=["GET"]),
        Route("/api/suggest", endpoint(suggest), methods=["POST"]),
        Route("/api/autocorrect", endpoint(autocorrect), methods=["POST"]),
        Route("/api/learn", endpoint(learn), methods=["POST"]),
        Route("/api/reject", endpoint(reject), methods=["POST"]),
        Route("/api/incognito", endpoint(incognito), methods=["POST"]),
        Route("/api/words", endpoint(words), methods=["GET"]),
        Route("/api/words/add", endpoint(words_add), methods=["POST"]),
        Route("/api/words/remove", endpoint(words_remove), methods=["POST"]),
        Route("/api/words/wipe", endpoint(words_wipe), methods=["POST"]),
        Route("/api/words/export", words_export, methods=["GET"]),
        WebSocketRoute("/api/ws", keystrokes),
    ]
    app = Starlette(routes=routes)
    return GuardMiddleware(app, token=token, port=port)


# ---------------------------------------------------------------- server


class DemoServer:
    """Binds 127.0.0.1 at construction (so the URL is known), serves until stop()."""

    def __init__(self, engine: Any, store: Any | None = None, *, port: int | None = None) -> None:
        import uvicorn

        # proto=IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted connections; with proto 0
        # it skips it and Nagle + delayed ACK add ~40 ms to every keep-alive response.
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            self.sock.bind(("127.0.0.1", port or 0))
        except OSError as exc:
            self.sock.close()
            raise DemoError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror})") from None
        self.sock.listen(64)
        self.port: int = self.sock.getsockname()[1]
        self.token = secrets.token_urlsafe(32)
        self.url = f"http://127.0.0.1:{self.port}/?t={self.token}"
        app = create_app(engine, store, token=self.token, port=self.port)
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,  # the request line never carries text, but log nothing per request
            server_header=False,
            proxy_headers=False,
            lifespan="off",
            ws="auto",  # the `websockets` package; without it the page falls back to fetch
            ws_max_size=MAX_BODY_BYTES,
            ws_per_message_deflate=False,
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        """Serve in this thread until interrupted (Ctrl-C) or stop()."""
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.sock.close()

    def start_in_thread(self, timeout: float = 10.0) -> None:
        self._thread = threading.Thread(target=self.run, name="keywise-demo", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise DemoError("demo server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)


def launch_file(url: str, directory: Path) -> Path:
    """A private HTML file that redirects to `url`: the browser is opened on this file, so the
    token never appears on a command line that other local users can read (as Jupyter does)."""
    path = directory / "open-keywise-demo.html"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(
            '<!doctype html><meta charset="utf-8">'
            f'<meta http-equiv="refresh" content="0;url={url}">'
            f'<p><a href="{url}">Open the keywise demo</a></p>\n'
        )
    return path


def main(port: int | None, open_browser: bool, pack: str | None) -> int:
    """`keywise demo`: serve the note editor on 127.0.0.1 until Ctrl-C. Returns an exit code."""
    if port is not None and not 0 <= port <= 65535:
        print("keywise demo: --port must be between 0 and 65535", file=sys.stderr)
        return 2
    try:
        import keywise

        store = open_store(default_store_path())
        engine = keywise.Engine.load(pack, user_store=store)
        server = DemoServer(engine, store, port=port)
    except (DemoError, StoreAccessError) as exc:
        print(f"keywise demo: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        print(f"keywise demo: cannot load the engine ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1
    print(f"keywise demo: {server.url}\n(only this machine can connect; Ctrl-C to stop)", flush=True)
    with tempfile.TemporaryDirectory(prefix="keywise-demo-") as tmp:
        if open_browser:  # the socket already listens, so no race
            if not webbrowser.open(launch_file(server.url, Path(tmp)).as_uri()):
                print("keywise demo: no browser found; open the address above", flush=True)
        try:
            server.run()
        except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C after its graceful shutdown
            pass
        finally:
            store.save()
    return 0
