"""Typed records passed between pipeline stages (DESIGN.md section 2).

Every stage is a lazy iterator over these; they are frozen and slotted so millions of them stay cheap.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

__all__ = [
    "VarType",
    "RawLine",
    "LogRecord",
    "Param",
    "ParsedLine",
    "TemplateInfo",
    "Event",
    "Group",
    "DecidedBy",
    "Score",
    "MAX_EVENTS_PER_GROUP",
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


MAX_EVENTS_PER_GROUP = 5_000  # events kept per group (later ones are counted, not kept)


@dataclass(slots=True)
class Event:
    """One parsed line as detection sees it (treat it as read-only).

    ``fields`` are the header fields whose values hold no digit (level, component, type): they describe
    the kind of a line, not one occurrence of it. ``params`` are the variables (:class:`Param`, or the JSON
    objects of parse records) and ``ids`` the other header fields (hosts, nodes, pids): the entities of the
    graph method. Not frozen: one is built per input line, and a frozen dataclass takes about four times as
    long to build.
    """

    line: int
    template_id: str
    template: str
    content: str
    timestamp: datetime | None = None
    fields: tuple[tuple[str, str], ...] = ()
    params: Sequence[Any] = ()
    ids: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class Group:
    """A closed session or window: its key, line span, time span and its events (at most a bound).

    ``open`` marks an item cut by the end of the input (a session still active then, the last partial
    count window): what it holds is a beginning, not the whole.
    """

    key: str
    first_line: int
    last_line: int
    lines: int = 0
    start: datetime | None = None
    end: datetime | None = None
    events: list[Event] = field(default_factory=list)
    open: bool = False

    def add(self, ev: Event) -> None:
        """Append one event (kept while under :data:`MAX_EVENTS_PER_GROUP`)."""
        self.lines += 1
        self.last_line = ev.line
        if ev.timestamp is not None:
            if self.start is None:
                self.start = ev.timestamp
            self.end = ev.timestamp
        if len(self.events) < MAX_EVENTS_PER_GROUP:
            self.events.append(ev)


class DecidedBy(enum.Enum):
    """Who made a detection record's final decision."""

    MODEL = "model"  # the small model (or the graph model)
    LLM = "llm"  # the LLM, asked about this very item
    LLM_CACHE = "llm-cache"  # the LLM's answer for an item the model cannot tell apart from this one


@dataclass(frozen=True, slots=True)
class Score:
    """The detection record of one session or window (DESIGN.md 3.4; :meth:`to_dict` is its JSON).

    ``score`` is higher for more anomalous items; ``anomaly`` the final decision (``score >= threshold``
    unless the LLM decided, then ``model_anomaly`` keeps the model's own). ``reason`` is ``None`` only for
    normal items. ``top`` (graph method) lists what weighed most.
    """

    group: str
    first_line: int
    last_line: int
    lines: int
    start: datetime | None
    end: datetime | None
    score: float
    threshold: float
    anomaly: bool
    uncertainty: float
    routed: bool
    decided_by: DecidedBy
    method: str
    reason: str | None
    model_anomaly: bool | None = None
    top: tuple[Mapping[str, Any], ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON record of DESIGN.md 3.4 (scores rounded to 4 places; ``model_anomaly`` only when the LLM
        decided, ``top`` only for the graph method)."""
        rec: dict[str, Any] = {
            "group": self.group, "first_line": self.first_line, "last_line": self.last_line, "lines": self.lines,
            "start": self.start.isoformat() if self.start is not None else None,
            "end": self.end.isoformat() if self.end is not None else None,
            "score": round(self.score, 4), "threshold": self.threshold, "anomaly": self.anomaly,
            "uncertainty": round(self.uncertainty, 4), "routed": self.routed,
            "decided_by": self.decided_by.value, "method": self.method,
        }
        if self.decided_by is not DecidedBy.MODEL:
            rec["model_anomaly"] = self.model_anomaly
        rec["reason"] = self.reason
        if self.top is not None:
            rec["top"] = [dict(t) for t in self.top]
        return rec
