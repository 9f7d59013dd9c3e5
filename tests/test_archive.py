"""The .lkz container: exact round trips of any bytes, damage detection, salvage of a killed writer."""

from __future__ import annotations

import io
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logkit.compress.archive import (
    ArchiveWriter,
    compress_bytes,
    decompress_bytes,
)
from logkit.errors import ArchiveError

SAMPLE = b"".join(
    b"2024-01-%02d 10:%02d:%02d INFO [worker-%d] job %d finished in %d ms from 10.0.%d.%d:%d\n"
    % (1 + i // 500, i // 60 % 60, i % 60, i % 7, 1000 + i, (i * 37) % 900, i % 5, i % 250, 40000 + i)
    for i in range(2000)
) + b"WARN odd line with \x01 control, 100% sure\r\nno final newline 42"

EDGE_CASES = [
    b"",
    b"\n",
    b"\n\n\n",
    b"x",
    b"no newline at end 12",
    b"crlf 1\r\ncrlf 2\r\n",
    b"bad utf8 \xff\xfe\xc3 7\n",
    b"nul \x00 byte 3\n\x00\n",
    b"\x01\x01 5\n7 \x01\n7 8\n",
    b"percent %s %d %% 5\n",
    b"a" * 5000 + b"\n",
    b"0 00 007 0x1f 123456789012345678901234567890 -5 1.50\n" * 3,
]


@pytest.mark.parametrize("data", EDGE_CASES)
def test_round_trip_edge_cases(data: bytes) -> None:
    assert decompress_bytes(compress_bytes(data)) == data
    assert decompress_bytes(compress_bytes(data, block_lines=1)) == data


def test_round_trip_many_blocks() -> None:
    archive = compress_bytes(SAMPLE, block_lines=300)
    assert decompress_bytes(archive) == SAMPLE
    assert len(archive) * 10 < len(SAMPLE)


def test_chunking_does_not_matter() -> None:
    out = io.BytesIO()
    w = ArchiveWriter(out, block_lines=128)
    rnd = random.Random(1)
    pos = 0
    while pos < len(SAMPLE):
        step = rnd.randint(1, 3000)
        w.write(SAMPLE[pos : pos + step])
        pos += step
    w.close()
    assert decompress_bytes(out.getvalue()) == SAMPLE


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400), st.integers(min_value=1, max_value=5))
def test_round_trip_arbitrary_bytes(data: bytes, block_lines: int) -> None:
    assert decompress_bytes(compress_bytes(data, block_lines=block_lines)) == data


line_text = st.lists(
    st.one_of(st.sampled_from(["INFO", "ERROR", " ", "=", ":", "/", "-", "\r", "%"]),
              st.integers(0, 10**22).map(str), st.text(max_size=5)),
    max_size=12,
).map("".join)


@settings(max_examples=100, deadline=None)
@given(st.lists(line_text, max_size=30), st.booleans())
def test_round_trip_log_like_text(lines: list[str], final_newline: bool) -> None:
    data = "\n".join(lines).encode("utf-8", "surrogatepass") + (b"\n" if final_newline else b"")
    assert decompress_bytes(compress_bytes(data, block_lines=7)) == data


def test_every_bit_flip_is_detected() -> None:
    data = SAMPLE[:20000]
    archive = compress_bytes(data, block_lines=100)
    rnd = random.Random(7)
    positions = rnd.sample(range(len(archive)), min(300, len(archive)))
    for pos in positions:
        damaged = bytearray(archive)
        damaged[pos] ^= 1 << rnd.randrange(8)
        with pytest.raises(ArchiveError) as err:
            decompress_bytes(bytes(damaged))
        message = str(err.value)
        assert "\n" not in message


def test_damage_names_the_block() -> None:
    archive = bytearray(compress_bytes(SAMPLE, block_lines=500))
    archive[len(archive) // 2] ^= 0x10
    with pytest.raises(ArchiveError, match=r"block \d+"):
        decompress_bytes(bytes(archive))


@pytest.mark.parametrize("cut", [1, 5, 17, 100, 1000])
def test_truncation_is_detected_and_salvage_reads_finished_blocks(cut: int) -> None:
    archive = compress_bytes(SAMPLE, block_lines=400)
    with pytest.raises(ArchiveError):
        decompress_bytes(archive[:-cut])
    salvaged = decompress_bytes(archive[:-cut], salvage=True)
    assert SAMPLE.startswith(salvaged)


def test_killed_writer_leaves_finished_blocks() -> None:
    out = io.BytesIO()
    w = ArchiveWriter(out, block_lines=100)
    w.write(SAMPLE)  # never closed: as if killed
    partial = out.getvalue()
    with pytest.raises(ArchiveError, match="salvage"):
        decompress_bytes(partial)
    got = decompress_bytes(partial, salvage=True)
    assert got and SAMPLE.startswith(got)
    assert got.count(b"\n") == (SAMPLE.count(b"\n") // 100) * 100


def test_not_an_archive_and_other_version() -> None:
    with pytest.raises(ArchiveError, match="not a logkit archive"):
        decompress_bytes(b"hello world, not an archive at all")
    archive = bytearray(compress_bytes(b"a 1\n"))
    archive[4] = 99
    with pytest.raises(ArchiveError, match="version 99"):
        decompress_bytes(bytes(archive))
