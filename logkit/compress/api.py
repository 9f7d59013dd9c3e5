"""File-level compression API: compress a log into a ``.lkz`` archive, decompress it, describe it."""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from logkit.compress.archive import (
    DEFAULT_BLOCK_BYTES,
    DEFAULT_BLOCK_LINES,
    VERSION,
    ArchiveWriter,
    decode_lines,
    iter_stream_blocks,
    part_path,
)
from logkit.errors import ArchiveError, InputError
from logkit.fsutil import check_not_input, is_special_file, make_folder, resolve_target
from logkit.records import TemplateInfo

__all__ = [
    "CompressResult",
    "compress_file",
    "decompress_file",
    "read_archive",
    "open_archive",
    "checked_blocks",
    "archive_info",
    "archive_summary",
    "archive_templates",
    "is_archive",
]


STREAM_BLOCK_S = 3.0  # a stream (standard input) closes a block at least this often: kill -9 loses no more
STREAM_TICK_S = 0.5  # how often a quiet stream wakes up to check the clock


@dataclass
class CompressResult:
    """What :func:`compress_file` wrote: sizes in bytes, and the size of each part before packing.

    ``interrupted``: SIGINT/SIGTERM ended the input early; the archive is complete and holds every line read.
    """

    archive: str
    raw_bytes: int
    archive_bytes: int
    lines: int
    blocks: int
    parts: dict[str, int] = field(default_factory=dict)
    interrupted: bool = False

    @property
    def ratio(self) -> float:
        """Original bytes per archive byte."""
        return self.raw_bytes / self.archive_bytes if self.archive_bytes else 0.0


def compress_file(
    input_path: str,
    archive: str | os.PathLike[str] | None = None,
    *,
    format_spec: str = "auto",
    block_lines: int = DEFAULT_BLOCK_LINES,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
    force: bool = False,
    block_seconds: float = STREAM_BLOCK_S,
) -> CompressResult:
    """Compress ``input_path`` (a path, ``.gz``/``.zst`` by magic, or ``-``) into ``archive``.

    Blocks are appended to ``ARCHIVE.part`` as they fill; the finished archive is renamed onto
    ``archive``. If the writer is killed, ``ARCHIVE.part`` keeps every finished block (read it with
    ``decompress --salvage``). Standard input is read as it arrives and closes a block at least every
    ``block_seconds`` while lines come, so a killed stream loses at most that. SIGINT/SIGTERM finish the
    archive with every line read and rename it into place (``interrupted`` in the result).

    ``archive`` ``"-"`` writes the archive to standard output. An existing archive is replaced only with
    ``force`` (like gzip). ``format_spec`` is validated but not needed: the tokenizer finds header fields by
    itself (they become columns shared by all templates).
    """
    from logkit.parse.formats import compile_format
    from logkit.parse.sources import check_readable

    if format_spec not in ("auto", "none"):
        compile_format(format_spec)  # a bad spec is a clear FormatError, even though we do not need it
    if archive is None:
        if input_path == "-":
            raise InputError("compressing standard input needs -o ARCHIVE (there is no file name to use)")
        archive = input_path + ".lkz"
    check_readable(input_path)
    if str(archive) == "-":
        writer, interrupted = _compress_to(input_path, sys.stdout.buffer, block_lines, block_bytes, block_seconds)
        return _result("-", writer, 0, interrupted)
    check_not_input(archive, [input_path])
    target = resolve_target(archive)
    if is_special_file(target):  # /dev/null, a FIFO: written in place
        with open(target, "wb") as out:
            writer, interrupted = _compress_to(input_path, out, block_lines, block_bytes, block_seconds)
        return _result(str(archive), writer, 0, interrupted)
    if target.exists() and not force:
        raise ArchiveError(f"{archive} exists; give --force to replace it, or another -o path")
    tmp = part_path(target)
    if tmp.exists():
        raise ArchiveError(
            f"{tmp} exists (left by an interrupted run): recover it with 'logkit decompress --salvage {tmp}',"
            " or delete it"
        )
    make_folder(target.parent)  # a missing output folder is created, as for every other output
    try:
        with open(tmp, "xb") as out:
            writer, interrupted = _compress_to(input_path, out, block_lines, block_bytes, block_seconds)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        # a crash keeps the .part (salvageable); a clean error removes it
        if not isinstance(sys.exc_info()[1], (KeyboardInterrupt, SystemExit)):
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    return _result(str(archive), writer, target.stat().st_size, interrupted)


