"""Where the user's word store lives and how its key is found, for `keywise demo` and
`keywise words`: the OS keyring (a random 32-byte key, made on first use), else a passphrase
(KEYWISE_PASSPHRASE, or typed at a terminal; Argon2id turns it into the key). Nothing here
reads or prints the store's contents."""

from __future__ import annotations

import getpass
import logging
import os
import secrets
import sys
from pathlib import Path
from typing import Any

KEYRING_SERVICE = "keywise"
KEYRING_USER = "user-store-key"

log = logging.getLogger("keywise.keystore")


class StoreAccessError(Exception):
    """The store cannot be opened (no key, passphrases differ, wrong key...). The message says
    why and what to do, and is safe to print."""


def default_store_path() -> Path:
    """$KEYWISE_USER_STORE, else $XDG_DATA_HOME/keywise/user-store.kws (~/.local/share)."""
    if env := os.environ.get("KEYWISE_USER_STORE"):
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "keywise" / "user-store.kws"


def keyring_key() -> bytes | None:
    """The store key from the OS keyring, created on first use; None when no real keyring."""
    if os.environ.get("KEYWISE_NO_KEYRING"):
        return None
    try:
        import keyring
        import keyring.errors
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
        # A plaintext or null backend would keep the key beside the data: not a keyring.
        if getattr(backend, "priority", 0) <= 0 or "plaintext" in type(backend).__name__.lower():
            return None
        stored = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
        if stored is None:
            key = secrets.token_bytes(32)
            keyring.set_password(KEYRING_SERVICE, KEYRING_USER, key.hex())
            return key
        key = bytes.fromhex(stored)
        return key if len(key) == 32 else None
    except (keyring.errors.KeyringError, ValueError, OSError) as exc:
        log.warning("keyring unavailable (%s); falling back to a passphrase", type(exc).__name__)
        return None


def passphrase(new_store: bool) -> str:
    """$KEYWISE_PASSPHRASE, else typed at the terminal (twice for a new store)."""
    if env := os.environ.get("KEYWISE_PASSPHRASE"):
        return env
    if not sys.stdin.isatty():
        raise StoreAccessError(
            "no OS keyring: set KEYWISE_PASSPHRASE or run in a terminal to type a passphrase"
        )
    pw = getpass.getpass("Passphrase for your keywise word store: ")
    if new_store and getpass.getpass("Repeat the passphrase: ") != pw:
        raise StoreAccessError("passphrases differ")
    if not pw:
        raise StoreAccessError("empty passphrase")
    return pw


def open_store(path: Path) -> Any:
    """Open (or create) the encrypted UserStore at `path`."""
    import keywise

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = keyring_key()
    try:
        if key is not None:
            return keywise.UserStore.open(str(path), key=key)
        return keywise.UserStore.open(str(path), passphrase=passphrase(not path.exists()))
    except StoreAccessError:
        raise
    except keywise.InUseError:
        raise StoreAccessError(
            f"the word store at {path} is open in another program (the demo?): close that first"
        ) from None
    except Exception as exc:
        raise StoreAccessError(
            f"cannot open the word store at {path} ({type(exc).__name__}): wrong key or passphrase?"
        ) from None
