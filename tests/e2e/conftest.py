"""Fixtures for the demo's browser tests: the server on a free 127.0.0.1 port in a child process
(as `keywise demo` runs), and headless Chromium driven by Playwright. Everything skips with a
reason when a piece is missing (starlette/uvicorn, the engine, playwright, chromium)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="demo needs starlette (pip install starlette)")
pytest.importorskip("uvicorn", reason="demo needs uvicorn (pip install uvicorn)")
pytest.importorskip("keywise.demo.app")


def chromium_path() -> str | None:
    for cand in (os.environ.get("KEYWISE_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


class ChildServer:
    """The demo server in a child process (tests/e2e/serve_child.py)."""

    def __init__(self, tmp: Path) -> None:
        self.log = tmp / "server.log"
        self._log = self.log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("serve_child.py")), str(tmp)],
            stdout=subprocess.PIPE, stderr=self._log, text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()  # blocks until listening, skipped or dead
        if line.startswith("SKIP "):
            self.stop()
            pytest.skip(line[5:])
        if not line.startswith("URL "):
            self.stop()
            pytest.fail(f"demo server did not start: {self.log.read_text()[-2000:]}")
        self.url = line[4:]
        self.port = int(self.url.split(":")[2].split("/")[0])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildServer]:
    """The real engine (default pack) with a fresh encrypted store in a temp dir. With
    KEYWISE_E2E_ENGINE=module:factory the child serves another engine while the page is being
    developed (the factory returns (engine, store)); the default is always the real one."""
    srv = ChildServer(tmp_path_factory.mktemp("demo"))
    yield srv
    srv.stop()
    assert srv.proc.returncode == 0, srv.log.read_text()[-2000:]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    exe = chromium_path()
    if exe is None:
        pytest.skip("no chromium: apt-get install -y chromium (or set KEYWISE_CHROMIUM)")
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=args)
        yield b
        b.close()


class PageHarness:
    """One fresh browser context on the demo, plus what the page logged and fetched."""

    def __init__(self, browser: Any, server: ChildServer) -> None:
        self.server = server
        self.origin = f"http://127.0.0.1:{server.port}"
        self.context = browser.new_context(viewport={"width": 1100, "height": 860})
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.requests: list[str] = []

        def on_console(m: Any) -> None:
            if m.type == "error":  # includes CSP violations
                self.console_errors.append(m.text)

        def on_response(r: Any) -> None:
            if r.status >= 400:
                self.console_errors.append(f"HTTP {r.status} {r.request.method} {r.url}")

        self.page.on("console", on_console)
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("response", on_response)
        self.ws_sent: list[Any] = []  # JSON messages the page sent over the keystroke socket
        self.page.on("websocket", lambda ws: ws.on(
            "framesent", lambda payload: self.ws_sent.append(json.loads(payload))))
        self.page.goto(server.url)
        self.page.wait_for_function("() => window.keywiseDemo && window.keywiseDemo.ready", timeout=10000)
        self.post("/api/incognito", {"on": False})
        self.caps: dict[str, bool] = self.get("/api/status")["caps"]
        self.layout_source: str = self.get("/api/status")["layout_source"]

    def get(self, path: str) -> Any:
        r = self.page.request.get(self.origin + path)
        assert r.ok, (path, r.status)
        return r.json()

    def post(self, path: str, body: Any) -> Any:
        r = self.page.request.post(self.origin + path, data=body)
        assert r.ok, (path, r.status)
        return r.json()

    def wait_latencies(self, n: int) -> None:
        """Until the page has rendered more than n suggestion updates."""
        self.page.wait_for_function(
            "n => window.keywiseDemo.latencies.length > n", arg=n, timeout=10000
        )

    def wait_value(self, value: str) -> None:
        self.page.wait_for_function(
            "v => document.getElementById('note').value === v", arg=value, timeout=10000
        )

    def latencies(self) -> list[float]:
        return self.page.evaluate("() => window.keywiseDemo.latencies.slice()")

    def value(self) -> str:
        return self.page.input_value("#note")

    def suggestions(self) -> list[str]:
        return [t for t in self.page.locator("#strip .sugg").all_inner_texts() if t]

    def type_keys(self, text: str) -> None:
        """Type on the physical keyboard, waiting for the page to show fresh suggestions each key."""
        for ch in text:
            n = len(self.latencies())
            self.page.keyboard.type(ch)
            self.wait_latencies(n)

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def demo(browser: Any, server: ChildServer) -> Iterator[PageHarness]:
    h = PageHarness(browser, server)
    yield h
    h.close()
