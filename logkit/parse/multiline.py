"""Multi-line records: lines that do not start with the header (stack traces) join the record before them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from logkit.parse.formats import LineFormat
from logkit.records import RawLine

__all__ = ["join_multiline"]


def join_multiline(lines: Iterable[RawLine], fmt: LineFormat) -> Iterator[RawLine]:
    """Join continuation lines onto the header line before them, streaming.

    A line that ``fmt`` matches starts a record; a line it does not match (a stack frame, a wrapped
    message, an empty line) is appended to the open record with ``b"\\n"``. Lines before the first
    header line stand alone. A record is emitted when the next header line arrives or the input ends.

    Parameters
    ----------
    lines
        Physical lines, in order.
    fmt
        The header format; its ``matches`` decides where a record starts.

    Yields
    ------
    RawLine
        ``line_no`` of the record's first line, ``n_lines`` physical lines, ``data`` joined by ``\\n``
        (each line's own ``\\r`` kept, so the bytes rebuild exactly).
    """
    matches = fmt.matches
    head: RawLine | None = None
    parts: list[bytes] = []
    count = 0
    for raw in lines:
        if matches(raw):
            if head is not None:
                yield _record(head, parts, count)
            head, parts, count = raw, [raw.data], raw.n_lines
        elif head is None:
            yield raw
        else:
            parts.append(raw.data)
            count += raw.n_lines
    if head is not None:
        yield _record(head, parts, count)


def _record(head: RawLine, parts: list[bytes], count: int) -> RawLine:
    if len(parts) == 1:
        return head
    return RawLine(head.source, head.line_no, b"\n".join(parts), count)
