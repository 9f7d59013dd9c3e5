"""Follow a growing file like ``tail -F``: new lines as they are appended, through rotation and truncation.

Polling (``os.stat`` every ``poll`` seconds) rather than inotify: it works the same on every platform and
on network file systems.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import BinaryIO, cast

from logkit.errors import InputError
from logkit.records import RawLine

__all__ = ["follow_raw_lines"]

_READ = 1 << 16


class _Follower:
    """The state of one followed path: open file, its identity, the partial last line, the line count."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fh: BinaryIO | None = None
        self.ident: tuple[int, int] | None = None
        self.partial: list[bytes] = []
        self.line_no = 0

    def open(self, *, at_end: bool) -> bool:
        """Open the path (at its end or start); False when it does not exist (yet)."""
        try:
            fh = open(self.path, "rb", buffering=0)  # noqa: SIM115 - closed by close()
        except FileNotFoundError:
            return False
        except IsADirectoryError:
            raise InputError(f"{self.path}: is a folder; --follow takes one log file") from None
        except PermissionError:
            raise InputError(
                f"{self.path}: permission denied; make it readable (chmod +r) or run as its owner"
            ) from None
        st = os.fstat(fh.fileno())
        if at_end:
            fh.seek(0, os.SEEK_END)
        self.fh = cast(BinaryIO, fh)
        self.ident = (st.st_dev, st.st_ino)
        return True

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
        self.fh = None
        self.ident = None

    def read_lines(self) -> Iterator[RawLine]:
        """Every complete line now readable; the unfinished tail waits in ``partial``."""
        assert self.fh is not None
        while True:
            chunk = self.fh.read(_READ)
            if not chunk:
                return
            parts = chunk.split(b"\n")
            last = parts.pop()
            if parts:
                if self.partial:
                    self.partial.append(parts[0])
                    parts[0] = b"".join(self.partial)
                    self.partial = []
                for data in parts:
                    self.line_no += 1
                    yield RawLine(self.path, self.line_no, data)
            if last:
                self.partial.append(last)

    def flush_partial(self) -> Iterator[RawLine]:
        """The held partial line, as a line of its own (its file was rotated away or truncated)."""
        if self.partial:
            data = b"".join(self.partial)
            self.partial = []
            self.line_no += 1
            yield RawLine(self.path, self.line_no, data)

    def changed(self) -> str | None:
        """``"rotated"`` (the path is another file now), ``"truncated"``, or None."""
        assert self.fh is not None
        try:
            st = os.stat(self.path)
        except OSError:
            return None  # moved away and not yet recreated: keep reading the old file
        if (st.st_dev, st.st_ino) != self.ident:
            return "rotated"
        if st.st_size < self.fh.tell():
            return "truncated"
        return None


def follow_raw_lines(
    path: str,
    *,
    from_start: bool = True,
    poll: float = 0.25,
    stop: Callable[[], bool] | None = None,
) -> Iterator[RawLine]:
    """Yield the lines of ``path`` as they are written, like ``tail -F``.

    Parameters
    ----------
    path
        The file to follow; it may not exist yet (it is waited for).
    from_start
        Read what the file already holds first; otherwise start at its current end.
    poll
        Seconds between checks when there is nothing new.
    stop
        Called between polls; returning True ends the iterator (a held partial line is not emitted).

    Yields
    ------
    RawLine
        ``source`` is ``path``; ``line_no`` keeps counting across rotations. A partial last line is
        held until its ``\\n`` arrives, or emitted when the file is rotated away or truncated.

    Notes
    -----
    Rotation (the path now names a new file): the old file is read to its end, then the new one from
    its start. Truncation (the file got shorter): reading restarts at offset 0.
    """
    f = _Follower(path)
    first = True
    try:
        while True:
            if stop is not None and stop():
                return
            if f.fh is None:
                if not f.open(at_end=first and not from_start):
                    first = False
                    time.sleep(poll)
                    continue
                first = False
            got = False
            for line in f.read_lines():
                got = True
                yield line
                if stop is not None and stop():
                    return
            if got:
                continue
            change = f.changed()
            if change == "rotated":
                yield from f.read_lines()  # what was written to the old file before it moved
                yield from f.flush_partial()
                f.close()
                continue  # the new file is opened from its start on the next turn
            if change == "truncated":
                yield from f.flush_partial()
                assert f.fh is not None
                f.fh.seek(0)
                continue
            time.sleep(poll)
    finally:
        f.close()
