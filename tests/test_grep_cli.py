"""`logkit grep` behaves as grep: exit 0/1/2, -v -o -w -l -c -n -i -A -B -C, on archives, logs and '-'."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from logkit.cli import cli
from logkit.compress import compress_bytes

LOG = b"alpha one\nbeta two\nerror three\nfoo\nbar\nbaz\nError seven\nqux\nerrors nine\n"


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    plain = tmp_path / "g.log"
    plain.write_bytes(LOG)
    gz = tmp_path / "g.log.gz"
    gz.write_bytes(gzip.compress(LOG))
    lkz = tmp_path / "g.lkz"
    lkz.write_bytes(compress_bytes(LOG))
    return {"plain": plain, "gz": gz, "lkz": lkz}


def _grep(*args: str, input: bytes | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["grep", *args], input=input)


# (options, expected output) as GNU grep prints them for LOG
CASES = [
    (["-n", "error"], b"3:error three\n9:errors nine\n"),
    (["-i", "-w", "error"], b"error three\nError seven\n"),
    (["-v", "-c", "e"], b"4\n"),
    (["-v", "-n", "e"], b"4:foo\n5:bar\n6:baz\n8:qux\n"),
    (["-o", "-i", "err[a-z]*"], b"error\nError\nerrors\n"),
    (["-n", "-C", "1", "error"], b"2-beta two\n3:error three\n4-foo\n--\n8-qux\n9:errors nine\n"),
    (["-A", "1", "-B", "2", "seven"], b"bar\nbaz\nError seven\nqux\n"),
    (["-F", "-c", "a"], b"4\n"),
]


@pytest.mark.parametrize(("args", "want"), CASES)
@pytest.mark.parametrize("kind", ["plain", "gz", "lkz", "stdin"])
def test_grep_prints_what_grep_prints(inputs, kind: str, args: list[str], want: bytes) -> None:
    r = _grep(*args, "-", input=LOG) if kind == "stdin" else _grep(*args, str(inputs[kind]))
    assert r.exit_code == 0, r.output
    assert r.stdout_bytes == want


def test_exit_codes_and_names(inputs) -> None:
    assert _grep("nothing here", str(inputs["lkz"])).exit_code == 1
    missing = _grep("error", str(inputs["plain"]) + ".nope")
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    bad = _grep("(unclosed", str(inputs["plain"]))
    assert bad.exit_code == 2
    both = _grep("-l", "seven", str(inputs["plain"]), str(inputs["lkz"]), str(inputs["plain"]) + ".nope")
    assert both.exit_code == 2  # an input failed: 2 even though lines matched, as grep does
    assert both.stdout_bytes == f"{inputs['plain']}\n{inputs['lkz']}\n".encode()
    quiet = _grep("-q", "seven", str(inputs["gz"]))
    assert quiet.exit_code == 0 and quiet.stdout_bytes == b""
    assert _grep("-c", "three", str(inputs["plain"]), str(inputs["lkz"])).stdout_bytes == \
        f"{inputs['plain']}:1\n{inputs['lkz']}:1\n".encode()


def test_verbose_after_grep_is_global_and_v_inverts(inputs) -> None:
    r = _grep("-v", "e", str(inputs["lkz"]), "--verbose")
    assert r.exit_code == 0 and r.stdout_bytes == b"foo\nbar\nbaz\nqux\n"


def test_grep_and_info_read_a_pipe(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "logkit", "grep", "-i", "-n", "seven", "-"], input=LOG,
                          capture_output=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout == b"7:Error seven\n"
    proc = subprocess.run([sys.executable, "-m", "logkit", "grep", "zzz", "-"], input=LOG, capture_output=True,
                          timeout=60)
    assert proc.returncode == 1
    proc = subprocess.run([sys.executable, "-m", "logkit", "info", "-"], input=compress_bytes(LOG),
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)  # a pipe gets JSON, not the table
    assert info["lines"] == 9 and info["original_bytes"] == len(LOG)
