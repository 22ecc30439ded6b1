"""keywise exceptions: one base class, real subclasses. Messages never contain typed text."""

from keywise._native import InUseError, IntegrityError, KeywiseError, PackError


class InputError(KeywiseError, ValueError):
    """An argument is out of range or malformed (the message names the argument, not its text)."""


__all__ = ["KeywiseError", "PackError", "IntegrityError", "InputError", "InUseError"]
