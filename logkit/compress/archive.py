"""The ``.lkz`` container: header, checksummed blocks appended as they fill, an index and a footer.

Layout (all integers little-endian or LEB128 varints)::

    header   b"LKZ\\x89" | version u8 | flags u8 (0) | reserved u16 (0)
    block*   b"B" | varint payload length | varint n_lines | varint raw length | u32 crc32 of the
             original bytes | payload | u32 crc32 of everything from b"B" to the payload's end
    index    b"I" | varint n_blocks | per block: varint offset, n_lines, raw length | u32 crc32
    footer   u64 index offset | u32 crc32 of the 8 offset bytes | b"LKZE"

A writer killed before the index leaves every finished block readable (:func:`iter_blocks` with
``salvage=True``); a damaged byte anywhere is reported as an :class:`ArchiveError` naming the block.
"""

from __future__ import annotations

import io
import os
import struct
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from logkit.compress.codecs import get_varint, put_varint
from logkit.compress.columns import block_text, decode_block, encode_block
from logkit.errors import ArchiveError

__all__ = [
    "MAGIC",
    "VERSION",
    "BlockInfo",
    "ArchiveWriter",
    "iter_blocks",
    "iter_stream_blocks",
    "read_index",
    "decode_lines",
    "compress_bytes",
    "decompress_bytes",
]

MAGIC = b"LKZ\x89"
END = b"LKZE"
VERSION = 2  # 2: column keys ignore short words, joined digit fields, hex-word slots, unsigned deltas
HEADER = MAGIC + bytes([VERSION, 0, 0, 0])
FOOTER_LEN = 16
DEFAULT_BLOCK_LINES = 200_000
DEFAULT_BLOCK_BYTES = 32 << 20


@dataclass(frozen=True, slots=True)
class BlockInfo:
    """One block as found in the archive: its number (1-based), position, and payload."""

    number: int
    offset: int
    n_lines: int
    raw_len: int
    raw_crc: int
    payload: bytes


class ArchiveWriter:
    """Append blocks of lines to a binary stream; :meth:`close` writes the index and footer.

    Parameters
    ----------
    out:
        A writable binary stream positioned at its start (a file or ``io.BytesIO``).
    block_lines, block_bytes:
        A block is written when either limit is reached (memory stays bounded by them).
    """

    def __init__(
        self,
        out: BinaryIO | IO[bytes],
        *,
        block_lines: int = DEFAULT_BLOCK_LINES,
        block_bytes: int = DEFAULT_BLOCK_BYTES,
    ) -> None:
        self.out = out
        self.block_lines = block_lines
        self.block_bytes = block_bytes
        self.offset = 0
        self.index: list[tuple[int, int, int]] = []
        self.sizes: dict[str, int] = {}
        self.raw_total = 0
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._tail = b""  # a line not yet ended by "\n"
        self._pending_since = 0.0  # time.monotonic() when the first line of the next block came
        self._write(HEADER)

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.offset += len(data)

    def write(self, data: bytes) -> None:
        """Feed raw bytes (any chunking); full blocks are encoded and written as they fill."""
        if not data:
            return
        parts = (self._tail + data).split(b"\n")
        self._tail = parts.pop()
        if parts and not self._pending:
            self._pending_since = time.monotonic()
        for line in parts:
            self._pending.append(line)
            self._pending_bytes += len(line) + 1
            if len(self._pending) >= self.block_lines or self._pending_bytes >= self.block_bytes:
                self._flush_block(final_newline=True)
        if len(self._tail) >= self.block_bytes:
            # a giant line without "\n" yet: keep memory bounded by storing it as its own block
            self._pending.append(self._tail)
            self._tail = b""
            self._flush_block(final_newline=False)

    def _flush_block(self, final_newline: bool) -> None:
        lines = self._pending
        if not lines:
            return
        raw = b"\n".join(lines) + (b"\n" if final_newline else b"")
        payload, sizes = encode_block(lines, final_newline)
        for k, v in sizes.items():
            self.sizes[k] = self.sizes.get(k, 0) + v
        frame = bytearray(b"B")
        put_varint(frame, len(payload))
        put_varint(frame, len(lines))
        put_varint(frame, len(raw))
        frame += struct.pack("<I", zlib.crc32(raw))
        frame += payload
        frame += struct.pack("<I", zlib.crc32(frame))
        self.index.append((self.offset, len(lines), len(raw)))
        self.raw_total += len(raw)
        self._write(bytes(frame))
        self.out.flush()
        self._pending = []
        self._pending_bytes = 0

    @property
    def pending_lines(self) -> int:
        """Complete lines gathered for the next block (not yet written)."""
        return len(self._pending)

    def flush_older_than(self, seconds: float) -> bool:
        """Write the lines gathered so far as a block when the first of them came ``seconds`` ago or more (a
        stream calls this as lines come and while it is quiet: a killed writer loses at most that long)."""
        if self._pending and time.monotonic() - self._pending_since >= seconds:
            self.flush()
            return True
        return False

    def flush(self) -> None:
        """Write the lines gathered so far as a block (a ``tail -f`` writer may call this when idle)."""
        self._flush_block(final_newline=True)

    def close(self) -> None:
        """Write the last block (its last line may lack ``\\n``), the index and the footer."""
        if self._tail:
            self._pending.append(self._tail)
            self._tail = b""
            self._flush_block(final_newline=False)
        else:
            self._flush_block(final_newline=True)
        index_at = self.offset
        idx = bytearray(b"I")
        put_varint(idx, len(self.index))
        for off, n, raw_len in self.index:
            put_varint(idx, off)
            put_varint(idx, n)
            put_varint(idx, raw_len)
        idx += struct.pack("<I", zlib.crc32(idx))
        self._write(bytes(idx))
        where = struct.pack("<Q", index_at)
        self._write(where + struct.pack("<I", zlib.crc32(where)) + END)
        self.out.flush()


