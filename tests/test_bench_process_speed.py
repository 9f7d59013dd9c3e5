"""Whole-process speed timings of ``logkit bench parse --speed`` (on a tiny synthetic folder)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from logkit.bench import drain3_baseline
from logkit.bench.drain3_baseline import main as drain3_main
from logkit.bench.parse import bench_speed, speed_targets, summed_ratio
from logkit.bench.process_speed import parse_commands, time_processes
from logkit.errors import LogkitError


def test_time_processes_pairs_two_commands_and_reports_the_speedup() -> None:
    fast = [sys.executable, "-c", "pass"]
    slow = [sys.executable, "-c", "import time; time.sleep(0.3)"]
    t = time_processes(fast, slow, runs=1)
    assert 0 < t.a_seconds < t.b_seconds and t.b_seconds >= 0.3
    assert t.speedup == pytest.approx(t.b_seconds / t.a_seconds)


def test_a_failing_command_is_one_error_line() -> None:
    bad = [sys.executable, "-c", "import sys; sys.exit('no such thing')"]
    with pytest.raises(LogkitError, match="no such thing"):
        time_processes(bad, bad, runs=1)


def test_bench_speed_times_whole_processes_and_sums_the_medians(tmp_path: Path) -> None:
    spec = "<Date> <Time> <Level> <Component>: <Content>"
    (tmp_path / "loghub-2k").mkdir()
    (tmp_path / "loghub-2k" / "formats.json").write_text(json.dumps({"App": spec}))
    (tmp_path / "compress").mkdir()
    lines = [f"2024-01-0{1 + i % 9} 10:00:{i % 60:02d} INFO svc: user u{i % 7} read {i} bytes from 10.0.0.{i % 9}"
             for i in range(300)]
    (tmp_path / "compress" / "App.log").write_text("\n".join(lines) + "\n")
    rows = bench_speed(tmp_path, files=["App.log", "App.log"], runs=1)
    assert len(rows) == 2
    row = rows[0]
    assert row.lines == 300 and row.logkit_s > 0 and row.drain3_s > 0
    assert row.ratio == pytest.approx(row.drain3_s / row.logkit_s)
    total = summed_ratio(rows)
    assert total == pytest.approx(sum(r.drain3_s for r in rows) / sum(r.logkit_s for r in rows))
    (target,) = speed_targets(rows)
    assert target.value == pytest.approx(total) and target.met == (total >= 3.0)
    ours, theirs = parse_commands(str(tmp_path / "compress" / "App.log"), spec)
    assert ours[2:4] == ["logkit", "parse"] and "--format" in ours and "--format" in theirs


def test_drain3_baseline_is_one_pass_with_final_templates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the first line's cluster becomes "a <*>" only when the second line arrives: one pass, then each line
    # written with its cluster's final template
    log = tmp_path / "t.log"
    log.write_text("a 1\na 2\nb x y\n")
    assert drain3_main([str(log)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert out == [{"line": 1, "template": "a <*>"}, {"line": 2, "template": "a <*>"},
                   {"line": 3, "template": "b x y"}]
    assert not hasattr(drain3_baseline, "drain3_two_pass")
