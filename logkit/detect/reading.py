"""Reading detection input: raw logs through the parser, or ``logkit parse`` JSON Lines, as events."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from logkit.detect.grouping import Event, event_from_parsed, event_from_record, events_from_parsed
from logkit.detect.parquet_input import is_parquet, parquet_events
from logkit.errors import InputError
from logkit.records import RawLine

__all__ = ["InputInfo", "read_events", "is_parse_record"]

_PEEK = 20


@dataclass
class InputInfo:
    """What the input turned out to be: ``parsed`` JSONL or ``raw`` lines, and the header format used."""

    kind: str = "raw"
    format_spec: str = ""
    format_reason: str = ""


def is_parse_record(data: bytes) -> bool:
    """Whether one line is a ``logkit parse`` JSON record (an object with ``template_id`` and ``params``)."""
    s = data.strip()
    if not s.startswith(b"{"):
        return False
    try:
        obj = json.loads(s)
    except ValueError:
        return False
    return isinstance(obj, dict) and "template_id" in obj and "params" in obj


def _jsonl_events(lines: Iterator[bytes], what: str) -> Iterator[Event]:
    for n, data in enumerate(lines, 1):
        if not data.strip():
            continue
        try:  # decoded first: json.loads of bytes guesses the encoding on every line
            rec = json.loads(data.decode("utf-8", "surrogateescape"))
        except ValueError:
            raise InputError(
                f"{what} line {n} is not JSON although the input began as `logkit parse` JSON Lines; "
                "give raw logs or whole parse output"
            ) from None
        if not isinstance(rec, dict):
            raise InputError(f"{what} line {n} is not a JSON object; give raw logs or `logkit parse` output")
        try:
            ev = event_from_record(rec)
        except (AttributeError, TypeError, ValueError, KeyError):
            raise InputError(
                f"{what} line {n} is not a `logkit parse` record (a field has the wrong type); give raw logs "
                "or unedited parse output"
            ) from None
        yield ev


def _head(raws: Iterator[RawLine]) -> list[RawLine]:
    """Lines up to the first non-empty one (at most a few): enough to tell JSONL from a raw log without
    waiting for more lines of a slow stream."""
    head: list[RawLine] = []
    for r in raws:
        head.append(r)
        if r.data.strip() or len(head) >= _PEEK:
            break
    return head


def _starts_with_parse_record(path: str) -> bool:
    """Whether an existing file begins with a ``logkit parse`` record (a file not there yet: no)."""
    from logkit.parse.sources import iter_raw_lines

    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return False
    raws = iter_raw_lines(path)
    try:
        head = _head(raws)
    finally:
        close = getattr(raws, "close", None)
        if close is not None:
            close()
    first = next((r for r in head if r.data.strip()), None)
    return first is not None and is_parse_record(first.data)


def read_events(
    path: str,
    *,
    format: str = "auto",
    follow: bool = False,
    stop: Callable[[], bool] | None = None,
    info: InputInfo | None = None,
    state: str | os.PathLike[str] | None = None,
    parser_out: list[Any] | None = None,
) -> Iterator[Event]:
    """Events of one input (a file, ``.gz``/``.zst``, or ``-``), in input order.

    Parameters
    ----------
    path : str
        The input; ``-`` is standard input.
    format : str
        The header spec for raw logs (``auto``, ``none`` or a Loghub-notation spec).
    follow : bool
        Keep reading a growing file (one pass).
    stop : callable, optional
        With ``follow``, returns True when reading should end.
    info : InputInfo, optional
        Filled with what the input turned out to be.
    state : path, optional
        A parser state saved at training: raw logs are then parsed in one pass with the training
        templates already known (the same template ids as in training, and no second pass).
    parser_out : list, optional
        Receives the :class:`logkit.parse.api.Parser` used for raw input (to save its state).
    """
    from logkit.parse.api import Parser, Source
    from logkit.parse.sources import iter_raw_lines

    info = info if info is not None else InputInfo()
    if not follow and is_parquet(path):  # logkit's own Parquet parse output (logkit/detect/parquet_input.py)
        info.kind = "parsed"
        yield from parquet_events(path)
        return
    if path == "-" or not follow:
        raws = iter_raw_lines(path)
        head = _head(raws)
        first = next((r for r in head if r.data.strip()), None)
        if first is not None and is_parse_record(first.data):
            info.kind = "parsed"
            yield from _jsonl_events((r.data for r in itertools.chain(head, raws)), path)
            return
        parser = Parser(format=format, state=state)
        if path == "-":
            stream = parser.parse(Source.lines((r.data for r in itertools.chain(head, raws)), name="-"))
        else:
            if hasattr(raws, "close"):
                raws.close()
            stream = parser.parse(Source.paths(path))
    else:
        from logkit.parse.sources import check_readable

        check_readable(path)  # a mistyped path is an error, as for `parse --follow`, not an endless wait
        if _starts_with_parse_record(path):
            from logkit.parse.follow import follow_raw_lines

            info.kind = "parsed"
            yield from _jsonl_events((r.data for r in follow_raw_lines(path, stop=stop)), path)
            return
        parser = Parser(format=format, state=state)
        stream = parser.parse(Source.follow(path, stop=stop))
    if parser_out is not None:
        parser_out.append(parser)
    it = iter(stream)
    for p in it:  # the first line: the header format is known by now
        info.format_spec = parser.stats.format_spec
        info.format_reason = parser.format_reason
        yield event_from_parsed(p)
        break
    yield from events_from_parsed(it)