def _check_header(data: bytes, name: str) -> None:
    if len(data) < len(HEADER) or data[:4] != MAGIC:
        raise ArchiveError(f"{name} is not a logkit archive (no LKZ magic number); give a .lkz file")
    if data[4] != VERSION:
        raise ArchiveError(
            f"{name} is a logkit archive of format version {data[4]}; this logkit reads version {VERSION}"
            + (" (upgrade logkit)" if data[4] > VERSION else " (decompress it with the logkit that wrote it)")
        )
    if data[5:8] != b"\x00\x00\x00":
        raise ArchiveError(f"{name}: damaged archive header (bytes 5-8); the file cannot be trusted")


def _read_at(src: BinaryIO | IO[bytes], pos: int, n: int) -> bytes:
    src.seek(pos)
    return src.read(n)


def _index_from(src: BinaryIO | IO[bytes], name: str) -> tuple[list[tuple[int, int, int]], int]:
    """The block index and the index's offset, read from the footer of a seekable archive."""
    size = src.seek(0, io.SEEK_END)
    _check_header(_read_at(src, 0, len(HEADER)), name)
    tail = _read_at(src, max(0, size - FOOTER_LEN), FOOTER_LEN)
    if size < len(HEADER) + FOOTER_LEN + 5 or tail[-4:] != END:
        raise ArchiveError(
            f"{name} is truncated or damaged (no footer): a writer may have been stopped;"
            " recover the finished blocks with 'logkit decompress --salvage'"
        )
    off_bytes = tail[:8]
    if struct.unpack("<I", tail[8:12])[0] != zlib.crc32(off_bytes):
        raise ArchiveError(f"{name}: the footer is damaged (checksum mismatch); try --salvage")
    (index_at,) = struct.unpack("<Q", off_bytes)
    end = size - FOOTER_LEN
    if not len(HEADER) <= index_at < end - 4:
        raise ArchiveError(f"{name}: the block index is damaged; try --salvage")
    data = _read_at(src, index_at, end - index_at)
    body = data[:-4]
    if body[:1] != b"I" or struct.unpack("<I", data[-4:])[0] != zlib.crc32(body):
        raise ArchiveError(f"{name}: the block index is damaged (checksum mismatch); try --salvage")
    try:
        n, pos = get_varint(body, 1)
        out = []
        for _ in range(n):
            off, pos = get_varint(body, pos)
            nl, pos = get_varint(body, pos)
            rl, pos = get_varint(body, pos)
            out.append((off, nl, rl))
    except ValueError:
        raise ArchiveError(f"{name}: the block index is damaged; try --salvage") from None
    if pos != len(body):
        raise ArchiveError(f"{name}: the block index is damaged; try --salvage")
    return out, index_at


def read_index(data: bytes, name: str = "archive") -> list[tuple[int, int, int]]:
    """The block index ``[(offset, n_lines, raw_len)]`` read from the footer; raises on damage."""
    return _index_from(io.BytesIO(data), name)[0]


def _parse_frame(frame: bytes, pos: int, number: int, name: str) -> BlockInfo:
    """Check one whole frame (``frame`` holds exactly its bytes, found at ``pos``)."""
    where = f"{name}: block {number} (byte {pos})"
    if frame[:1] != b"B":
        raise ArchiveError(f"{where} is damaged (bad block marker)")
    try:
        plen, p = get_varint(frame, 1)
        nl, p = get_varint(frame, p)
        rl, p = get_varint(frame, p)
    except ValueError:
        raise ArchiveError(f"{where} is truncated") from None
    end = p + 4 + plen + 4
    if end != len(frame):
        raise ArchiveError(f"{where} is truncated or its length is damaged")
    if struct.unpack("<I", frame[end - 4 : end])[0] != zlib.crc32(frame[: end - 4]):
        raise ArchiveError(f"{where} is damaged (checksum mismatch)")
    (raw_crc,) = struct.unpack("<I", frame[p : p + 4])
    return BlockInfo(number, pos, nl, rl, raw_crc, frame[p + 4 : end - 4])


