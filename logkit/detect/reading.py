"""Reading detection input as events: raw logs through the parser, ``logkit parse`` JSON Lines, or records.

Every entry point that scores or trains (the CLI verbs, ``run``, ``batch``, the Python API) turns its input
into :class:`~logkit.records.Event` values here: a path (``-`` for standard input), a
:class:`~logkit.parse.Source`, raw lines (``str`` or ``bytes``), :class:`~logkit.records.ParsedLine` values,
parse records (the JSON objects of DESIGN.md 3.2) or events.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from logkit.detect.grouping import EventMaker, events_from_parsed
from logkit.detect.parquet_input import is_parquet, parquet_events
from logkit.errors import InputError, UsageError
from logkit.parse.recorded import is_parse_record
from logkit.records import Event, ParsedLine

__all__ = ["InputInfo", "read_events", "is_parse_record", "events_of"]

_PEEK = 20


@dataclass
class InputInfo:
    """What the input turned out to be: ``parsed`` JSONL or records, ``raw`` lines, and the header format."""

    kind: str = "raw"
    format_spec: str = ""
    format_reason: str = ""


def _jsonl_events(lines: Iterable[tuple[int, bytes | str]], what: str) -> Iterator[Event]:
    """Events of ``(line number, text)`` pairs of ``logkit parse`` JSON Lines."""
    event_from_record = EventMaker().from_record
    for n, data in lines:
        if not data.strip():
            continue
        try:  # decoded first: json.loads of bytes guesses the encoding on every line
            rec = json.loads(data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data)
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


def _starts_with_parse_record(path: str) -> bool:
    """Whether an existing file begins with a ``logkit parse`` record (a file not there yet: no)."""
    from logkit.parse.sources import iter_raw_lines

    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return False
    raws = iter_raw_lines(path)
    try:
        first = next((r for r in itertools.islice(raws, _PEEK) if r.data.strip()), None)
    finally:
        close = getattr(raws, "close", None)
        if close is not None:
            close()
    return first is not None and is_parse_record(first.data)


def _stdin_blocks() -> tuple[list[Any], Iterator[Any], str | None]:
    """Standard input's first blocks up to its first non-empty line (or :data:`_PEEK` lines), the blocks
    still to come, and that first line. The blocks are the parser's own (:class:`logkit.parse.Source`), which
    come as the lines arrive and tick (empty blocks) while the pipe is quiet."""
    from logkit.parse.source import Input

    blocks = Input("-", path="-").blocks()
    head: list[Any] = []
    seen = 0
    first: str | None = None
    for block in blocks:
        head.append(block)
        seen += len(block.lines)
        first = next((t for t in block.lines if t.strip()), None)
        if first is not None or seen >= _PEEK:
            break
    return head, blocks, first


def _resumed(head: list[Any], rest: Iterator[Any]) -> Any:
    """A one-pass :class:`~logkit.parse.Source` on standard input whose first blocks were read already."""
    from logkit.parse.source import Input, Source

    class _Peeked(Input):
        __slots__ = ("_blocks",)

        def __init__(self, blocks: Iterator[Any]) -> None:
            super().__init__("-", path="-")
            self._blocks: Iterator[Any] | None = blocks

        def blocks(self, on_chunk: Callable[[bytes], None] | None = None, encoding: str | None = None) -> Any:
            if self._blocks is None:
                raise UsageError("standard input can be read once only")
            out, self._blocks = self._blocks, None
            return out

    return Source([_Peeked(itertools.chain(head, rest))])


def _parsed_events(parser: Any, stream: Iterable[ParsedLine], info: InputInfo) -> Iterator[Event]:
    it = iter(stream)
    maker = EventMaker()
    for p in it:  # the first line: the header format is known by now
        info.format_spec = parser.stats.format_spec
        info.format_reason = parser.format_reason
        yield maker.from_parsed(p)
        break
    yield from maker.from_parsed_all(it)


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
        The input; ``-`` is standard input (read as its lines come: each is parsed and grouped at once).
    format : str
        The header spec for raw logs (``auto``, ``none`` or a Loghub-notation spec).
    follow : bool
        Keep reading a growing file (one pass).
    stop : callable, optional
        With ``follow``, returns True when reading should end.
    info : InputInfo, optional
        Filled with what the input turned out to be.
    state : path, optional
        A parser state saved at training: raw logs are parsed with the training templates already known
        (the same template ids as in training).
    parser_out : list, optional
        Receives the :class:`logkit.parse.Parser` used for raw input (to save its state).
    """
    from logkit.parse.api import Parser, Source

    info = info if info is not None else InputInfo()
    if not follow and is_parquet(path):  # logkit's own Parquet parse output (logkit/detect/parquet_input.py)
        info.kind = "parsed"
        yield from parquet_events(path)
        return
    if path == "-":
        head, rest, first = _stdin_blocks()
        if first is not None and is_parse_record(first):
            info.kind = "parsed"
            numbered = ((b.first + i, t) for b in itertools.chain(head, rest) for i, t in enumerate(b.lines))
            yield from _jsonl_events(numbered, path)
            return
        source = _resumed(head, rest)
    elif not follow:
        if _starts_with_parse_record(path):
            from logkit.parse.sources import iter_raw_lines

            info.kind = "parsed"
            yield from _jsonl_events(((r.line_no, r.data) for r in iter_raw_lines(path)), path)
            return
        source = Source.paths(path)
    else:
        from logkit.parse.sources import check_readable

        check_readable(path)  # a mistyped path is an error, as for `parse --follow`, not an endless wait
        if _starts_with_parse_record(path):
            from logkit.parse.follow import follow_raw_lines

            info.kind = "parsed"
            yield from _jsonl_events(((r.line_no, r.data) for r in follow_raw_lines(path, stop=stop)), path)
            return
        source = Source.follow(path, stop=stop)
    parser = Parser(format=format, state=state)
    if parser_out is not None:
        parser_out.append(parser)
    yield from _parsed_events(parser, parser.parse(source), info)


