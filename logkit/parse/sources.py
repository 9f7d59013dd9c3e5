"""Input sources: open plain, gzip or zstd files (by content magic) or stdin, and split them into lines.

Lines are split on ``b"\\n"`` only and read in chunks, so memory stays bounded by the longest line.
"""

from __future__ import annotations

import gzip
import io
import os
import select
import stat
import sys
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any, BinaryIO, cast

from logkit.errors import InputError
from logkit.parse.compressed import Guarded, ZstdFrames, damaged
from logkit.parse.fastrec import new_raw_line
from logkit.records import RawLine, decode

__all__ = ["open_binary", "iter_raw_lines", "iter_chunks",
           "iter_text_blocks", "looks_binary", "check_readable", "input_bytes",
           "is_log_archive",
           "CHUNK_SIZE"]

CHUNK_SIZE = 1 << 20
_DENIED = "{path}: permission denied; make it readable (chmod +r) or run as its owner"
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
LKZ_MAGIC = b"LKZ\x89"  # logkit.compress.archive.MAGIC (written here: reading a log imports no compressor)
# bytes that are normal in text logs: tab, newline, vertical tab, form feed, carriage return, escape
_TEXT_CONTROLS = frozenset(b"\t\n\x0b\x0c\r\x1b")
_CONTROL_DELETE = bytes(b for b in range(256) if b >= 0x20 or b in _TEXT_CONTROLS)


def check_readable(path: str) -> None:
    """Raise :class:`InputError` (one line naming the fix) when ``path`` cannot be read as a log file.

    ``-`` (standard input) is always accepted.
    """
    if path == "-":
        return
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; check the path, or use '-' for standard input") from None
    except PermissionError:
        raise InputError(_DENIED.format(path=path)) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror}); check the path") from None
    if os.path.isdir(path) or (st.st_mode & 0o170000) == 0o040000:
        raise InputError(f"{path}: is a folder; give the log files inside it (e.g. {path.rstrip('/')}/*.log)")
    if not os.access(path, os.R_OK):
        raise InputError(_DENIED.format(path=path))


