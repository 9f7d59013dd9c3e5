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
        for i in range(60):  # past the 20 lines --format auto would wait for
            proc.stdin.write(f"job {i} done in {i}ms\n".encode())
        proc.stdin.flush()
        first = proc.stdout.readline()  # arrives while stdin is still open
        assert json.loads(first)["line"] == 1
        proc.stdin.close()
        rest = proc.stdout.read()  # the same buffered reader as readline (communicate would skip its buffer)
        proc.wait(timeout=10)
    assert proc.returncode == 0
    assert len(rest.splitlines()) == 59


def _read_line_within(stream, seconds: float) -> bytes:  # type: ignore[no-untyped-def]
    """One line from a pipe, or b"" when none came within ``seconds`` (the pipe stays open)."""
    import threading

    got: list[bytes] = []
    t = threading.Thread(target=lambda: got.append(stream.readline()), daemon=True)
    t.start()
    t.join(seconds)
    return got[0] if got else b""


def test_stdin_answers_each_line_while_the_pipe_stays_open() -> None:
    """A slow pipe: with a format given, each record comes out before the next line is written; with
    --format auto, lines that stop coming before 20 are decided a second after the first one."""
    spec = "<Date> <Time> <Level> <Component>: <Content>"
    for args, wait in ((["--format", spec], 5.0), ([], 5.0)):
        with subprocess.Popen([sys.executable, "-m", "logkit", "parse", "-", *args], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
            assert proc.stdin is not None and proc.stdout is not None
            lines = []
            for i in range(3):
                proc.stdin.write(f"2024-01-01 10:00:0{i} INFO svc.a: request {i} done in {7 * i}ms\n".encode())
                proc.stdin.flush()
                if args:  # a known format: the record of this line before the next line exists
                    lines.append(_read_line_within(proc.stdout, wait))
            started = time.monotonic()
            while len(lines) < 3:
                line = _read_line_within(proc.stdout, wait)
                if not line:
                    break
                lines.append(line)
            late = time.monotonic() - started
            proc.stdin.close()
            proc.wait(timeout=10)
        recs = [json.loads(x) for x in lines if x]
        assert [r["line"] for r in recs] == [1, 2, 3], args
        assert recs[2]["fields"]["Level"] == "INFO" and recs[2]["timestamp"] == "2024-01-01T10:00:02"
        assert late < wait
