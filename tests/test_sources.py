"""Sources: line splitting, compressed inputs by magic, stdin, and one-line errors."""

from __future__ import annotations

import gzip
import io
import os
import sys

import pytest
import zstandard

from logkit.errors import InputError
from logkit.parse.sources import CHUNK_SIZE, iter_raw_lines, looks_binary, open_binary


def _lines(path) -> list[tuple[int, bytes]]:
    return [(r.line_no, r.data) for r in iter_raw_lines(str(path))]


def test_crlf_empty_lines_and_no_final_newline(tmp_path) -> None:
    p = tmp_path / "a.log"
    p.write_bytes(b"one\r\n\ntwo\r\n\nlast")
    assert _lines(p) == [(1, b"one\r"), (2, b""), (3, b"two\r"), (4, b""), (5, b"last")]


def test_final_newline_adds_no_empty_line(tmp_path) -> None:
    p = tmp_path / "a.log"
    p.write_bytes(b"a\nb\n")
    assert _lines(p) == [(1, b"a"), (2, b"b")]
    (tmp_path / "empty.log").write_bytes(b"")
    assert _lines(tmp_path / "empty.log") == []
    (tmp_path / "nl.log").write_bytes(b"\n")
    assert _lines(tmp_path / "nl.log") == [(1, b"")]


def test_nul_bytes_invalid_utf8_and_source(tmp_path) -> None:
    p = tmp_path / "b.log"
    p.write_bytes(b"x\x00y\n\xff\xfe bad\n")
    out = list(iter_raw_lines(str(p), source="alias"))
    assert [r.data for r in out] == [b"x\x00y", b"\xff\xfe bad"]
    assert {r.source for r in out} == {"alias"}
    assert list(iter_raw_lines(str(p)))[0].source == str(p)


def test_lines_longer_than_a_chunk(tmp_path) -> None:
    big = b"A" * (CHUNK_SIZE + 12345)
    p = tmp_path / "big.log"
    p.write_bytes(b"head\n" + big + b"\n" + b"B" * (1 << 20) + b"\ntail")
    out = _lines(p)
    assert [n for n, _ in out] == [1, 2, 3, 4]
    assert out[1][1] == big and len(out[2][1]) == 1 << 20 and out[3][1] == b"tail"


def test_chunk_boundary_on_newline(tmp_path) -> None:
    data = b"x" * (CHUNK_SIZE - 1) + b"\n" + b"y\n"
    p = tmp_path / "c.log"
    p.write_bytes(data)
    assert [len(d) for _, d in _lines(p)] == [CHUNK_SIZE - 1, 1]


def test_gzip_and_zstd_by_magic_not_name(tmp_path) -> None:
    text = b"first\nsecond\r\nthird"
    g = tmp_path / "plain.txt"  # gzip content under a misleading name
    g.write_bytes(gzip.compress(text[:7]) + gzip.compress(text[7:]))  # two members
    z = tmp_path / "z.log"
    cctx = zstandard.ZstdCompressor()
    z.write_bytes(cctx.compress(text[:7]) + cctx.compress(text[7:]))  # two frames
    fake = tmp_path / "fake.gz"  # a .gz name with plain content
    fake.write_bytes(text)
    for p in (g, z, fake):
        assert _lines(p) == [(1, b"first"), (2, b"second\r"), (3, b"third")], p
    with open_binary(str(z)) as fh:
        assert fh.read() == text


def test_damaged_gzip_is_input_error(tmp_path) -> None:
    p = tmp_path / "cut.gz"
    p.write_bytes(gzip.compress(b"line\n" * 1000)[:40])
    with pytest.raises(InputError, match="damaged or truncated"):
        list(iter_raw_lines(str(p)))


def test_stdin(monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(b"a\r\nb"))))
    out = list(iter_raw_lines("-"))
    assert [(r.source, r.line_no, r.data) for r in out] == [("-", 1, b"a\r"), ("-", 2, b"b")]


def test_stdin_gzip(monkeypatch) -> None:
    raw = io.BufferedReader(io.BytesIO(gzip.compress(b"z1\nz2\n")))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(raw))
    assert [r.data for r in iter_raw_lines("-")] == [b"z1", b"z2"]
    assert not raw.closed


def test_missing_file_and_folder_are_input_errors(tmp_path) -> None:
    with pytest.raises(InputError, match="no such file") as exc:
        iter_raw_lines(str(tmp_path / "nope.log"))  # raised at once, before iterating
    assert "\n" not in str(exc.value)
    with pytest.raises(InputError, match="is a folder"):
        open_binary(str(tmp_path))


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads everything")
def test_permission_denied(tmp_path) -> None:
    p = tmp_path / "secret.log"
    p.write_bytes(b"x\n")
    p.chmod(0)
    with pytest.raises(InputError, match="permission denied"):
        open_binary(str(p))


def test_binary_file_yields_lines(tmp_path) -> None:
    blob = bytes(range(256)) * 64
    p = tmp_path / "blob.bin"
    p.write_bytes(blob)
    out = list(iter_raw_lines(str(p)))
    assert b"\n".join(r.data for r in out) == blob
    assert looks_binary(blob[:8192])


def test_looks_binary() -> None:
    assert not looks_binary(b"")
    assert not looks_binary(b"2024-01-01 INFO ok\n\tat x\r\n\x1b[31mred\x1b[0m\n" * 50)
    assert not looks_binary("caf\xe9 latin-1 text\n".encode("latin-1") * 50)
    assert looks_binary(b"ELF\x00\x00\x00\x01" + b"abc" * 30)
    assert looks_binary(bytes(range(32)) * 10)
