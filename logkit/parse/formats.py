"""Header formats: split a raw line into header fields and the message content.

A format is written in the Loghub notation, ``'<Date> <Time> <Level> <Component>: <Content>'``: each
``<Name>`` is a field, the text between them is a regular expression piece (so ``\\[`` and ``(...)?`` work
as in Loghub's format strings), and ``<Content>`` is the message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from logkit.errors import FormatError
from logkit.records import LogRecord, RawLine, decode

__all__ = ["HeaderFormat", "NoFormat", "LineFormat", "compile_format"]

_FIELD = re.compile(r"<([A-Za-z_][A-Za-z0-9_]*)>")
_EMPTY: Mapping[str, str] = MappingProxyType({})


def _strip_cr(text: str) -> str:
    return text[:-1] if text.endswith("\r") else text


class LineFormat:
    """Base of every format: turns a :class:`RawLine` into a :class:`LogRecord`."""

    spec: str = "none"
    fields: tuple[str, ...] = ()

    def split(self, raw: RawLine) -> LogRecord:
        """The record of one line; a line the format does not match keeps the whole line as content."""
        return LogRecord(raw=raw, fields=_EMPTY, content=_strip_cr(decode(raw.data)), timestamp=None)

    def matches(self, raw: RawLine) -> bool:
        """Whether the header matches this line."""
        return False


class NoFormat(LineFormat):
    """``--format none``: the whole line is the content."""

    def matches(self, raw: RawLine) -> bool:
        return True


class HeaderFormat(LineFormat):
    """A compiled Loghub-notation header format."""

    def __init__(self, spec: str, fields: tuple[str, ...], regex: re.Pattern[str]) -> None:
        self.spec = spec
        self.fields = fields
        self.regex = regex

    def split(self, raw: RawLine) -> LogRecord:
        text = _strip_cr(decode(raw.data))
        m = self.regex.match(text)
        if m is None:
            return LogRecord(raw=raw, fields=_EMPTY, content=text, timestamp=None)
        groups = m.groupdict()
        content = groups.pop("Content", None)
        if content is None:
            content = ""
        fields = {k: (v if v is not None else "") for k, v in groups.items()}
        start = m.start("Content") if m.group("Content") is not None else len(text)
        return LogRecord(raw=raw, fields=fields, content=content, timestamp=None, content_start=start)

    def matches(self, raw: RawLine) -> bool:
        return self.regex.match(_strip_cr(decode(raw.data))) is not None


def compile_format(spec: str) -> LineFormat:
    """Compile a Loghub-notation header spec (``none`` gives :class:`NoFormat`).

    Raises :class:`FormatError` when the spec has no ``<Content>``, repeats a field, or is not a valid
    regular expression.
    """
    if spec.strip().lower() == "none":
        return NoFormat()
    names = _FIELD.findall(spec)
    if "Content" not in names:
        raise FormatError(
            f"--format {spec!r} has no <Content> field; end it with '<Content>' (or use --format none)"
        )
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise FormatError(f"--format {spec!r} names {', '.join(dup)} twice; give each field once")
    pieces = []
    pos = 0
    for m in _FIELD.finditer(spec):
        sep = spec[pos : m.start()]
        # a run of spaces in the spec matches one or more spaces in the line (Loghub's convention)
        pieces.append(re.sub(r" +", lambda _m: r"\s+", sep))
        name = m.group(1)
        pieces.append(f"(?P<{name}>.*)" if name == "Content" else f"(?P<{name}>.*?)")
        pos = m.end()
    pieces.append(re.sub(r" +", lambda _m: r"\s+", spec[pos:]))
    pattern = "^" + "".join(pieces) + "$"
    try:
        regex = re.compile(pattern, re.DOTALL)
    except re.error as exc:
        raise FormatError(f"--format {spec!r} is not a valid pattern ({exc}); escape [ ] ( ) with \\") from None
    return HeaderFormat(spec=spec, fields=tuple(names), regex=regex)
