"""`keywise demo`: a local note-entry web app (Starlette + uvicorn, 127.0.0.1 only).

Imported lazily so that `import keywise` never needs the web stack.
"""

from typing import Any

__all__ = ["DemoServer", "create_app", "main"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import app

        return getattr(app, name)
    raise AttributeError(name)