def events_of(
    data: Any,
    *,
    format: str = "auto",
    state: str | os.PathLike[str] | None = None,
    info: InputInfo | None = None,
    parser_out: list[Any] | None = None,
    follow: bool = False,
    stop: Callable[[], bool] | None = None,
    replay: bool = False,
) -> Iterator[Event]:
    """Events of any input detection takes, in input order.

    ``data`` is a path (``str`` or ``os.PathLike``; ``-`` is standard input), a
    :class:`~logkit.parse.Source`, or an iterable of raw lines (``str``/``bytes`` without ``\\n``),
    :class:`~logkit.records.ParsedLine` values, ``logkit parse`` records (dicts) or events. Raw lines are
    parsed by ``Parser(format=format, state=state)``: a list (or, with ``replay``, any iterable, read into
    one) twice like a file, an iterator once, as its lines come. Options as in :func:`read_events`.
    """
    from logkit.parse.api import Parser, Source

    info = info if info is not None else InputInfo()
    if isinstance(data, (str, os.PathLike)):
        return read_events(os.fspath(data), format=format, follow=follow, stop=stop, info=info, state=state,
                           parser_out=parser_out)
    if isinstance(data, (bytes, bytearray)):
        raise UsageError("give raw log lines as a list of lines (str or bytes), not one bytes object")
    if isinstance(data, Source):
        parser = Parser(format=format, state=state)
        if parser_out is not None:
            parser_out.append(parser)
        return _parsed_events(parser, parser.parse(data), info)
    try:
        it = iter(data)
    except TypeError:
        raise UsageError(f"cannot score a {type(data).__name__}; give a path, log lines, parsed lines or "
                         "parse records") from None
    first = next(it, None)
    if first is None:
        return iter(())
    rest = itertools.chain([first], it)
    if isinstance(first, Event):
        info.kind = "events"
        return rest
    if isinstance(first, ParsedLine):
        info.kind = "parsed"
        return events_from_parsed(rest)
    if isinstance(first, dict):
        info.kind = "parsed"
        return _records(rest)
    if isinstance(first, (str, bytes)):
        lines: Iterable[Any] = data if isinstance(data, (list, tuple)) else list(rest) if replay else rest
        parser = Parser(format=format, state=state)
        if parser_out is not None:
            parser_out.append(parser)
        return _parsed_events(parser, parser.parse(Source.lines(lines)), info)
    raise UsageError(f"cannot score items of type {type(first).__name__}; give log lines (str or bytes), "
                     "ParsedLine values or parse records (dicts)")


def _records(recs: Iterable[dict[str, Any]]) -> Iterator[Event]:
    event_from_record = EventMaker().from_record
    for n, rec in enumerate(recs, 1):
        if not isinstance(rec, dict):
            raise UsageError(f"item {n} is a {type(rec).__name__}, not a parse record; give records only")
        try:
            yield event_from_record(rec)
        except (AttributeError, TypeError, ValueError, KeyError):
            raise InputError(f"record {n} is not a `logkit parse` record (a field has the wrong type); give "
                             "unedited parse records") from None
