"""``logkit grep``: the same lines as decompress | grep -E, in order, with the template filter."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from logkit.cli import grep
from logkit.compress.archive import compress_bytes
from logkit.compress.query import grep_archive, required_literals

LINES = [
    b"2024-03-01 12:00:%02d INFO Server: request %d from 10.0.0.%d ok" % (i % 60, i, i % 9)
    for i in range(400)
] + [
    b"2024-03-01 12:01:00 ERROR Server: request 77 failed: Timeout after 30 s",
    b"odd \x01 line with Timeout",
    b"2024-03-01 12:01:01 WARN Disk: 95% used on /dev/sda1\r",
]
DATA = b"\n".join(LINES)


def _expected(pattern: str, flags: int = 0) -> list[tuple[int, bytes]]:
    rx = re.compile(pattern.encode(), flags)
    return [(i + 1, line) for i, line in enumerate(LINES) if rx.search(line)]


@pytest.mark.parametrize(
    "pattern",
    ["Timeout", "request 7[0-9] from", "10\\.0\\.0\\.3 ok$", "^2024.*WARN", "ERROR|WARN", "request 77 ",
     "used on /dev/sda1", "(from|failed)", "x?y*", "95%", "12:00:0[12]", "sda1\r", "[[:digit:]]{3} from"],
)
def test_grep_equals_full_scan(pattern: str) -> None:
    archive = compress_bytes(DATA, block_lines=64)
    got = [(h.line_no, h.line) for h in grep_archive("mem", pattern, data=archive)]
    want = _expected(pattern.replace("[[:digit:]]", "[0-9]"))
    assert got == want


def test_fixed_and_ignore_case() -> None:
    archive = compress_bytes(DATA, block_lines=64)
    got = [h.line_no for h in grep_archive("mem", "timeout", fixed=True, ignore_case=True, data=archive)]
    assert got == [401, 402]
    got = [h.line_no for h in grep_archive("mem", "10.0.0.3", fixed=True, data=archive)]
    assert got == [i + 1 for i, line in enumerate(LINES) if b"10.0.0.3" in line]


def test_required_literals() -> None:
    assert required_literals("error.*timeout") == [b"error", b"timeout"]
    assert required_literals("a|b") == []
    assert required_literals("ab?c") == [b"a", b"c"]
    assert required_literals("x\\.y[0-9]+z") == [b"x.y", b"z"]
    assert required_literals("a.b", fixed=True) == [b"a.b"]


def test_cli_grep(tmp_path: Path) -> None:
    path = tmp_path / "a.lkz"
    path.write_bytes(compress_bytes(DATA))
    r = CliRunner().invoke(grep.command, ["-n", "Timeout", str(path)])
    assert r.exit_code == 0
    assert r.stdout_bytes == b"401:" + LINES[400] + b"\n402:" + LINES[401] + b"\n"
    r = CliRunner().invoke(grep.command, ["-c", "INFO", str(path), str(path)])
    assert r.stdout_bytes == (f"{path}:400\n" * 2).encode()
    r = CliRunner().invoke(grep.command, ["no such thing", str(path)])
    assert r.exit_code == 1 and r.stdout_bytes == b""


HEX_LINES = [
    b"job %d blk_%08x@cafe%04d done, id=%012x ok" % (i, 0x3A5B0000 + i * 7919, i, 0xDEADBEEF00 + i)
    for i in range(200)
] + [b"plain deadbeef words and 12ab34cd56 here", b"cafebabe12345678 at line start"]


@pytest.mark.parametrize(
    "pattern",
    ["deadbeef0a", "3a5b[0-9a-f]+@", "=00deadbeef", "ef05 ok", "deadbeef words", "12ab34cd56",
     "cafebabe1234", "@cafe0042", "id=[0-9a-f]+", "5678 at"],
)
def test_grep_finds_text_inside_hex_words(pattern: str) -> None:
    data = b"\n".join(HEX_LINES)
    archive = compress_bytes(data, block_lines=50)
    got = [(h.line_no, h.line) for h in grep_archive("mem", pattern, data=archive)]
    rx = re.compile(pattern.encode())
    want = [(i + 1, line) for i, line in enumerate(HEX_LINES) if rx.search(line)]
    assert got == want
    assert want
