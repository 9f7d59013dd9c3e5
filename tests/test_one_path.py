"""One input, one answer: every entry point that parses a file goes through Parser.fit/parse and gives the same
records, byte for byte (the CLI's JSONL and CSV, ``logkit run --parsed``, batch Parquet, detection events, the
Python API)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from logkit.cli import cli
from logkit.datasets.synthetic import generate
from logkit.parse import Parser, Source, parse, parse_lines
from logkit.parse.jsontext import record_json
from logkit.parse.source import Input

SERVICES = ["auth", "access", "hdfs", "java", "app"]


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("one-path")
    gen = generate(folder, lines=2500, seed=11)
    return {f.path.stem: f.path for f in gen.files}


def _api_json(path: Path) -> list[str]:
    return [record_json(p) for p in Parser().parse(Source.paths(str(path)))]


@pytest.mark.parametrize("service", SERVICES)
def test_python_entry_points_agree(logs: dict[str, Path], service: str) -> None:
    path = logs[service]
    want = _api_json(path)
    assert len(want) == len(path.read_bytes().splitlines())
    assert [record_json(p) for p in parse(str(path))] == want
    fitted = Parser()
    fitted.fit(Source.paths(str(path)))
    assert [record_json(p) for p in fitted.parse(Source.paths(str(path)))] == want
    # in-memory lines parse like the file they came from (the source name aside)
    lines = path.read_bytes().split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    named = [json.loads(t) for t in want]
    for rec in named:
        rec["source"] = "-"
    mem = [json.loads(record_json(p)) for p in parse_lines(lines)]
    # in memory there is no file time to read year-less dates against
    for a, b in zip(mem, named, strict=True):
        a.pop("timestamp"), b.pop("timestamp")
    assert mem == named


@pytest.mark.parametrize("service", SERVICES)
def test_cli_run_batch_and_detect_give_the_api_records(logs: dict[str, Path], service: str, tmp_path: Path) -> None:
    path = logs[service]
    want = _api_json(path)
    runner = CliRunner()
    out = tmp_path / "cli.jsonl"
    res = runner.invoke(cli, ["parse", str(path), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_text(encoding="utf-8").splitlines() == want
    res = runner.invoke(cli, ["parse", str(path), "-o", str(tmp_path / "cli.csv")])
    assert res.exit_code == 0, res.output
    with open(tmp_path / "cli.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    recs = [json.loads(t) for t in want]
    assert [(r["template_id"], r["template"], json.loads(r["params"])) for r in rows] == \
        [(r["template_id"], r["template"], r["params"]) for r in recs]

    run_out = tmp_path / "run.jsonl"
    res = runner.invoke(cli, ["run", str(path), "--parsed", str(run_out)])
    assert res.exit_code == 0, res.output
    assert run_out.read_text(encoding="utf-8").splitlines() == want

    res = runner.invoke(cli, ["batch", "parse", str(path), "--out", str(tmp_path / "b"), "--workers", "1"])
    assert res.exit_code == 0, res.output
    import pyarrow.dataset as ds

    table = ds.dataset(tmp_path / "b" / "parsed", format="parquet", partitioning="hive").to_table()
    batch = sorted(zip(table.column("line").to_pylist(), table.column("template_id").to_pylist(),
                       table.column("template").to_pylist(),
                       [[dict(q) for q in ps] for ps in table.column("params").to_pylist()], strict=True))
    assert batch == [(r["line"], r["template_id"], r["template"], r["params"]) for r in recs]

    from logkit.detect.reading import read_events

    events = [(e.line, e.template_id, e.template) for e in read_events(str(path))]
    assert events == [(r["line"], r["template_id"], r["template"]) for r in recs]


def test_an_archive_reads_as_the_log_it_holds(logs: dict[str, Path], tmp_path: Path) -> None:
    from logkit.compress.archive import compress_bytes

    path = logs["auth"]
    arch = tmp_path / "auth.log.lkz"
    arch.write_bytes(compress_bytes(path.read_bytes(), block_lines=500))
    import os

    st = path.stat()
    os.utime(arch, (st.st_atime, st.st_mtime))  # year-less dates read against the same file time
    want = [json.loads(t) for t in _api_json(path)]
    got = [json.loads(t) for t in _api_json(arch)]
    for rec in want:
        rec["source"] = str(arch)
    assert got == want


def test_several_files_are_all_mined_before_any_is_written(tmp_path: Path) -> None:
    """A template that only the second file shows to vary is written in its final form in the first file too."""
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_text("".join(f"worker pool main started job {i} in {i} ms\n" for i in range(5)))
    b.write_text("".join(f"worker pool side{k}x started job {k} in {k} ms\n" for k in range(5)))
    recs = list(Parser(format="none").parse(Source.paths([str(a), str(b)])))
    assert {r.template for r in recs} == {"worker pool <*> started job <*> in <*> ms"}
    assert len({r.template_id for r in recs}) == 1


def test_a_trained_parser_reads_a_new_file_once_and_keeps_its_templates(tmp_path: Path) -> None:
    """A parser loaded from a state (a model's) matches a new file to what it learnt, in one reading: the
    training templates and ids stay, and a line no template fits is learnt."""
    train = tmp_path / "train.log"
    train.write_text("".join(f"user u{i}x logged in from 10.0.0.{i} port {1000 + i}\n" for i in range(30)))
    state = tmp_path / "s.json"
    p = Parser(format="none", state=state)
    trained = {r.template_id for r in p.parse(Source.paths(str(train)))}
    p.save_state()
    new = tmp_path / "new.log"
    new.write_text("user bob2x logged in from 10.1.1.1 port 22\nbackup of disk 3 finished\n")
    reads: list[str] = []
    real = Input.blocks

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        reads.append(self.name)
        return real(self, *args, **kwargs)

    q = Parser(format="none", state=state)
    assert q.trained
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Input, "blocks", counted)
        recs = list(q.parse(Source.paths(str(new))))
    assert recs[0].template_id in trained and recs[1].template == "backup of disk <*> finished"
    assert reads.count(str(new)) == 2  # its first lines (to choose its format), then the one pass that emits


def test_auto_chooses_each_files_own_format(tmp_path: Path) -> None:
    """``logkit parse a.log b.log`` with two header shapes: each file's lines get their own header's fields
    (the second file's lines all "did not match" the first file's header before)."""
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_text("".join(f"2024-03-01 10:00:{i:02d},123 INFO [main] svc.Worker: job {i} done\n" for i in range(30)))
    b.write_text("".join(f"Mar  1 10:00:{i:02d} host1 sshd[{100 + i}]: session {i} opened\n" for i in range(30)))
    p = Parser()
    recs = list(p.parse(Source.paths([str(a), str(b)])))
    assert p.stats.unmatched == 0
    assert all(r.record.fields and r.record.timestamp is not None for r in recs)
    assert {tuple(r.record.fields) for r in recs[:30]} != {tuple(r.record.fields) for r in recs[30:]}
