"""keywise: private, on-device text prediction (completion, next word, autocorrect).

>>> import keywise
>>> engine = keywise.Engine.load()
>>> [s.text for s in engine.suggest("The patient denies chest ")]
"""

from keywise._native import Suggestion, UserStore
from keywise.engine import DEFAULT_PACK, Engine, Field
from keywise.errors import InputError, InUseError, IntegrityError, KeywiseError, PackError

__all__ = [
    "DEFAULT_PACK",
    "Engine",
    "Field",
    "InputError",
    "InUseError",
    "IntegrityError",
    "KeywiseError",
    "PackError",
    "Suggestion",
    "UserStore",
]
__version__ = "0.1.0"
