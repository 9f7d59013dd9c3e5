"""Smaller Unix conventions (issue 23 item 8): global options after the verb, a pasteable format with -v,
train on an empty file exits 1, no endless '0/? bytes' bar, bench batch exits 1 below its target."""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from logkit.cli import cli, hoist_global_options

LOG = "".join(f"[2024-01-01 10:00:{i:02d}] [INFO] worker {i} done in {i * 3}ms\n" for i in range(30))


def test_global_options_move_before_the_verb() -> None:
    assert hoist_global_options(["parse", "x.log", "-v"]) == ["-v", "parse", "x.log"]
    assert hoist_global_options(["parse", "x.log", "--color", "never", "-q"]) == \
        ["--color", "never", "-q", "parse", "x.log"]
    assert hoist_global_options(["grep", "-v", "x", "f", "--verbose"]) == ["--verbose", "grep", "-v", "x", "f"]
    assert hoist_global_options(["grep", "x", "--", "-v"]) == ["grep", "x", "--", "-v"]


def test_verbose_after_the_verb_prints_a_format_that_pastes_into_format(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text(LOG)
    r = CliRunner().invoke(cli, ["parse", str(log), "-o", str(tmp_path / "p.jsonl"), "-v"])
    assert r.exit_code == 0, r.output
    m = re.search(r"lines match (.+)$", r.stderr.splitlines()[0])
    assert m is not None and "\\\\" not in m.group(1)  # no doubled backslashes
    (spec,) = shlex.split(m.group(1))  # what a shell makes of it when pasted
    r = CliRunner().invoke(cli, ["parse", str(log), "--format", spec, "-o", str(tmp_path / "q.jsonl"), "--verbose"])
    assert r.exit_code == 0, r.output
    assert "given: 30 of 30 lines match" in r.stderr
    assert (tmp_path / "q.jsonl").read_text() == (tmp_path / "p.jsonl").read_text()


def test_train_on_an_empty_file_is_an_input_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    r = CliRunner().invoke(cli, ["train", str(empty), "--model", str(tmp_path / "m"), "--window", "5"])
    assert r.exit_code == 1 and "empty" in r.stderr


def test_no_progress_bar_without_a_known_end(monkeypatch: pytest.MonkeyPatch) -> None:
    from logkit.cli.console import UI

    ui = UI(color="always")
    buf = io.StringIO()
    from rich.console import Console

    ui._console = Console(file=buf, force_terminal=True)
    with ui.bytes_progress(None, "parsing") as update:
        update("parsing", 10)
    assert "?" not in buf.getvalue() and buf.getvalue() == ""


def test_bench_batch_exits_1_below_its_target(monkeypatch: pytest.MonkeyPatch) -> None:
    import logkit.bench.batch as bb
    from logkit.cli.bench import batch_cmd

    result = {"files": 1, "bytes": 1e6, "largest_input_bytes": 1e6, "cpus": 2, "speedup": 1.2, "rows": [
        {"workers": w, "lines": 10, "seconds": 1.0, "lines_per_s": 10.0, "mb_per_s": 1.0, "worker_cpu_seconds": 1.0,
         "peak_rss_mb_per_worker": [50.0], "failed": 0} for w in (1, 2)]}
    monkeypatch.setattr(bb, "bench_batch", lambda *a, **k: result)
    monkeypatch.setattr("logkit.bench.compress.default_files", lambda: [])
    r = CliRunner().invoke(batch_cmd, [])
    assert r.exit_code == 1 and "MISSED" in r.stdout
    monkeypatch.setitem(result, "speedup", 1.9)
    assert CliRunner().invoke(batch_cmd, []).exit_code == 0
    assert CliRunner().invoke(batch_cmd, ["--json"]).exit_code == 0
