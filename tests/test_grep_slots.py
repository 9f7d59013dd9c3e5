"""Grep's row filter on column values: the same lines as a full scan, for literals across slots."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logkit.compress.archive import compress_bytes
from logkit.compress.query import compile_pattern, grep_archive, required_literals
from logkit.compress.slots import WILD, literal_forms


def _lines(seed: int, n: int = 600) -> list[bytes]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        ip = b"%d.%d.%d.%d" % (rnd.choice([10, 201, 192]), rnd.randint(0, 9), rnd.randint(0, 60), rnd.randint(0, 99))
        ts = b"2024-03-%02d %02d:%02d:%02d.%03d" % (1 + i // 300, rnd.randint(0, 23), rnd.randint(0, 59),
                                                     rnd.randint(0, 59), rnd.randint(0, 999))
        kind = rnd.randrange(6)
        if kind == 0:
            out.append(ts + b" INFO [client " + ip + b"] request %d took %dms" % (i, rnd.randint(1, 5000)))
        elif kind == 1:
            out.append(ts + b" WARN session 0x%08x%04X id=%s" % (rnd.getrandbits(32), rnd.getrandbits(16),
                                                                 b"%x" % rnd.getrandbits(40)))
        elif kind == 2:
            out.append(ts + b" ERROR jk2_init() child %d in slot %d\r" % (rnd.randint(1, 9999), rnd.randint(0, 12)))
        elif kind == 3:
            out.append(b"port=%d user%03d code %s" % (rnd.randint(1, 65535), rnd.randint(0, 999),
                                                      rnd.choice([b"0x1F", b"007", b"70", b"abc"])))
        elif kind == 4:
            out.append(b"odd \x01 line %d" % i)
        else:
            out.append(b"")
    return out


LINES = _lines(1)
ARCHIVE = compress_bytes(b"\n".join(LINES), block_lines=150)


def _want(pattern: str, fixed: bool = False, ignore_case: bool = False) -> list[tuple[int, bytes]]:
    rx = compile_pattern(pattern, fixed=fixed, ignore_case=ignore_case)
    return [(i + 1, line) for i, line in enumerate(LINES) if rx.search(line)]


def _got(pattern: str, fixed: bool = False, ignore_case: bool = False) -> list[tuple[int, bytes]]:
    return [(h.line_no, h.line) for h in grep_archive("mem", pattern, fixed=fixed, ignore_case=ignore_case,
                                                         data=ARCHIVE)]


@pytest.mark.parametrize("pattern", [
    "201.6", "201\\.6\\.", "\\.5\\]", "1\\.2", ":0[0-9]:", "12:3", "2024-03-02 0", "took 4[0-9]ms", "slot 1[0-2]",
    "child 7", "t 3", "ms$", "9\r", "user00", "code 0", "0x1f", "f0", "=a", "port=8.*user", "[0-9]{4}ms",
    "03-01 23:59", "1.", ".7", "8.8.8", "session 0x0", "0 I", "99]", "x1F$", "id=a", "()9", "2\\)",
])
@pytest.mark.parametrize("ignore_case", [False, True])
def test_extended_patterns_match_a_full_scan(pattern: str, ignore_case: bool) -> None:
    assert _got(pattern, ignore_case=ignore_case) == _want(pattern, ignore_case=ignore_case)


@pytest.mark.parametrize("pattern", ["201.6.", "12:3", "] request 1", "jk2_init() child 1", "0X", "ab", "=1"])
@pytest.mark.parametrize("ignore_case", [False, True])
def test_fixed_patterns_match_a_full_scan(pattern: str, ignore_case: bool) -> None:
    assert _got(pattern, fixed=True, ignore_case=ignore_case) == _want(pattern, fixed=True, ignore_case=ignore_case)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(LINES) - 1), st.integers(0, 40), st.integers(1, 12), st.booleans(), st.booleans(),
       st.sampled_from([None, ".", "[0-9]"]))
def test_substrings_of_lines(row: int, start: int, size: int, fixed: bool, ignore_case: bool,
                             hole: str | None) -> None:
    """A piece of a real line (maybe with one character made a wildcard) finds what a full scan finds."""
    piece = LINES[row][start : start + size].decode("latin-1")
    if not piece or "\n" in piece:
        return
    pattern = piece if fixed else re.escape(piece)
    if hole and not fixed and len(piece) > 2:
        pattern = re.escape(piece[:1]) + hole + re.escape(piece[2:])
    assert _got(pattern, fixed=fixed, ignore_case=ignore_case) == _want(pattern, fixed=fixed,
                                                                         ignore_case=ignore_case)


def test_wildcards_stay_in_literals() -> None:
    assert required_literals("201.6.53", wild=True) == [b"201\x006\x0053"]
    assert required_literals("a.*b", wild=True) == [b"a", b"b"]
    assert required_literals("a.b", fixed=True, wild=True) == [b"a.b"]


def test_literal_forms_split_digits_into_slots() -> None:
    forms = literal_forms(b"x12:3", ignore_case=False)
    assert forms is not None and len(forms) == 1
    (form,) = forms
    assert [m.start() for m in form.template.finditer(b"a x\x01:\x01 b x\x01-\x01")] == [2]
    assert [t.pattern for t in form.tests] == [b"\\A12\\Z", b"\\A3"]
    assert form.exact == (b"12", None)
    # a wildcard between digits may join them into one value, or stand for template text
    wild = literal_forms(bytes([0x31, WILD, 0x32]), ignore_case=False)
    assert wild is not None and sorted(len(f.tests) for f in wild) == [1, 2]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 10**17), min_size=1, max_size=80), st.booleans(), st.data())
def test_column_rows_without_decoding(values: list[int], fixed: bool, data: st.DataObject) -> None:
    """Rows of a delta-coded column read from plane sums, and the length bound, agree with a full decode."""
    from logkit.compress import codecs
    from logkit.compress.codecs import decode_column, decode_values_at, encode_column, width_bound

    if data.draw(st.booleans()):
        values = sorted(values)  # a counter or a timestamp: stored as deltas
    width = max(len(str(v)) for v in values)
    texts = [(str(v).zfill(width) if fixed else str(v)).encode() for v in values]
    enc = encode_column(texts)
    assert decode_column(enc, len(texts)) == texts
    positions = sorted(set(data.draw(st.lists(st.integers(0, len(texts) - 1), max_size=6))))
    for few in (0, 64):  # plane sums, or a full decode
        codecs.FEW_ROWS, saved = few, codecs.FEW_ROWS
        try:
            vals, spec = decode_values_at(enc, len(texts), positions)
        finally:
            codecs.FEW_ROWS = saved
        assert [spec % v for v in vals] == [texts[p] for p in positions]
    top = width_bound(enc, len(texts))
    assert top is None or top >= width


@pytest.mark.parametrize("pattern", [
    "^$", "x*", "ERROR|WARN", "s\\s", "[^a-z]$", "^[0-9]", "ms$|^port", "\\s", "line [0-9]+$", "(ok|took)",
    "[[:space:]]{2}", "\r$",
])
def test_whole_block_search_matches_a_full_scan(pattern: str) -> None:
    """Patterns without a literal search each block's whole text; matches that run past a line's end
    (``\\s`` takes the newline) are checked on their line alone."""
    assert _got(pattern) == _want(pattern.replace("[[:space:]]", "[ \\t\\r\\n\\v\\f]"))


def test_rows_are_not_filtered_past_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    from logkit.compress import query

    monkeypatch.setattr(query, "ALIGN_BUDGET", 10**9)  # no place is allowed: every block is searched whole
    for pattern in ["201.6", "12:3", "took 4[0-9]ms", "x1F$"]:
        assert _got(pattern) == _want(pattern)


def test_rows_of_a_column_map_to_their_lines() -> None:
    from logkit.compress.archive import iter_blocks
    from logkit.compress.columns import decode_block
    from logkit.compress.slots import RowFinder

    data = compress_bytes(b"\n".join(_lines(3, 2000)), block_lines=2000)
    (info,) = list(iter_blocks(data))
    finder = RowFinder(decode_block(info.payload))
    for cid in range(len(finder.block.col_data)):
        lines = list(finder.column_lines(cid))
        rows = sorted({0, len(lines) // 3, len(lines) // 2, len(lines) - 1}) if lines else []
        assert list(finder.lines_of_rows(cid, rows)) == [lines[r] for r in rows]  # few rows: chunk counts
        assert list(finder.lines_of_rows(cid, list(range(len(lines))))) == lines


@pytest.mark.parametrize("args", [
    ["-n", "201.6"], ["-c", "12:3"], ["-n", "-F", "] request 1"], ["-i", "-n", "SESSION 0X0"], ["-c", "-F", "=1"],
    ["-n", "-i", "x1f$"], ["-n", "took [0-9]{4}ms"], ["-c", "-E", "jk2_init\\(\\) child 1[0-9]"], ["-n", "^$"],
])
def test_cli_output_equals_system_grep(args: list[str], tmp_path: Path) -> None:
    """``logkit grep ARGS A`` prints what ``logkit decompress A | grep ARGS`` prints, byte for byte."""
    import shutil
    import subprocess

    from click.testing import CliRunner

    from logkit.cli import grep

    system = shutil.which("grep")
    if system is None:
        pytest.skip("no grep on this system")
    raw = b"\n".join(LINES)
    path = tmp_path / "a.lkz"
    path.write_bytes(ARCHIVE)
    flags = args[:-1] if "-F" in args or "-E" in args else ["-E", *args[:-1]]
    want = subprocess.run([system, *flags, args[-1]], input=raw, capture_output=True, env={"LC_ALL": "C"},
                          check=False)
    got = CliRunner().invoke(grep.command, [*args, str(path)])
    assert got.exit_code == want.returncode
    assert got.stdout_bytes == want.stdout
