"""SIGINT/SIGTERM and kill -9 on real processes: streamed archives and Parquet files keep every line read."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from logkit.compress.api import decompress_file


def _lines(n: int, start: int = 0) -> bytes:
    return b"".join(f"2024-01-01 10:00:{i % 60:02d} INFO svc: request {i} took {i % 97}ms\n".encode()
                    for i in range(start, start + n))


def _logkit(*args: str, **kw) -> subprocess.Popen:  # type: ignore[no-untyped-def,type-arg]
    return subprocess.Popen([sys.executable, "-m", "logkit", *args], stderr=subprocess.PIPE, **kw)


def _original(archive, salvage: bool = False) -> bytes:  # type: ignore[no-untyped-def]
    import io

    buf = io.BytesIO()
    decompress_file(str(archive), buf, salvage=salvage)
    return buf.getvalue()


def test_ctrl_c_on_a_streamed_archive_keeps_every_line(tmp_path) -> None:
    """3,000 lines piped in, SIGINT 2.5 s after the last while the pipe is still open: exit 130 and a
    complete archive (not a .part) holding all 3,000 lines."""
    data = _lines(3000)
    proc = _logkit("compress", "-", "-o", str(tmp_path / "s.lkz"), stdin=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write(data)
    proc.stdin.flush()
    time.sleep(2.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert not (tmp_path / "s.lkz.part").exists()
    assert _original(tmp_path / "s.lkz") == data


def test_sigterm_on_a_streamed_archive_to_stdout(tmp_path) -> None:
    """compress - -o -: the archive goes to standard output and SIGTERM still closes it validly."""
    data = _lines(200)
    out = tmp_path / "s.lkz"
    with out.open("wb") as fh:
        proc = _logkit("compress", "-", "-o", "-", stdin=subprocess.PIPE, stdout=fh)
        assert proc.stdin is not None
        proc.stdin.write(data)
        proc.stdin.flush()
        time.sleep(1.5)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert _original(out) == data
    assert not (tmp_path / "-").exists()


def test_kill_9_loses_at_most_the_last_few_seconds(tmp_path) -> None:
    """A stream closes a block at least every 3 s while lines wait: kill -9 leaves a .part that
    --salvage reads back with the lines that came before."""
    data = _lines(500)
    proc = _logkit("compress", "-", "-o", str(tmp_path / "s.lkz"), stdin=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write(data)
    proc.stdin.flush()
    time.sleep(5.0)
    proc.kill()
    proc.communicate(timeout=20)
    part = tmp_path / "s.lkz.part"
    assert part.exists()
    assert _original(part, salvage=True) == data


def test_run_follow_interrupted_keeps_a_valid_archive_and_parquet(tmp_path) -> None:
    import pyarrow.parquet as pq

    log = tmp_path / "f.log"
    log.write_bytes(_lines(300))
    proc = _logkit("run", str(log), "--archive", str(tmp_path / "a.lkz"), "--parsed", str(tmp_path / "p.parquet"),
                   "--follow", stdout=subprocess.DEVNULL)
    time.sleep(2.0)
    with log.open("ab") as fh:
        fh.write(_lines(100, 300))
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert not (tmp_path / "a.lkz.part").exists()
    assert _original(tmp_path / "a.lkz") == log.read_bytes()
    table = pq.read_table(tmp_path / "p.parquet")
    assert table.column("line").to_pylist() == list(range(1, 401))


def test_parse_stream_interrupted_keeps_the_records_written(tmp_path) -> None:
    out = tmp_path / "p.jsonl"
    proc = _logkit("parse", "-", "--format", "none", "-o", str(out), stdin=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write(_lines(50))
    proc.stdin.flush()
    time.sleep(2.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["line"] for r in recs] == list(range(1, 51))
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
