"""Multi-line records: lines that do not start with the header (stack traces) join the record before them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from logkit.parse.source import Block
from logkit.records import Cp1252Text, ForeignText, encode

__all__ = ["join_blocks"]


def join_blocks(blocks: Iterable[Block], starts: Callable[[str], bool]) -> Iterator[Block]:
    """:func:`join_multiline` over blocks of decoded lines: an entry that ``starts`` a record (its text without
    a final ``\\r``) opens one; the others join the open record with ``\\n``. A record is given out, in the
    block its last line came in, once the next record starts (or the input ends)."""
    open_text: list[str] = []  # the open record's lines
    open_first = 0
    for block in blocks:
        lines: list[str] = []
        spans: list[int] = []
        first = 0
        line_no = block.first
        for text in block.lines:
            if starts(text[:-1] if text[-1:] == "\r" else text):
                if open_text:
                    if not lines:
                        first = open_first
                    lines.append(_joined(open_text))
                    spans.append(len(open_text))
                open_text, open_first = [text], line_no
            elif open_text:
                open_text.append(text)
            else:  # before the first record: a line alone
                if not lines:
                    first = line_no
                lines.append(text)
                spans.append(1)
            line_no += 1
        if lines:
            yield Block(lines, block.size, first, spans)
        elif block.size:
            yield Block([], block.size, line_no)  # nothing complete yet: the bytes still count (progress)
    if open_text:
        yield Block([_joined(open_text)], 0, open_first, [len(open_text)])


def _joined(lines: list[str]) -> str:
    """Lines joined by ``\\n``; a :class:`ForeignText` when one of them is (the bytes stay exact)."""
    text = "\n".join(lines)
    if all(t.__class__ is str for t in lines):
        return text
    cls = Cp1252Text if any(t.__class__ is Cp1252Text for t in lines) else ForeignText
    return cls(text, b"\n".join(encode(t) for t in lines))