def _result(name: str, writer: Any, size: int, interrupted: bool) -> CompressResult:
    return CompressResult(
        archive=name,
        raw_bytes=writer.raw_total,
        archive_bytes=size or writer.offset,
        lines=sum(n for _, n, _ in writer.index),
        blocks=len(writer.index),
        parts=dict(writer.sizes),
        interrupted=interrupted,
    )


def _compress_to(input_path: str, out: IO[bytes], block_lines: int, block_bytes: int,
                 block_seconds: float) -> tuple[ArchiveWriter, bool]:
    """Write the archive of ``input_path`` to ``out``; returns the closed writer and whether SIGINT/SIGTERM
    ended the input (the archive is complete either way)."""
    from logkit.interrupts import Interrupts
    from logkit.parse.sources import iter_chunks

    stream = input_path == "-"
    interrupted = False
    with Interrupts() as signals:
        writer = ArchiveWriter(out, block_lines=block_lines, block_bytes=block_bytes)
        chunks = iter_chunks(input_path, tick=STREAM_TICK_S if stream else None)
        try:
            for chunk in chunks:  # a quiet stream gives b"" every tick: the clock is checked then too
                with signals.shield():
                    writer.write(chunk)
                    if stream:
                        writer.flush_older_than(block_seconds)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            with signals.shield(raise_after=False):
                chunks.close()
                writer.close()  # also after an error: the .part is removed then, or stays salvageable
    return writer, interrupted


