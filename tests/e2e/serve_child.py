"""Runs the demo server in its own process for the browser tests, as `keywise demo` does, so
the test harness never shares a GIL with it. Prints `URL <address>` once listening, or
`SKIP <reason>` and exits 3 when the engine is not built yet. Stops on SIGINT/SIGTERM."""

from __future__ import annotations

import importlib
import inspect
import os
import signal
import sys
from pathlib import Path
from typing import Any

PASSPHRASE = "e2e test passphrase, not a secret"


def skip(reason: str) -> None:
    print(f"SKIP {reason}", flush=True)
    sys.exit(3)


def build(store_dir: Path) -> tuple[Any, Any]:
    spec = os.environ.get("KEYWISE_E2E_ENGINE")
    if spec:  # another engine while developing the page: module:factory -> (engine, store)
        mod, _, fn = spec.partition(":")
        return getattr(importlib.import_module(mod), fn)()
    try:
        import keywise
    except ImportError as exc:
        skip(f"keywise is not importable ({exc.name} missing)")
    if not hasattr(keywise, "Engine"):
        skip("keywise.Engine is not built yet")
    store = None
    if hasattr(keywise, "UserStore"):
        store = keywise.UserStore.open(str(store_dir / "user-store.kws"), passphrase=PASSPHRASE)
    try:
        if store is not None and "user_store" in inspect.signature(keywise.Engine.load).parameters:
            return keywise.Engine.load(user_store=store), store
        return keywise.Engine.load(), store
    except keywise.PackError as exc:
        skip(f"the default model pack cannot be loaded ({type(exc).__name__})")
    raise AssertionError("unreachable")


def main() -> None:
    try:
        from keywise.demo.app import DemoServer
    except ImportError as exc:
        skip(f"the demo cannot be imported ({exc.name} missing)")
    engine, store = build(Path(sys.argv[1]))
    srv = DemoServer(engine, store)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print(f"URL {srv.url}", flush=True)
    try:
        srv.run()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
