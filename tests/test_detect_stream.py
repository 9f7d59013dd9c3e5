"""Streaming detection: each closed window is emitted within a second of its last line, at 10k lines/s."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from logkit.detect.api import detect, load_model, train
from logkit.detect.grouping import parse_grouping

WINDOW = 100
RATE = 10_000  # lines per second
SECONDS = 1.5


def _line(i: int) -> str:
    kind = ("open", "read", "write", "close")[i % 4]
    return f"2024-01-01 10:00:{i // RATE % 60:02d} INFO store: {kind} file f{i % 97} size {i % 1000}\n"


def _model(tmp_path: Path) -> Path:
    (tmp_path / "train.log").write_text("".join(_line(i) for i in range(2000)))
    train(str(tmp_path / "train.log"), tmp_path / "m", grouping=parse_grouping(None, str(WINDOW)))
    return tmp_path / "m"


def test_stdin_windows_are_emitted_within_a_second_at_10k_lines_per_second(tmp_path: Path) -> None:
    model = _model(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-m", "logkit", "detect", "-", "--model", str(model),
                             "--output-format", "jsonl"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    written: dict[str, float] = {}
    received: dict[str, float] = {}

    def writer() -> None:
        assert proc.stdin is not None
        start = time.monotonic()
        burst = RATE // 100  # every 10 ms
        n = 0
        while n < RATE * SECONDS:
            proc.stdin.write("".join(_line(n + k) for k in range(burst)).encode())
            proc.stdin.flush()
            n += burst
            now = time.monotonic()
            for w in range((n - burst) // WINDOW + 1, n // WINDOW + 1):
                written[f"w{w}"] = now
            time.sleep(max(0.0, start + n / RATE - time.monotonic()))
        proc.stdin.close()

    t = threading.Thread(target=writer)
    t.start()
    with proc.stdout:
        for raw in proc.stdout:
            received[json.loads(raw)["group"]] = time.monotonic()
    t.join()
    assert proc.wait(timeout=30) == 0
    assert len(received) == RATE * SECONDS // WINDOW
    warm = min(received.values()) + 0.3  # after start-up (imports, model load)
    lat = sorted(received[w] - written[w] for w in written if written[w] >= warm)
    assert len(lat) >= 50
    assert lat[-1] < 1.0, f"slowest window took {lat[-1]:.2f} s (median {lat[len(lat) // 2]:.3f} s)"


def test_follow_reads_parse_jsonl_and_stops(tmp_path: Path) -> None:
    model = _model(tmp_path)
    from logkit.parse.api import Parser, Source, to_record

    lines = [_line(i).rstrip("\n") for i in range(250)]
    recs = [to_record(p) for p in Parser().parse(Source.lines(iter(lines), name="app.log"))]
    (tmp_path / "parsed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    until = time.monotonic() + 1.0

    def stop() -> bool:
        return time.monotonic() > until

    from logkit.detect.reading import InputInfo, read_events

    info = InputInfo()
    evs = list(read_events(str(tmp_path / "parsed.jsonl"), follow=True, stop=stop, info=info))
    assert info.kind == "parsed" and [e.template for e in evs] == [r["template"] for r in recs]
    until = time.monotonic() + 1.0
    out = list(detect(str(tmp_path / "parsed.jsonl"), load_model(model), follow=True, stop=stop))
    assert [r["group"] for r in out] == ["w1", "w2", "w3"] and [r["lines"] for r in out] == [100, 100, 50]


def _slow_pipe(model: Path, lines: list[str], pause: float) -> tuple[list[tuple[str, float]], float, int]:
    """``logkit detect -`` fed ``lines`` at once, then a quiet pipe for ``pause`` seconds before it closes:
    the records with the seconds each took after the lines were written, and the exit code."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-m", "logkit", "detect", "-", "--model", str(model),
                             "--output-format", "jsonl"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    got: list[tuple[str, float]] = []
    time.sleep(1.5)  # start-up (imports, model load) before any line comes
    sent = time.monotonic()
    proc.stdin.write("".join(lines).encode())
    proc.stdin.flush()

    def read() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            got.append((json.loads(raw)["group"], time.monotonic() - sent))

    t = threading.Thread(target=read)
    t.start()
    time.sleep(pause)
    quiet = list(got)
    proc.stdin.close()
    t.join(timeout=30)
    proc.stdout.close()
    return quiet, sent, proc.wait(timeout=30)


def test_a_quiet_pipe_gets_its_closed_windows_at_once(tmp_path: Path) -> None:
    """Fewer lines than the format detection samples, then nothing: the windows they close are emitted while
    the pipe stays open (auto format decides by the clock; the head peek does not wait for more lines)."""
    from logkit.parse.api import Parser, Source, to_record

    model = tmp_path / "m"
    # trained from parse records: no parser state, so the header format of raw input is detected (auto)
    recs = [to_record(p) for p in Parser().parse(Source.lines([_line(i).rstrip("\n") for i in range(2000)]))]
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    m = train(str(tmp_path / "train.jsonl"), model, grouping=parse_grouping(None, "4"))
    assert m.format_spec == "auto" and not (model / "parser_state.json").exists()
    quiet, _, rc = _slow_pipe(model, [_line(i) for i in range(9)], pause=3.0)
    assert rc == 0
    assert [g for g, _ in quiet] == ["w1", "w2"], quiet  # the 9th line opens w3, which closes with the input
    assert max(s for _, s in quiet) < 2.5


def test_a_quiet_pipe_of_parse_records_is_scored_as_it_comes(tmp_path: Path) -> None:
    model = tmp_path / "m"
    (tmp_path / "train.log").write_text("".join(_line(i) for i in range(2000)))
    train(str(tmp_path / "train.log"), model, grouping=parse_grouping(None, "4"))
    from logkit.parse.api import Parser, Source, to_record

    recs = [to_record(p) for p in Parser().parse(Source.lines([_line(i).rstrip("\n") for i in range(9)]))]
    quiet, _, rc = _slow_pipe(model, [json.dumps(r) + "\n" for r in recs], pause=2.0)
    assert rc == 0 and [g for g, _ in quiet] == ["w1", "w2"], quiet
