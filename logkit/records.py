"""Typed records passed between pipeline stages (DESIGN.md section 2).

Every stage is a lazy iterator over these; they are frozen and slotted so millions of them stay cheap.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

__all__ = [
    "VarType",
    "RawLine",
    "LogRecord",
    "Param",
    "ParsedLine",
    "TemplateInfo",
    "decode",
    "encode",
    "ForeignText",
    "Cp1252Text",
    "byte_marked",
    "unmarked",
]

_EMPTY: Mapping[str, str] = MappingProxyType({})


class ForeignText(str):
    """The text of a line that is not UTF-8 (decoded as cp1252, or as ``--encoding`` says), with its bytes.

    Behaves as the ``str`` it is; ``raw`` keeps the line's exact bytes, so :func:`encode` gives them back.
    """

    raw: bytes

    def __new__(cls, text: str, raw: bytes) -> ForeignText:
        self = super().__new__(cls, text)
        self.raw = raw
        return self


class Cp1252Text(ForeignText):
    """A line that is not valid UTF-8, read as cp1252 (the default for such lines)."""


# cp1252, with Latin-1 for the five bytes cp1252 leaves undefined (0x81, 0x8d, 0x8f, 0x90, 0x9d): every byte
# is one character, so no line fails to decode and the bytes come back from the text
_CP1252 = {b: ord(bytes([b]).decode("cp1252", "ignore") or chr(b)) for b in range(0x80, 0xA0)}
# each character a byte of 0x80 and above reads as in cp1252 -> the surrogate ``surrogateescape`` gives that byte
_BYTE_MARKS = {_CP1252.get(b, b): 0xDC00 + b for b in range(0x80, 0x100)}


def byte_marked(text: str) -> str:
    """``text`` (of a :class:`Cp1252Text` line) with each character read from a byte of 0x80 and above written as
    the lone surrogate ``surrogateescape`` gives that byte: the same length, so offsets hold in both. The
    template miner reads this form: a word holding bytes that are not UTF-8 is data (a value), not message
    text, whichever way the line is decoded for output."""
    return text.translate(_BYTE_MARKS)


def unmarked(text: str) -> str:
    """Text as :func:`decode` reads it, from text that may be :func:`byte_marked` (lone surrogates for bytes
    that were not UTF-8): what an example kept by the template miner shows."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        try:
            return str(decode(text.encode("utf-8", "surrogateescape")))
        except UnicodeEncodeError:  # a surrogate no byte stands for
            return text.encode("utf-8", "replace").decode("utf-8")


def decode(data: bytes, encoding: str | None = None) -> str:
    """A line's bytes as text: UTF-8 when the line is valid UTF-8, else cp1252 (Latin-1 for the bytes
    cp1252 leaves undefined), or as ``encoding`` says (undecodable bytes as U+FFFD). Never lone surrogates:
    text that is not UTF-8 comes back as a :class:`ForeignText` holding the exact bytes."""
    if encoding is None:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return Cp1252Text(data.decode("latin-1").translate(_CP1252), data)
    return ForeignText(data.decode(encoding, "replace"), data)


def encode(text: str) -> bytes:
    """Inverse of :func:`decode`: the exact original bytes of a line."""
    if text.__class__ is not str and isinstance(text, ForeignText):
        return text.raw
    return text.encode("utf-8", "surrogatepass")


class VarType(enum.Enum):
    """The ten variable categories of variable-aware log abstraction (VALB, ICSE'23)."""

    OID = "OID"  # object id: block, session, user, request ids
    LOI = "LOI"  # location: paths, URIs, IPs, ports, hosts
    OBN = "OBN"  # object name: job, domain, class names
    TID = "TID"  # type indicator
    SID = "SID"  # switch indicator: flags, on/off, true/false
    TDA = "TDA"  # time or duration
    CRS = "CRS"  # computing resource: bytes, memory, CPU
    OBA = "OBA"  # object amount: counts
    STC = "STC"  # status code
    OTP = "OTP"  # other

    @classmethod
    def parse_list(cls, text: str) -> frozenset[VarType]:
        """``"STC,LOI"`` -> ``{STC, LOI}``; raises ``ValueError`` naming the valid codes."""
        out = set()
        for part in text.replace(" ", ",").split(","):
            if not part:
                continue
            try:
                out.add(cls(part.upper()))
            except ValueError:
                valid = ", ".join(v.value for v in cls)
                raise ValueError(f"unknown variable type {part!r}; use some of: {valid}") from None
        return frozenset(out)


@dataclass(frozen=True, slots=True)
class RawLine:
    """One input line: its bytes without the final ``\\n`` (a ``\\r`` stays); nothing is lost.

    With ``--multiline`` a record of several physical lines has ``data`` joined by ``\\n`` and
    ``line_no`` is its first line; ``n_lines`` says how many lines it spans.
    """

    source: str
    line_no: int
    data: bytes
    n_lines: int = 1


@dataclass(frozen=True, slots=True)
class LogRecord:
    """A line split by its header format.

    ``content`` is the message part (the whole line, without a final ``\\r``, when the header does not
    match: then ``fields`` is empty). ``content_start`` is the offset of ``content`` in the decoded line.
    """

    raw: RawLine
    fields: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    content: str = ""
    timestamp: datetime | None = None
    content_start: int = 0


@dataclass(frozen=True, slots=True)
class Param:
    """One variable: its exact text, its type, and its offsets into ``LogRecord.content``."""

    value: str
    type: VarType
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ParsedLine:
    """A record with its template; ``params`` rebuild ``record.content`` exactly (see ``rebuild``)."""

    record: LogRecord
    template_id: str
    template: str
    params: tuple[Param, ...]

    def rebuild(self) -> str:
        """The content, rebuilt from the params' offsets: equal to ``record.content`` by contract."""
        content = self.record.content
        parts: list[str] = []
        pos = 0
        for p in self.params:
            parts.append(content[pos : p.start])
            parts.append(p.value)
            pos = p.end
        parts.append(content[pos:])
        return "".join(parts)


@dataclass(frozen=True, slots=True)
class TemplateInfo:
    """A template with how often it was seen and one example content."""

    template_id: str
    template: str
    count: int
    example: str
