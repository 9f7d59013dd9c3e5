"""Cheap constructors for the frozen record classes, for the per-line hot paths of ``logkit parse``.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``; setting the slots
through their descriptors builds the same object in about half the time. Each function takes the
fields positionally, all of them, and gives an object equal to the class's own constructor's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from logkit.records import LogRecord, Param, ParsedLine, RawLine, VarType

__all__ = ["new_raw_line", "new_log_record", "new_param", "new_parsed_line", "slot_setters"]

_new = object.__new__


def slot_setters(cls: type, names: tuple[str, ...]) -> tuple[Any, ...]:
    """The slot setters of a frozen slotted dataclass, in ``names`` order (checked against its slots)."""
    slots = getattr(cls, "__slots__", ())
    if tuple(slots) != names:
        raise TypeError(f"{cls.__name__} slots changed ({slots}); update the fast constructors built on slot_setters")
    return tuple(cls.__dict__[n].__set__ for n in names)


_R0, _R1, _R2, _R3 = slot_setters(RawLine, ("source", "line_no", "data", "n_lines"))
_L0, _L1, _L2, _L3, _L4 = slot_setters(LogRecord, ("raw", "fields", "content", "timestamp", "content_start"))
_P0, _P1, _P2, _P3 = slot_setters(Param, ("value", "type", "start", "end"))
_Q0, _Q1, _Q2, _Q3 = slot_setters(ParsedLine, ("record", "template_id", "template", "params"))


def new_raw_line(source: str, line_no: int, data: bytes, n_lines: int = 1) -> RawLine:
    """``RawLine(source, line_no, data, n_lines)``, faster."""
    o: RawLine = _new(RawLine)
    _R0(o, source)
    _R1(o, line_no)
    _R2(o, data)
    _R3(o, n_lines)
    return o


def new_log_record(raw: RawLine, fields: Mapping[str, str], content: str, timestamp: datetime | None,
                   content_start: int) -> LogRecord:
    """``LogRecord(raw, fields, content, timestamp, content_start)``, faster."""
    o: LogRecord = _new(LogRecord)
    _L0(o, raw)
    _L1(o, fields)
    _L2(o, content)
    _L3(o, timestamp)
    _L4(o, content_start)
    return o


def new_param(value: str, type: VarType, start: int, end: int) -> Param:
    """``Param(value, type, start, end)``, faster."""
    o: Param = _new(Param)
    _P0(o, value)
    _P1(o, type)
    _P2(o, start)
    _P3(o, end)
    return o


def new_parsed_line(record: LogRecord, template_id: str, template: str, params: tuple[Param, ...]) -> ParsedLine:
    """``ParsedLine(record, template_id, template, params)``, faster."""
    o: ParsedLine = _new(ParsedLine)
    _Q0(o, record)
    _Q1(o, template_id)
    _Q2(o, template)
    _Q3(o, params)
    return o