def _read_frame(
    src: BinaryIO | IO[bytes], pos: int, limit: int, number: int, name: str
) -> tuple[BlockInfo, int]:
    """Read and check the frame at ``pos`` of a stream (its length comes from its own header); returns
    the block and the frame's length."""
    head = _read_at(src, pos, 31)
    try:
        plen, p = get_varint(head, 1)
        for _ in range(2):
            _, p = get_varint(head, p)
    except ValueError:
        raise ArchiveError(f"{name}: block {number} (byte {pos}) is truncated") from None
    n = p + 8 + plen
    if pos + n > limit:
        raise ArchiveError(f"{name}: block {number} (byte {pos}) is truncated or its length is damaged")
    frame = head + src.read(n - len(head)) if n > len(head) else head[:n]
    return _parse_frame(frame, pos, number, name), n


def iter_stream_blocks(
    src: BinaryIO | IO[bytes], name: str = "archive", *, salvage: bool = False
) -> Iterator[BlockInfo]:
    """Yield the blocks of a seekable archive stream one at a time (memory bounded by a block) after
    checking their checksums.

    Without ``salvage`` the footer and index must be intact and agree with the blocks. With it, blocks
    are read from the start until the first one that is incomplete or damaged (then iteration stops).
    """
    if salvage:
        size = src.seek(0, io.SEEK_END)
        _check_header(_read_at(src, 0, len(HEADER)), name)
        pos = len(HEADER)
        number = 1
        while pos < size and _read_at(src, pos, 1) == b"B":
            try:
                info, n = _read_frame(src, pos, size, number, name)
            except ArchiveError:
                return
            yield info
            pos += n
            number += 1
        return
    index, index_at = _index_from(src, name)
    for number, (off, nl, rl) in enumerate(index, 1):
        nxt = index[number][0] if number < len(index) else index_at
        if not len(HEADER) <= off < nxt <= index_at or (number == 1 and off != len(HEADER)):
            raise ArchiveError(f"{name}: block {number} is not where the index says (damaged archive)")
        info = _parse_frame(_read_at(src, off, nxt - off), off, number, name)
        if (info.n_lines, info.raw_len) != (nl, rl):
            raise ArchiveError(f"{name}: block {number} does not match the index (damaged archive)")
        yield info
    if not index and index_at != len(HEADER):
        raise ArchiveError(f"{name}: unexpected bytes before the index (damaged archive)")


def iter_blocks(data: bytes, name: str = "archive", *, salvage: bool = False) -> Iterator[BlockInfo]:
    """Yield the blocks of archive bytes after checking their checksums (see :func:`iter_stream_blocks`)."""
    return iter_stream_blocks(io.BytesIO(data), name, salvage=salvage)


def decode_lines(info: BlockInfo, name: str = "archive") -> bytes:
    """The original bytes of one block, checked against its stored checksum."""
    try:
        block = decode_block(info.payload)
        raw = block_text(block) + (b"\n" if block.final_newline else b"")
    except ArchiveError:
        raise
    except Exception:  # any decoding failure of a damaged payload (lzma, numpy, index errors)
        raise ArchiveError(f"{name}: block {info.number} is damaged (cannot be decoded)") from None
    if len(raw) != info.raw_len or zlib.crc32(raw) != info.raw_crc or block.n_lines != info.n_lines:
        raise ArchiveError(f"{name}: block {info.number} is damaged (content checksum mismatch)")
    return raw


def compress_stream(
    src: BinaryIO | IO[bytes],
    out: BinaryIO | IO[bytes],
    *,
    block_lines: int = DEFAULT_BLOCK_LINES,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
    chunk: int = 1 << 20,
) -> ArchiveWriter:
    """Compress everything readable from ``src`` into ``out``; returns the closed writer (for sizes)."""
    writer = ArchiveWriter(out, block_lines=block_lines, block_bytes=block_bytes)
    try:
        while True:
            data = src.read(chunk)
            if not data:
                break
            writer.write(data)
    finally:
        # also on KeyboardInterrupt: what was read is written and the archive stays valid
        writer.close()
    return writer


def compress_bytes(data: bytes, **kwargs: int) -> bytes:
    """In-memory twin of compression: the archive bytes of ``data``."""
    buf = io.BytesIO()
    compress_stream(io.BytesIO(data), buf, **kwargs)
    return buf.getvalue()


def decompress_bytes(archive: bytes, *, salvage: bool = False, name: str = "archive") -> bytes:
    """In-memory twin of decompression: the original bytes (or those of the finished blocks)."""
    return b"".join(decode_lines(b, name) for b in iter_blocks(archive, name, salvage=salvage))


def write_blocks(blocks: Iterable[bytes], out: IO[bytes]) -> int:
    """Write decoded blocks to ``out``; returns the number of bytes written."""
    total = 0
    for raw in blocks:
        out.write(raw)
        total += len(raw)
    return total


def part_path(archive: str | os.PathLike[str]) -> Path:
    """Where a writer keeps an unfinished archive: ``ARCHIVE.part`` beside it."""
    p = Path(archive)
    return p.with_name(p.name + ".part")
