"""``logkit run``: one pass feeding the archive, the parse records and the detector gives what the separate
stages give."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_session_log

from logkit.cli import cli
from logkit.compress.archive import decompress_bytes
from logkit.detect.api import detect, load_model, train
from logkit.detect.grouping import parse_grouping
from logkit.parse.api import parse, to_record
from logkit.pipeline.run import one_pass, run_input


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "app.log"
    write_session_log(path, 80, 0.1, seed=4)
    return path


def test_run_equals_the_separate_stages(log: Path, tmp_path: Path) -> None:
    model_dir = tmp_path / "m"
    train(str(log), model_dir, grouping=parse_grouping(r"req_\d+", None))
    scores: list[dict[str, object]] = []
    res = run_input(str(log), archive=str(tmp_path / "a.lkz"), parsed=str(tmp_path / "p.jsonl"),
                    model_dir=str(model_dir), on_score=scores.append)
    assert decompress_bytes((tmp_path / "a.lkz").read_bytes()) == log.read_bytes()
    got = [json.loads(ln) for ln in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert got == [json.loads(json.dumps(to_record(p))) for p in parse(str(log))]
    assert scores == list(detect(str(log), load_model(model_dir)))
    assert res.lines == 240 and res.scores == 80 and res.anomalies == sum(bool(s["anomaly"]) for s in scores)


def test_run_cli_stdin_and_usage(log: Path, tmp_path: Path) -> None:
    data = log.read_bytes()[:-1] + b"\r\n\nno newline at the end"
    res = CliRunner().invoke(cli, ["run", "-", "--archive", str(tmp_path / "s.lkz"), "--parsed",
                                   str(tmp_path / "s.parquet")], input=data)
    assert res.exit_code == 0, res.output
    assert decompress_bytes((tmp_path / "s.lkz").read_bytes()) == data
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "s.parquet").num_rows == 242
    res = CliRunner().invoke(cli, ["run", str(log)])
    assert res.exit_code == 2 and "nothing to do" in res.output
    res = CliRunner().invoke(cli, ["run", str(log), "--archive", str(tmp_path / "x" / "a.lkz")])
    assert res.exit_code == 0 and decompress_bytes((tmp_path / "x" / "a.lkz").read_bytes()) == log.read_bytes()
    (tmp_path / "f").write_text("a file")  # a file where a folder is needed: one error line
    res = CliRunner().invoke(cli, ["run", str(log), "--archive", str(tmp_path / "f" / "a.lkz")])
    assert res.exit_code == 1 and "is a file" in res.output


def test_follow_reads_what_is_there_and_writes_the_archive(log: Path, tmp_path: Path) -> None:
    seen: list[int] = []
    res = one_pass(str(log), archive=tmp_path / "f.lkz", on_parsed=lambda p: seen.append(p.record.raw.line_no),
                   follow=True, stop=lambda: len(seen) >= 240)
    assert seen == list(range(1, 241)) and res.lines == 240
    assert decompress_bytes((tmp_path / "f.lkz").read_bytes()) == log.read_bytes()


def test_follow_writes_a_block_when_the_stream_is_quiet(log: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import logkit.pipeline.run as run_mod
    from logkit.compress.archive import part_path

    monkeypatch.setattr(run_mod, "FOLLOW_FLUSH_S", 0.0)
    target = tmp_path / "f.lkz"
    salvaged: list[bytes] = []
    lines: list[int] = []

    def stop() -> bool:  # called when the follower found nothing new: the block is already on disk
        if len(lines) < 240:
            return False
        salvaged.append(decompress_bytes(part_path(target).read_bytes(), salvage=True))
        return True

    one_pass(str(log), archive=target, on_parsed=lambda p: lines.append(1), follow=True, stop=stop)
    assert salvaged == [log.read_bytes()]
    assert decompress_bytes(target.read_bytes()) == log.read_bytes()


def test_run_equals_parse_and_compress_on_yearless_syslog(tmp_path: Path) -> None:
    """Year-less dates take the file's year (its mtime) in ``logkit run`` exactly as in ``logkit parse``."""
    import os
    from datetime import datetime

    from logkit.parse.api import Parser, Source

    log = tmp_path / "sys.log"
    lines = [f"Mar {d:2d} 0{d % 10}:1{d % 6}:0{d % 9} host{d % 3} app[{100 + d}]: job {d} took {d * 7} ms"
             for d in range(1, 29)]
    log.write_bytes(("\n".join(lines) + "\r\n\nlast line without newline").encode())
    written = datetime(2019, 6, 1, 12, 0).timestamp()
    os.utime(log, (written, written))
    cli_run = CliRunner().invoke(cli, ["run", str(log), "--archive", str(tmp_path / "run.lkz"),
                                       "--parsed", str(tmp_path / "run.jsonl")])
    assert cli_run.exit_code == 0, cli_run.output
    cli_parse = CliRunner().invoke(cli, ["parse", str(log), "-o", str(tmp_path / "parse.jsonl")])
    assert cli_parse.exit_code == 0, cli_parse.output
    cli_compress = CliRunner().invoke(cli, ["compress", str(log), "-o", str(tmp_path / "sep.lkz")])
    assert cli_compress.exit_code == 0, cli_compress.output
    got = [json.loads(ln) for ln in (tmp_path / "run.jsonl").read_text().splitlines()]
    want = [json.loads(ln) for ln in (tmp_path / "parse.jsonl").read_text().splitlines()]
    assert got == want and len(got) == 30
    assert got[0]["timestamp"].startswith("2019-03-01T01:11:01")  # the year of the file's mtime
    assert (tmp_path / "run.lkz").read_bytes() == (tmp_path / "sep.lkz").read_bytes()
    assert decompress_bytes((tmp_path / "run.lkz").read_bytes()) == log.read_bytes()
    parser = Parser()
    list(parser.parse(Source.paths(str(log))))
    res = one_pass(str(log), archive=tmp_path / "again.lkz")
    assert res.templates == parser.templates() and res.raw_bytes == log.stat().st_size


def test_on_chunk_hands_over_the_exact_bytes_of_a_compressed_input(log: Path, tmp_path: Path) -> None:
    import gzip

    from logkit.parse.sources import iter_raw_lines

    gz = tmp_path / "app.log.gz"
    gz.write_bytes(gzip.compress(log.read_bytes()))
    chunks: list[bytes] = []
    seen_before: list[int] = []  # bytes handed over when each line is yielded
    for _ in iter_raw_lines(str(gz), on_chunk=chunks.append):
        seen_before.append(sum(map(len, chunks)))
    assert b"".join(chunks) == log.read_bytes() and len(seen_before) == 240 and min(seen_before) > 0
    res = one_pass(str(gz), archive=tmp_path / "gz.lkz", on_parsed=None)
    assert decompress_bytes((tmp_path / "gz.lkz").read_bytes()) == log.read_bytes()
    assert res.lines == 240 and res.raw_bytes == len(log.read_bytes())