def _open_raw(path: str) -> BinaryIO:
    check_readable(path)
    try:
        return open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder; give the log files inside it (e.g. {path}/*.log)") from None
    except PermissionError:
        raise InputError(_DENIED.format(path=path)) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be opened ({exc.strerror}); check the path") from None


def _peek(fh: BinaryIO, n: int) -> bytes:
    """The first ``n`` bytes of ``fh`` without consuming them (seek back, or a buffered peek)."""
    if fh.seekable():
        pos = fh.tell()
        head = fh.read(n)
        fh.seek(pos)
        return head
    peek = getattr(fh, "peek", None)
    if peek is not None:
        return bytes(peek(n)[:n])
    return b""


def open_binary(path: str) -> BinaryIO:
    """Open a log input for reading bytes, decompressing gzip or zstd decided by the content's magic.

    Parameters
    ----------
    path
        A file path, or ``-`` for standard input (``sys.stdin.buffer``).

    Returns
    -------
    BinaryIO
        A readable binary stream; close it when done (closing stdin's wrapper leaves stdin open).

    Raises
    ------
    InputError
        The file is missing, is a folder, or cannot be read.
    """
    if path == "-":
        raw: BinaryIO = sys.stdin.buffer
        if not hasattr(raw, "peek") and not raw.seekable():
            raw = cast(BinaryIO, io.BufferedReader(cast(Any, raw)))
        owned = False
    else:
        raw = _open_raw(path)
        owned = True
    head = _peek(raw, 4)
    if head.startswith(_GZIP_MAGIC):
        gz = _GzipOwning(raw) if owned else gzip.GzipFile(fileobj=raw, mode="rb")
        return cast(BinaryIO, Guarded(cast(BinaryIO, gz), path))
    if head.startswith(_ZSTD_MAGIC):  # every frame must end: a cut file is an error, not lost lines
        return cast(BinaryIO, Guarded(ZstdFrames(raw, owned=owned), path))
    return raw if owned else cast(BinaryIO, _NoClose(raw))


class _GzipOwning(gzip.GzipFile):
    """A GzipFile that closes the file it reads from."""

    def __init__(self, fileobj: BinaryIO) -> None:
        super().__init__(fileobj=fileobj, mode="rb")
        self._owned = fileobj

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._owned.close()


class _NoClose(io.RawIOBase):
    """Wraps standard input so that closing the wrapper leaves standard input open."""

    def __init__(self, inner: BinaryIO) -> None:
        super().__init__()
        self._inner = inner

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._inner.read(-1 if size is None else size)

    def read1(self, size: int = -1) -> bytes:
        """What standard input has now (one system read at most), so piped lines are not held back."""
        read1 = getattr(self._inner, "read1", None)
        return read1(size) if read1 is not None else self._inner.read(size)

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        data = self._inner.read(len(b))
        b[: len(data)] = data
        return len(data)


_damaged = damaged


def iter_raw_lines(
    path: str, *, source: str | None = None, on_chunk: Callable[[bytes], None] | None = None
) -> Iterator[RawLine]:
    """Yield the lines of ``path`` (plain, gzip, zstd or ``-``) as :class:`RawLine`, in chunks.

    Lines are split on ``b"\\n"`` only: a ``b"\\r"`` before it stays in ``data``; empty lines count; a
    last line without ``\\n`` counts; ``line_no`` is 1-based. Binary content yields lines too.

    Parameters
    ----------
    path
        File path or ``-`` for standard input.
    source
        The name recorded in each line; defaults to ``path`` as given.
    on_chunk
        Called with the bytes of each chunk as read (decompressed), before the lines it completes are
        yielded: the chunks joined are exactly the input's bytes, so a second consumer (an archive writer)
        needs no second read.

    Raises
    ------
    InputError
        On a missing or unreadable file (raised at once, before iteration) or damaged compressed data.
    """
    check_readable(path)
    return _iter_lines(path, path if source is None else source, on_chunk)


def _pollable(fh: BinaryIO) -> int | None:
    """The descriptor to wait on with ``select`` before each read of ``fh`` (plain standard input that is a pipe
    or a terminal), else None."""
    if not isinstance(fh, _NoClose):
        return None
    try:
        fd = sys.stdin.fileno()
        return None if stat.S_ISREG(os.fstat(fd).st_mode) else fd
    except (OSError, ValueError, AttributeError):
        return None


def _is_archive(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(LKZ_MAGIC)) == LKZ_MAGIC
    except OSError:
        return False


def _archive_chunks(path: str) -> Iterator[bytes]:
    """The original bytes of the ``.lkz`` archive ``path``, a block at a time (every block checked first)."""
    from logkit.compress.api import checked_blocks
    from logkit.compress.archive import decode_lines

    with checked_blocks(path) as blocks:
        for b in blocks:
            yield decode_lines(b, path)


def _chunks(path: str, tick: float | None = None) -> Generator[bytes, None, None]:
    """The (decompressed) bytes of ``path`` a chunk at a time; damaged compressed data is an InputError.

    With ``tick``, standard input read from a pipe gives an empty chunk whenever nothing came for ``tick``
    seconds, so a reader can act on the clock while the pipe is quiet.
    """
    if path != "-" and _is_archive(path):  # a logkit archive: its original bytes, a block at a time
        yield from _archive_chunks(path)
        return
    fh = open_binary(path)
    # read1: what is there now (at most one system read), so a pipe's lines flow as they arrive
    read = getattr(fh, "read1", fh.read)
    fd = _pollable(fh) if tick is not None else None
    first = True  # the first read takes what the check of the magic number buffered: no wait before it
    try:
        while True:
            if fd is not None and not first:
                try:
                    ready = select.select([fd], [], [], tick)[0]
                except (OSError, ValueError):
                    ready, fd = [fd], None
                if not ready:
                    yield b""
                    continue
            first = False
            try:
                chunk = read(CHUNK_SIZE)
            except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
                raise _damaged(path, exc) from None
            except Exception as exc:  # zstandard.ZstdError
                if type(exc).__module__.startswith("zstandard"):
                    raise _damaged(path, exc) from None
                raise
            if not chunk:
                return
            yield chunk
    finally:
        fh.close()


def iter_chunks(path: str, *, tick: float | None = None) -> Generator[bytes, None, None]:
    """The bytes of ``path`` as they can be read (an archive's original bytes, decompressed .gz/.zst, standard
    input as it arrives); with ``tick``, a quiet pipe gives ``b""`` every ``tick`` seconds. Close it when done."""
    return _chunks(path, tick)


def _iter_lines(path: str, source: str, on_chunk: Callable[[bytes], None] | None = None) -> Iterator[RawLine]:
    line_no = 0
    pending: list[bytes] = []  # pieces of a line longer than a chunk
    chunks = _chunks(path)
    try:
        for chunk in chunks:
            if on_chunk is not None:
                on_chunk(chunk)
            parts = chunk.split(b"\n")
            if len(parts) == 1:
                pending.append(chunk)
                continue
            if pending:
                pending.append(parts[0])
                parts[0] = b"".join(pending)
                pending = []
            last = parts.pop()
            for data in parts:
                line_no += 1
                yield new_raw_line(source, line_no, data, 1)
            if last:
                pending.append(last)
        if pending:
            line_no += 1
            yield RawLine(source, line_no, b"".join(pending))
    finally:
        chunks.close()


def decode_lines(block: bytes, encoding: str | None = None) -> list[str]:
    """The lines of ``block`` (split on ``\\n``) as text, each as :func:`logkit.records.decode` gives it: one
    decoding for the whole block when it is all UTF-8 (the same text as line by line: ``\\n`` always ends an
    invalid byte sequence)."""
    if encoding is None:
        try:
            return block.decode("utf-8").split("\n")
        except UnicodeDecodeError:
            pass
    return [decode(line, encoding) for line in block.split(b"\n")]


def iter_text_blocks(path: str, *, on_chunk: Callable[[bytes], None] | None = None, tick: float | None = None,
                     encoding: str | None = None) -> Iterator[tuple[list[str], int]]:
    """The lines of ``path`` as :func:`iter_raw_lines` splits them, decoded (:func:`decode_lines`), a
    chunk's worth at a time: the cheap way to read a file's text when line numbers are not needed.

    Each block comes with the bytes its lines take, counting a newline after each (a last line without
    one too), as ``len(raw.data) + 1`` summed over the same lines gives.

    ``on_chunk`` as in :func:`iter_raw_lines`. With ``tick``, a pipe quiet for that many seconds
    gives an empty block (see :func:`_chunks`).
    """
    check_readable(path)
    return _iter_blocks(path, on_chunk, tick, encoding)


def _iter_blocks(path: str, on_chunk: Callable[[bytes], None] | None = None,
                 tick: float | None = None, encoding: str | None = None) -> Iterator[tuple[list[str], int]]:
    pending: list[bytes] = []  # the tail of the chunks read so far after their last newline
    chunks = _chunks(path, tick)
    try:
        for chunk in chunks:
            if not chunk:  # a quiet pipe: the clock ticks
                yield [], 0
                continue
            if on_chunk is not None:
                on_chunk(chunk)
            cut = chunk.rfind(b"\n")
            if cut < 0:
                pending.append(chunk)
                continue
            if pending:
                pending.append(chunk[:cut])
                block = b"".join(pending)
                pending = []
            else:
                block = chunk[:cut]
            if cut + 1 < len(chunk):
                pending.append(chunk[cut + 1 :])
            yield decode_lines(block, encoding), len(block) + 1
        if pending:
            last = b"".join(pending)
            yield [decode(last, encoding)], len(last) + 1
    finally:
        chunks.close()


def is_log_archive(path: str) -> bool:
    """Whether ``path`` is a logkit ``.lkz`` archive (by its magic number): readers then read its original lines."""
    return path != "-" and os.path.isfile(path) and _is_archive(path)


def input_bytes(paths: Sequence[str]) -> int | None:
    """The bytes the lines of ``paths`` hold, when known without reading them (plain files only)."""
    total = 0
    for path in paths:
        if path == "-":
            return None
        try:
            with open(path, "rb") as fh:
                head = fh.read(4)
                if head.startswith((_GZIP_MAGIC, _ZSTD_MAGIC, LKZ_MAGIC)):
                    return None
            total += os.path.getsize(path)
        except OSError:
            return None
    return total


def looks_binary(sample: bytes) -> bool:
    """Whether ``sample`` (the first few KiB of an input) looks like a binary file rather than a log.

    True when more than 1 % of the bytes are NUL or more than 10 % are control bytes other than tab,
    CR, LF, form feed and escape. Invalid UTF-8 alone is not binary (Latin-1 logs exist).
    """
    if not sample:
        return False
    nul = sample.count(0)
    if nul * 100 > len(sample):
        return True
    controls = len(sample.translate(None, _CONTROL_DELETE))
    return controls * 10 > len(sample)
