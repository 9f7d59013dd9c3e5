"""The emit pass of a parser, the one loop every output goes through: a block of lines in, a block of outputs out.

For each line it matches the header, takes the content, asks the miner for the template, applies ``--keep``,
counts the template, and hands all of that to a *maker*, which writes the line's output: a
:class:`~logkit.records.ParsedLine` (:func:`record_maker`), or the JSON text of its record (the JSONL writer's
maker, :meth:`logkit.parse.jsontext.JsonText.maker`). Reading, matching, mining and counting are written once,
here; only the last step differs by output.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from types import MappingProxyType
from typing import Any, TypeVar

from logkit.parse.fastrec import new_log_record, new_param, new_parsed_line, new_raw_line
from logkit.parse.formats import HeaderFormat, JsonFormat, LineFormat
from logkit.parse.miner import Match
from logkit.parse.source import Block
from logkit.records import Cp1252Text, Param, ParsedLine, byte_marked, encode

__all__ = ["TemplateCounts", "Maker", "emit_blocks", "record_maker", "header_parts", "BLANK"]

T = TypeVar("T")
BLANK = " \t\n\r\x0b\x0c"  # what ``bytes.strip`` strips: a line of only these is blank, not unmatched
MAX_EXAMPLE = 2000
_EMPTY: Any = MappingProxyType({})
_MATCH = re.Match


class TemplateCounts:
    """Lines per template text, each with an example content: what a parser emitted (and, with ``--state``,
    earlier runs). Bounded: past ``limit`` templates, the most frequent ``keep`` stay."""

    __slots__ = ("counts", "limit", "keep")

    def __init__(self, keep: int) -> None:
        self.counts: dict[str, list[Any]] = {}  # template -> [count, example]
        self.keep = keep
        self.limit = 4 * keep

    def trim(self) -> None:
        """Forget all but the ``keep`` most frequent templates (in place)."""
        kept = sorted(self.counts.items(), key=lambda kv: -kv[1][0])[: self.keep]
        self.counts.clear()
        self.counts.update(kept)


# a maker: (line number, lines it spans, the line as read, its header match, content, template, params) -> output
Maker = Callable[[int, int, str, Any, str, str, tuple[Param, ...]], T]


def header_parts(fmt: LineFormat) -> tuple[Callable[[str], Any] | None, int]:
    """How the emit loop matches a line's header: the match function (None: no header, the whole line is the
    content) and the content's group number (-1 for a JSON line, whose match is its split record)."""
    if isinstance(fmt, HeaderFormat):
        return fmt.match, fmt.content_pos + 1
    if isinstance(fmt, JsonFormat):
        return fmt.split_text, -1
    return None, 0


def emit_blocks(
    blocks: Iterable[Block],
    fmt: LineFormat,
    match: Callable[[str], Match],
    counts: TemplateCounts,
    keep: Callable[[Match], tuple[str, tuple[Param, ...]]] | None,
    make: Maker[T],
    stats: Any,
) -> Iterator[list[T]]:
    """The outputs of an input's lines, a block at a time (see the module's docstring).

    ``blocks`` may hold, in place of a line's text, the header match the mining pass made of it (a
    ``re.Match``); ``stats`` gets ``lines`` and ``unmatched`` added as blocks are done. A maker is called
    with the line as read (a ``\\r`` kept), its header match (None: unmatched or no header) and the rest.
    """
    header, ci = header_parts(fmt)
    table = counts.counts
    for block in blocks:
        out: list[T] = []
        append = out.append
        line_no = block.first
        spans = block.spans
        unmatched = 0
        for k, line in enumerate(block.lines):
            span = 1 if spans is None else spans[k]
            if line.__class__ is not _MATCH:  # text (str, or ForeignText for a line that was not UTF-8)
                text = line[:-1] if line[-1:] == "\r" else line
                m = None if header is None else header(text)
            else:  # the header's match, made by the mining pass (of a line without a \r)
                m = line
                text = line = m.string
            if m is None:
                content = text
                if ci > 0 and text.strip(BLANK):
                    unmatched += 1
            elif ci > 0:
                content = m.group(ci) or ""
            else:
                content = m.content
            if line.__class__ is Cp1252Text:  # the miner reads bytes that were not UTF-8 as values
                found = match(byte_marked(content))
                found = Match(found.template, tuple(new_param(content[q.start:q.end], q.type, q.start, q.end)
                                                    for q in found.params))
            else:
                found = match(content)
            if keep is None:
                template = found.template
                params = found.params
            else:
                template, params = keep(found)
            entry = table.get(template)
            if entry is None:
                if len(table) >= counts.limit:
                    counts.trim()
                table[template] = [1, content[:MAX_EXAMPLE]]
            else:
                entry[0] += 1
            append(make(line_no, span, line, m, content, template, params))
            line_no += span
        stats.lines += line_no - block.first
        stats.unmatched += unmatched
        yield out


def record_maker(source: str, fmt: LineFormat, template_id: Callable[[str], str]) -> Maker[ParsedLine]:
    """A maker of :class:`~logkit.records.ParsedLine` records for the lines of ``source`` in format ``fmt``."""
    stamp = fmt.stamp if isinstance(fmt, HeaderFormat) else None
    _, ci = header_parts(fmt)

    def make(line_no: int, span: int, line: str, m: Any, content: str, template: str,
             params: tuple[Param, ...]) -> ParsedLine:
        raw = new_raw_line(source, line_no, line.encode("utf-8", "surrogatepass") if line.__class__ is str else
                           encode(line), span)
        if m is None:
            rec = new_log_record(raw, _EMPTY, content, None, 0)
        elif ci > 0:
            fields = m.groupdict("")
            del fields["Content"]
            start = m.start(ci)
            rec = new_log_record(raw, fields, content, stamp(fields) if fields and stamp else None,
                                 start if start >= 0 else len(m.string))
        else:
            rec = new_log_record(raw, m.fields, content, m.timestamp, m.content_start)
        return new_parsed_line(rec, template_id(template), template, params)

    return make
