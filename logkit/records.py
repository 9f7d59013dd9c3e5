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
]

_EMPTY: Mapping[str, str] = MappingProxyType({})


def decode(data: bytes) -> str:
    """Bytes to text; bytes that are not UTF-8 become lone surrogates (``surrogateescape``)."""
    return data.decode("utf-8", "surrogateescape")


def encode(text: str) -> bytes:
    """Inverse of :func:`decode`: gives back the exact original bytes."""
    return text.encode("utf-8", "surrogateescape")


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
