"""Errors raised by the library: each message is the sentence a user reads, naming the fix.

Only :mod:`logkit.cli` turns them into exit codes (DESIGN.md section 3.1).
"""

from __future__ import annotations

__all__ = [
    "LogkitError",
    "UsageError",
    "InputError",
    "FormatError",
    "StateError",
    "ArchiveError",
    "DependencyError",
]


class LogkitError(Exception):
    """Base class: a user-ready, one-line message; ``exit_code`` is what the CLI returns."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(LogkitError):
    """The command was called the wrong way (exit code 2)."""

    exit_code = 2


class InputError(LogkitError):
    """An input cannot be read: missing, unreadable, or of an unknown kind."""


class FormatError(LogkitError):
    """A ``--format`` specification is invalid or does not fit the input."""


class StateError(LogkitError):
    """A state or model file is damaged, of another version, or not ours."""


class ArchiveError(LogkitError):
    """An archive is damaged, truncated or of an unknown version."""


class DependencyError(LogkitError):
    """An optional dependency is missing; the message names the extra to install."""