@contextlib.contextmanager
def _archive_errors(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn the OS errors of opening or reading an archive file into one-line :class:`InputError`s."""
    try:
        yield
    except FileNotFoundError:
        raise InputError(f"{path}: no such archive; check the path") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not an archive") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None


def read_archive(path: str | os.PathLike[str]) -> bytes:
    """The bytes of an archive file; raises :class:`InputError` when it cannot be read."""
    with _archive_errors(path):
        return Path(path).read_bytes()


def open_archive(path: str | os.PathLike[str]) -> IO[bytes]:
    """Open an archive file for reading; raises :class:`InputError` when it cannot be opened."""
    with _archive_errors(path):
        return open(path, "rb")  # noqa: SIM115 (the caller closes it)


@contextlib.contextmanager
def checked_blocks(archive: str, *, salvage: bool = False, data: bytes | None = None) -> Iterator[Iterator[Any]]:
    """The blocks of ``archive`` (or of ``data``, its bytes), one at a time, after a first pass has checked
    every block's frame checksum: damage anywhere is reported before anything is decoded, and memory stays
    bounded by one block whatever the archive's size."""
    import io

    if data is None and archive == "-":  # standard input: its bytes are held, as a pipe cannot be read twice
        data = sys.stdin.buffer.read()
    src = io.BytesIO(data) if data is not None else open_archive(archive)
    if not src.seekable():  # a pipe (/dev/stdin): its bytes are held, as they cannot be read twice
        with src:
            src = io.BytesIO(src.read())
    with src:
        good = sum(1 for _ in iter_stream_blocks(src, str(archive), salvage=salvage))
        yield itertools.islice(iter_stream_blocks(src, str(archive), salvage=salvage), good)


def decompress_file(archive: str, out: IO[bytes], *, salvage: bool = False) -> tuple[int, int]:
    """Write the original bytes of ``archive`` to ``out``, block by block; returns ``(blocks, bytes)``.

    Every block's frame checksum is verified before anything is written, so a damaged archive gives an
    :class:`ArchiveError` naming the block and no output. With ``salvage``, the finished blocks of an
    incomplete archive are written and the rest is skipped.
    """
    total = blocks = 0
    with checked_blocks(archive, salvage=salvage) as found:
        for b in found:
            raw = decode_lines(b, str(archive))
            out.write(raw)
            total += len(raw)
            blocks += 1
    return blocks, total


def archive_info(archive: str) -> dict[str, Any]:
    """Sizes and counts of an archive: per part (templates, ids, columns, raw lines), ratio, version."""
    from logkit.compress.columns import decode_block, read_templates

    parts: dict[str, int] = {}
    lines = raw = templates = blocks = payloads = 0
    data = sys.stdin.buffer.read() if archive == "-" else None
    with checked_blocks(archive, data=data) as found:
        for b in found:
            try:
                head, tmpls = read_templates(b.payload)
                block = decode_block(b.payload)
            except Exception:
                raise ArchiveError(f"{archive}: block {b.number} is damaged (cannot be decoded)") from None
            blocks += 1
            payloads += len(b.payload)
            templates += len(tmpls)
            lines += b.n_lines
            raw += b.raw_len
            packed = {
                "templates (packed)": head[5],
                "ids + columns + verbatim lines (packed)": len(b.payload) - head[5],
                "templates (before packing)": head[4],
                "template ids (before packing)": b.n_lines * head[3],
                "verbatim lines (before packing)": len(b"\n".join(block.raw)),
                "numeric columns (before packing)": sum(len(c) for c in block.col_data if c[:1] != b"\x00"),
                "string columns (before packing)": sum(len(c) for c in block.col_data if c[:1] == b"\x00"),
                "columns (count)": len(block.col_data),
            }
            for k, v in packed.items():
                parts[k] = parts.get(k, 0) + v
    size = len(data) if data is not None else os.path.getsize(archive)
    parts["container (header, frames, index, footer)"] = size - payloads
    return {
        "archive": str(archive),
        "version": VERSION,
        "blocks": blocks,
        "lines": lines,
        "templates": templates,
        "original_bytes": raw,
        "archive_bytes": size,
        "ratio": raw / size if size else 0.0,
        "parts": parts,
    }


def is_archive(path: str) -> bool:
    """Whether ``path`` is a file that starts with the ``.lkz`` magic number."""
    from logkit.parse.sources import is_log_archive

    return is_log_archive(path)


def archive_templates(archive: str) -> list[TemplateInfo]:
    """The templates of an archive with their counts and first line as example, in order of first use.

    Slots are written ``<*>``; the same template in several blocks is counted once. Lines stored
    verbatim (they hold the slot byte) are listed together as template ``t0``.
    """
    from logkit.compress.columns import RAW, SLOT, block_lines, decode_block
    from logkit.records import decode

    found: dict[bytes | None, list[Any]] = {}  # template bytes (None: verbatim lines) -> [count, example]
    with checked_blocks(archive) as blocks:
        for b in blocks:
            try:
                block = decode_block(b.payload)
                lines = block_lines(block)
            except Exception:
                raise ArchiveError(f"{archive}: block {b.number} is damaged (cannot be decoded)") from None
            first: dict[int, int] = {}
            for i, t in enumerate(block.tids):
                first.setdefault(t, i)
            counts: dict[int, int] = {}
            for t in block.tids:
                counts[t] = counts.get(t, 0) + 1
            for t, i in sorted(first.items(), key=lambda kv: kv[1]):
                key = None if t == RAW else block.templates[t - 1]
                entry = found.setdefault(key, [0, lines[i]])
                entry[0] += counts[t]
    out: list[TemplateInfo] = []
    for n, (key, (count, example)) in enumerate(sorted(found.items(), key=lambda kv: kv[0] is None), 1):
        out.append(TemplateInfo(
            template_id="t0" if key is None else f"t{n}",
            template="<verbatim lines>" if key is None else decode(key.replace(SLOT, b"<*>")),
            count=count,
            example=decode(example),
        ))
    return out


def archive_summary(archive: str) -> Any:
    """:func:`archive_templates` as the ``TemplateSummary`` that ``logkit templates`` lists."""
    from logkit.parse.summary import TemplateSummary

    infos = archive_templates(archive)
    return TemplateSummary(infos, sum(t.count for t in infos), "archive")
