"""`logkit parse --follow` as a process: records flow as lines are appended; SIGTERM ends it cleanly."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time


def test_follow_flushes_each_record_and_stops_on_sigterm(tmp_path) -> None:
    log = tmp_path / "app.log"
    log.write_text("2024-01-01 10:00:01 INFO svc: request 1 took 10ms\n")
    out = tmp_path / "out.jsonl"
    with subprocess.Popen(
        [sys.executable, "-m", "logkit", "parse", str(log), "--follow", "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    ) as proc:
        time.sleep(1.0)
        with log.open("a") as fh:
            fh.write("2024-01-01 10:00:02 INFO svc: request 2 took 20ms\n")
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130, err
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["line"] for r in recs] == [1, 2]
    assert recs[0]["template_id"] == recs[1]["template_id"]


def test_stdin_stream_flushes_records_as_they_come(tmp_path) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "logkit", "parse", "-", "--format", "none"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        for i in range(60):  # past the 50 lines --format auto would wait for
            proc.stdin.write(f"job {i} done in {i}ms\n".encode())
        proc.stdin.flush()
        first = proc.stdout.readline()  # arrives while stdin is still open
        assert json.loads(first)["line"] == 1
        proc.stdin.close()
        rest = proc.stdout.read()  # the same buffered reader as readline (communicate would skip its buffer)
        proc.wait(timeout=10)
    assert proc.returncode == 0
    assert len(rest.splitlines()) == 59
