"""``logkit grep`` over any input: archives (skipping what cannot match), plain, .gz and .zst logs and ``-``.

The selection rules are grep's: ``-v`` selects the lines that do not match, ``-w`` a match that is a whole
word (no letter, digit or ``_`` on either side), ``-A/-B/-C`` add context lines and a ``--`` line between
groups that do not touch. Archives go through :func:`logkit.compress.query.grep_archive` when every line
needed is a matching one (no ``-v``, no context); otherwise every line is read.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from logkit.compress.query import compile_pattern

__all__ = ["LineKind", "GrepLine", "GrepOptions", "word_regex", "grep_input"]


class LineKind(Enum):
    """What a line printed by grep is."""

    MATCH = ":"  # a selected line (grep's separator after the name and number)
    CONTEXT = "-"  # a context line (-A/-B/-C)
    BREAK = "--"  # the ``--`` between context groups that do not touch


@dataclass(frozen=True, slots=True)
class GrepLine:
    """One output line of grep: its kind, 1-based line number in the input and bytes (no ``\\n``)."""

    kind: LineKind
    line_no: int
    line: bytes


@dataclass(frozen=True, slots=True)
class GrepOptions:
    """How lines are selected: grep's ``-F -i -v -w -A -B``."""

    pattern: str
    fixed: bool = False
    ignore_case: bool = False
    invert: bool = False
    word: bool = False
    after: int = 0
    before: int = 0

    def regex(self) -> re.Pattern[bytes]:
        """The bytes regex that finds a match (with ``-w``, only a whole-word one)."""
        base = compile_pattern(self.pattern, fixed=self.fixed, ignore_case=self.ignore_case)
        return word_regex(base) if self.word else base


def word_regex(regex: re.Pattern[bytes]) -> re.Pattern[bytes]:
    """``regex`` matching only where no word character (letter, digit, ``_``) touches the match on either side."""
    return re.compile(rb"(?<![A-Za-z0-9_])(?:" + regex.pattern + rb")(?![A-Za-z0-9_])", regex.flags)


def _all_lines(path: str) -> Iterator[tuple[int, bytes]]:
    from logkit.parse.sources import iter_raw_lines

    for raw in iter_raw_lines(path):
        yield raw.line_no, raw.data


def grep_input(path: str, options: GrepOptions) -> Iterator[GrepLine]:
    """The lines grep prints for ``path`` (an archive, a plain/.gz/.zst log, or ``-``), in order.

    Raises :class:`logkit.errors.InputError` for a missing or unreadable input, :class:`ArchiveError` for a
    damaged archive and :class:`UsageError` for a bad pattern.
    """
    from logkit.parse.sources import check_readable, is_log_archive

    regex = options.regex()
    check_readable(path)
    if is_log_archive(path) and not options.invert and not (options.after or options.before):
        from logkit.compress.query import grep_archive

        search = regex.search
        for hit in grep_archive(path, options.pattern, fixed=options.fixed, ignore_case=options.ignore_case):
            if not options.word or search(hit.line):
                yield GrepLine(LineKind.MATCH, hit.line_no, hit.line)
        return
    yield from _select(_all_lines(path), regex, options)


def _select(lines: Iterator[tuple[int, bytes]], regex: re.Pattern[bytes], options: GrepOptions) -> Iterator[GrepLine]:
    search = regex.search
    invert = options.invert
    before: collections.deque[tuple[int, bytes]] = collections.deque(maxlen=options.before or None)
    keep_before = options.before > 0
    after_left = 0
    last_printed = 0  # line number of the last line given out (0: none yet)
    context = options.after > 0 or options.before > 0
    for no, line in lines:
        if (search(line) is not None) != invert:
            if keep_before and before:
                first = before[0][0]
                if context and last_printed and first > last_printed + 1:
                    yield GrepLine(LineKind.BREAK, 0, b"--")
                for bno, bline in before:
                    yield GrepLine(LineKind.CONTEXT, bno, bline)
                before.clear()
            elif context and last_printed and no > last_printed + 1:
                yield GrepLine(LineKind.BREAK, 0, b"--")
            yield GrepLine(LineKind.MATCH, no, line)
            last_printed = no
            after_left = options.after
        elif after_left > 0:
            yield GrepLine(LineKind.CONTEXT, no, line)
            last_printed = no
            after_left -= 1
        elif keep_before:
            before.append((no, line))
