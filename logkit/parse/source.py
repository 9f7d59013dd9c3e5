"""What a :class:`~logkit.parse.api.Parser` reads: one or more inputs, each giving its decoded lines in blocks.

An input is a file (plain, gzip or zstd; read as often as a parser asks: mine, then emit), standard input
(``-``, read once), lines held in memory, or a file followed like ``tail -F``. Every kind gives the same
thing, :class:`Block`\\ s of decoded lines (UTF-8, else cp1252: valid text whatever the bytes, which
:func:`logkit.records.encode` gives back), so the parser has one way to read them all.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from logkit.errors import UsageError
from logkit.parse.sources import check_readable, iter_text_blocks
from logkit.records import decode

__all__ = ["Block", "Input", "Source", "TICK"]

TICK = 0.2  # seconds a quiet standard input waits before it gives an empty block


@dataclass(frozen=True, slots=True)
class Block:
    """Consecutive lines of one input: their text (without ``\\n``; a ``\\r`` stays), the bytes they take
    (a newline counted after each) and the number of the first one (1-based). With ``--multiline`` an entry
    may be several lines joined by ``\\n``: ``spans`` then says how many lines each entry is."""

    lines: list[str]
    size: int
    first: int
    spans: list[int] | None = None


def _to_text(line: bytes | str, encoding: str | None) -> str:
    if isinstance(line, bytes):
        return decode(line, encoding)
    return line


class Input:
    """One input of a :class:`Source`.

    Parameters
    ----------
    name : str
        What the records call it (``source``): the path as given, ``-`` for standard input.
    path : str, optional
        The file (or ``-``) to read; None for lines held in memory.
    lines : sequence of str or bytes, optional
        The lines themselves (without ``\\n``).
    follow : bool
        Read ``path`` as it grows, like ``tail -F`` (never replayable).
    """

    __slots__ = ("name", "path", "_lines", "follow", "stop", "from_start", "_used")

    def __init__(self, name: str, *, path: str | None = None, lines: Iterable[bytes | str] | None = None,
                 follow: bool = False, stop: Callable[[], bool] | None = None, from_start: bool = True) -> None:
        self.name = name
        self.path = path
        self._lines = lines
        self.follow = follow
        self.stop = stop
        self.from_start = from_start
        self._used = False

    @property
    def replayable(self) -> bool:
        """Whether the input can be read twice (a file, or lines in a list): a parser then mines it first."""
        if self.follow:
            return False
        if self.path is not None:
            return self.path != "-"
        return isinstance(self._lines, Sequence)

    def existing_head(self, n: int) -> list[str]:
        """The first ``n`` lines a followed file already holds (to choose its format at once), else []."""
        if not self.follow or self.path is None or not os.path.isfile(self.path):
            return []
        out: list[str] = []
        for lines, _ in iter_text_blocks(self.path):
            out.extend(lines[: n - len(out)])
            if len(out) >= n:
                break
        return out

    def written_at(self) -> datetime | None:
        """When the file was last written (local time): the reference of its year-less dates; else None."""
        if self.path is None or self.path == "-":
            return None
        try:
            return datetime.fromtimestamp(os.stat(self.path).st_mtime)
        except (OSError, ValueError, OverflowError):
            return None

    def blocks(self, on_chunk: Callable[[bytes], None] | None = None, encoding: str | None = None) -> Iterator[Block]:
        """The input's lines, a block at a time, as they can be read (a pipe's lines as they arrive).

        ``on_chunk`` hears the exact bytes of a file, ``-`` or a followed file as they are read, before the lines
        they complete. Lines are decoded as :func:`logkit.records.decode` says (UTF-8, else cp1252, or
        ``encoding``).
        """
        if not self.replayable:
            if self._used:
                raise UsageError(f"{self.name} can be read once only; give a file to read it twice")
            self._used = True
        if self.follow:
            assert self.path is not None
            return self._followed(on_chunk, encoding)
        if self.path is not None:  # standard input ticks while quiet (a parser deciding its format by the clock)
            return _numbered(iter_text_blocks(self.path, on_chunk=on_chunk, tick=TICK if self.path == "-" else None,
                                              encoding=encoding))
        assert self._lines is not None
        return self._held(self._lines, encoding)

    def _followed(self, on_chunk: Callable[[bytes], None] | None, encoding: str | None) -> Iterator[Block]:
        from logkit.parse.follow import follow_raw_lines

        assert self.path is not None
        for raw in follow_raw_lines(self.path, from_start=self.from_start, stop=self.stop):
            if on_chunk is not None:
                on_chunk(raw.data + b"\n")
            yield Block([decode(raw.data, encoding)], len(raw.data) + 1, raw.line_no)

    @staticmethod
    def _held(lines: Iterable[bytes | str], encoding: str | None, size: int = 4096) -> Iterator[Block]:
        first = 1
        block: list[str] = []
        nbytes = 0
        for line in lines:
            text = _to_text(line, encoding)
            block.append(text)
            nbytes += len(text) + 1
            if len(block) >= size or not isinstance(lines, Sequence):  # an iterator: each line as it comes
                yield Block(block, nbytes, first)
                first += len(block)
                block, nbytes = [], 0
        if block:
            yield Block(block, nbytes, first)


def _numbered(blocks: Iterator[tuple[list[str], int]]) -> Iterator[Block]:
    first = 1
    for lines, size in blocks:
        yield Block(lines, size, first)
        first += len(lines)


class Source:
    """The inputs a parser reads, in order (see :class:`Input`); build one with the class methods.

    Examples
    --------
    >>> Source.paths(["app.log", "db.log.gz"])     # files, each read twice (mine, then emit)
    >>> Source.paths(["-"])                         # standard input, read once
    >>> Source.lines(["a b 1", "a b 2"])            # lines in memory (a list is read twice)
    >>> Source.follow("app.log")                    # like tail -F
    """

    __slots__ = ("inputs",)

    def __init__(self, inputs: Sequence[Input]) -> None:
        self.inputs = list(inputs)

    @classmethod
    def paths(cls, paths: Sequence[str] | str) -> Source:
        """Files (plain, ``.gz`` or ``.zst``) or ``-``; every file is checked at once (InputError)."""
        if isinstance(paths, str):
            paths = [paths]
        if "-" in paths and len(paths) > 1:
            raise UsageError("'-' (standard input) cannot be parsed together with files; run them apart")
        for p in paths:
            check_readable(p)
        return cls([Input(p, path=p) for p in paths])

    @classmethod
    def lines(cls, lines: Iterable[bytes | str], *, name: str = "-") -> Source:
        """Lines held in memory (without their ``\\n``): a list or tuple is read twice, an iterator once."""
        return cls([Input(name, lines=lines)])

    @classmethod
    def follow(cls, path: str, *, stop: Callable[[], bool] | None = None, from_start: bool = True) -> Source:
        """A file read as it grows, like ``tail -F`` (survives rotation and truncation); ``stop`` ends it."""
        return cls([Input(path, path=path, follow=True, stop=stop, from_start=from_start)])

    @property
    def replayable(self) -> bool:
        """Whether every input can be read twice."""
        return all(i.replayable for i in self.inputs)
