"""Archives are read block by block (bounded memory) and damage is found before any output."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from logkit.compress.api import checked_blocks, decompress_file
from logkit.compress.archive import compress_bytes, decode_lines, iter_stream_blocks
from logkit.errors import ArchiveError

DATA = b"".join(b"2024-02-%02d 11:%02d:%02d job %d took %d ms on node-%d\n"
                % (1 + i // 900, i // 60 % 60, i % 60, i, (i * 31) % 977, i % 9) for i in range(3000))


class CountingReader(io.BytesIO):
    """A BytesIO that remembers the largest single read."""

    largest = 0

    def read(self, n: int | None = -1) -> bytes:
        got = super().read(n)
        self.largest = max(self.largest, len(got))
        return got


def test_blocks_are_read_one_at_a_time() -> None:
    archive = compress_bytes(DATA, block_lines=200)
    src = CountingReader(archive)
    blocks = list(iter_stream_blocks(src, "x"))
    assert len(blocks) == 15
    assert b"".join(decode_lines(b, "x") for b in blocks) == DATA
    assert src.largest <= max(len(b.payload) for b in blocks) + 64
    assert src.largest < len(archive) / 5


def test_damage_in_last_block_gives_no_output(tmp_path: Path) -> None:
    archive = bytearray(compress_bytes(DATA, block_lines=500))
    path = tmp_path / "a.lkz"
    index_at = int.from_bytes(archive[-16:-8], "little")
    archive[index_at - 20] ^= 0x04  # inside the last block
    path.write_bytes(bytes(archive))
    out = io.BytesIO()
    with pytest.raises(ArchiveError, match="block 6"):
        decompress_file(str(path), out)
    assert out.getvalue() == b""


def test_salvage_from_file(tmp_path: Path) -> None:
    archive = compress_bytes(DATA, block_lines=1000)
    path = tmp_path / "a.lkz.part"
    path.write_bytes(archive[:-80])  # cuts the index, the footer and the last block
    out = io.BytesIO()
    blocks, size = decompress_file(str(path), out, salvage=True)
    assert blocks == 2 and size == len(out.getvalue()) and DATA.startswith(out.getvalue())
    with checked_blocks(str(path), salvage=True) as found:
        assert [b.number for b in found] == [1, 2]


def test_templates_of_an_archive_are_those_of_its_log(tmp_path: Path) -> None:
    """``logkit templates x.lkz`` parses the log the archive holds: the same templates, counts and ids as
    ``logkit templates x.log`` (ids join across files, archives and batch outputs)."""
    from click.testing import CliRunner

    from logkit.cli import templates

    data = DATA + b"odd \x01 verbatim line\n" + b"100% done 7\n"
    path = tmp_path / "a.lkz"
    path.write_bytes(compress_bytes(data, block_lines=700))
    log = tmp_path / "a.log"
    log.write_bytes(data)
    r = CliRunner().invoke(templates.command, [str(path), "--output-format", "jsonl"])
    assert r.exit_code == 0, r.output
    plain = CliRunner().invoke(templates.command, [str(log), "--output-format", "jsonl"])
    assert r.output == plain.output
    import json

    recs = [json.loads(line) for line in r.output.splitlines()]
    assert sum(rec["count"] for rec in recs) == data.count(b"\n")
    assert any(rec["example"] == "100% done 7" for rec in recs)


def test_rare_word_of_the_grep_benchmark() -> None:
    from logkit.bench.compress import rare_word

    data = b"".join(b"common words here %d\n" % i for i in range(500)) + b"unusual thing\n"
    assert rare_word(data) in (b"unusual", b"thing")
    assert rare_word(b"abcd\n" * 10) is None


@pytest.mark.parametrize("pattern", ["FAILED code 1", "FAILED", "11:0[0-9]:.. job", "node-[37]$", "took 9"])
def test_grep_of_rare_lines_reads_only_their_rows(pattern: str) -> None:
    import re

    from logkit.compress.query import grep_archive

    lines = DATA.split(b"\n")[:-1]
    for k in (5, 700, 1999, 2400):  # rare lines sharing the timestamp columns of the common ones
        lines[k] = lines[k].split(b" job")[0] + b" job %d FAILED code %d" % (k, k % 20)
    for k in (3, 600, 1600, 2300):  # verbatim lines (they hold the slot byte) use no column
        lines[k] = lines[k].split(b" job")[0] + b" job \x01 %d FAILED" % k
    data = b"\n".join(lines) + b"\n"
    archive = compress_bytes(data, block_lines=1500)
    got = [(h.line_no, h.line) for h in grep_archive("mem", pattern, data=archive)]
    rx = re.compile(pattern.encode())
    assert got == [(i + 1, line) for i, line in enumerate(lines) if rx.search(line)]


def test_column_specs_come_from_headers() -> None:
    from logkit.compress.columns import decode_block, encode_block

    payload, _ = encode_block(DATA.split(b"\n")[:-1] + [b"id 00042 and 7"] * 30, True)
    block = decode_block(payload)
    quick = [block.spec(c) for c in range(len(block.col_data))]
    decoded = [decode_block(payload)._values(c)[1] for c in range(len(block.col_data))]
    assert quick == decoded and b"%05d" in quick


def _letters(i: int) -> bytes:
    out = b""
    for _ in range(3):
        out += bytes([97 + i % 26])
        i //= 26
    return out


@pytest.mark.parametrize("pattern", ["code kab", "happened", "zz 1[0-9]$", "node kaa"])
def test_grep_with_hundreds_of_templates(pattern: str) -> None:
    """Two-byte template ids: the line masks are built byte plane by byte plane."""
    import re

    from logkit.compress.columns import decode_block, member_mask
    from logkit.compress.query import grep_archive

    lines = [b"2024-01-01 10:%02d:%02d node %s happened %d zz %d" % (i // 60 % 60, i % 60, _letters(i % 400), i, i % 50)
             for i in range(2000)]
    lines[777] = b"2024-01-01 10:12:57 code kab rare \x01 %d" % 5
    data = b"\n".join(lines)
    archive = compress_bytes(data)
    got = [(h.line_no, h.line) for h in grep_archive("mem", pattern, data=archive)]
    rx = re.compile(pattern.encode())
    assert got == [(i + 1, line) for i, line in enumerate(lines) if rx.search(line)]
    block = decode_block(next(iter_stream_blocks(io.BytesIO(archive))).payload)
    assert block.id_width == 2
    members = {0, 3, 258, 399, 401}
    assert member_mask(block, members) == bytes(int(t in members) for t in block.tids)


def test_archive_read_from_a_pipe(tmp_path: Path) -> None:
    import os
    import threading

    archive = compress_bytes(DATA, block_lines=1000)
    fifo = tmp_path / "in.lkz"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as fh:
            fh.write(archive)

    writer = threading.Thread(target=feed)
    writer.start()
    out = io.BytesIO()
    try:
        assert decompress_file(str(fifo), out) == (3, len(DATA))
    finally:
        writer.join(timeout=10)
    assert out.getvalue() == DATA
