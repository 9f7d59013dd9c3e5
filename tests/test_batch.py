"""``logkit batch``: same outputs with 1 or 2 workers, a local Dask cluster and ``logkit run``; manifest, re-runs,
failures and exit codes."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import write_session_log

from logkit.cli import cli
from logkit.compress.archive import decompress_bytes
from logkit.errors import DependencyError, InputError
from logkit.pipeline.batch import BatchFailed, run_batch
from logkit.pipeline.manifest import expand_inputs, output_names
from logkit.pipeline.otel import severity
from logkit.pipeline.run import run_input


def _plain(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


@pytest.fixture
def inputs(tmp_path: Path) -> list[Path]:
    logs = tmp_path / "logs"
    (logs / "host2").mkdir(parents=True)
    a, b = logs / "a.log", logs / "host2" / "b.log"
    write_session_log(a, 60, 0.1, seed=1)
    write_session_log(b, 40, 0.2, seed=2)
    c = logs / "host2" / "c.log.gz"
    raw = tmp_path / "c.raw"
    write_session_log(raw, 30, 0.0, seed=3)
    c.write_bytes(gzip.compress(raw.read_bytes().rstrip(b"\n") + b"\nlast line without newline \xff"))
    return [a, b, c]


def _rows(out: Path, what: str = "parsed") -> list[dict[str, Any]]:
    import pyarrow.dataset as ds

    table = ds.dataset(out / what, format="parquet", partitioning="hive").to_table()
    rows = table.to_pylist()
    key = "line" if what == "parsed" else ("template_id" if what == "templates" else "first_line")
    return sorted(rows, key=lambda r: (r["source"], r[key]))


def _archives(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.lkz"))}


def _outputs(out: Path) -> tuple[Any, ...]:
    return _rows(out), _rows(out, "templates"), _archives(out)


def test_same_outputs_with_one_two_workers_dask_and_run(inputs: list[Path], tmp_path: Path) -> None:
    folder = str(inputs[0].parent)
    one = run_batch("run", [folder], tmp_path / "w1", workers=1)
    two = run_batch("run", [folder], tmp_path / "w2", workers=2)
    assert one.count("done") == two.count("done") == 3
    first = _outputs(tmp_path / "w1")
    assert first == _outputs(tmp_path / "w2")

    from distributed import LocalCluster

    with LocalCluster(n_workers=2, processes=False, threads_per_worker=1, protocol="tcp", host="127.0.0.1",
                      dashboard_address=None) as cluster:
        res = run_batch("run", [folder], tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert res.count("done") == 3
    assert first == _outputs(tmp_path / "dask")

    rows, templates, archives = first
    names = output_names([str(p) for p in inputs])
    for path in inputs:
        name = names[str(path)]
        # archives hold the exact bytes (decompressed .gz), and `logkit run` writes the very same archive
        assert decompress_bytes(archives[f"{name}.lkz"]) == _plain(path)
        single = run_input(str(path), archive=str(tmp_path / f"{name}.lkz"), parsed=str(tmp_path / f"{name}.parquet"))
        assert (tmp_path / f"{name}.lkz").read_bytes() == archives[f"{name}.lkz"]
        import pyarrow.parquet as pq

        expected = pq.read_table(tmp_path / f"{name}.parquet").to_pylist()
        mine = [r for r in rows if r["source"] == name]
        assert len(mine) == len(expected) == single.lines
        for r, e in zip(mine, expected, strict=True):
            # both timestamps are time types: the dataset's a UTC instant, the parse file's the wall clock
            assert r["timestamp"] is None or r["timestamp"].tzinfo is not None
            wall = r["timestamp"].replace(tzinfo=None) if r["timestamp"] is not None else None
            assert (r["line"], wall, r["template_id"], r["template"], r["params"]) == (
                e["line"], e["timestamp"], e["template_id"], e["template"], e["params"])
            assert dict(r["fields"]) == dict(e["fields"])
        assert {t["template_id"] for t in templates if t["source"] == name} == {t.template_id for t in single.templates}
    # the stages alone give what `run` gives
    run_batch("parse", [folder], tmp_path / "p", workers=2)
    run_batch("compress", [folder], tmp_path / "c", workers=2)
    assert _rows(tmp_path / "p") == rows and _rows(tmp_path / "p", "templates") == templates
    assert {n: decompress_bytes(b) for n, b in _archives(tmp_path / "c").items()} == {
        n: decompress_bytes(b) for n, b in archives.items()}


def test_dataset_has_the_opentelemetry_columns(inputs: list[Path], tmp_path: Path) -> None:
    run_batch("parse", [str(inputs[0])], tmp_path / "o", workers=1)
    rows = _rows(tmp_path / "o")
    for col in ("timestamp", "observed_timestamp", "severity_text", "severity_number", "body", "attributes",
                "resource", "template_id", "template", "params", "source", "line", "date"):
        assert col in rows[0]
    r = rows[0]
    assert r["source"] == "a.log" and r["date"] == "2024-01-01" and r["line"] == 1
    assert r["severity_text"] == "INFO" and r["severity_number"] == 9
    assert r["body"].startswith("start req_1") and dict(r["resource"])["log.file.path"] == str(inputs[0])
    assert severity({"Level": "ERROR"}) == ("ERROR", 17) and severity({"x": "y"}) == (None, None)


def test_rerun_skips_done_inputs_and_force_redoes(inputs: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [str(p) for p in inputs]
    run_batch("run", args, out, workers=1)
    manifest = json.loads((out / "manifest.json").read_text())
    assert {e["status"] for e in manifest["inputs"]} == {"done"}
    assert all(e["hash"].startswith("blake2b:") and e["size"] > 0 and e["outputs"] for e in manifest["inputs"])
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.parquet")}
    again = run_batch("run", args, out, workers=1)
    assert again.count("skipped") == 3
    assert stamps == {p: p.stat().st_mtime_ns for p in out.rglob("*.parquet")}
    write_session_log(inputs[0], 10, 0.0, seed=9)  # changed content: only this input is redone
    third = run_batch("run", args, out, workers=1)
    assert third.count("done") == 1 and third.count("skipped") == 2
    assert len([r for r in _rows(out) if r["source"] == "a.log"]) == 30  # the old rows are gone
    forced = run_batch("run", args, out, workers=1, force=True)
    assert forced.count("done") == 3
    assert not list(out.rglob("*.tmp"))


def test_bad_input_fails_alone_exit_4(inputs: list[Path], tmp_path: Path) -> None:
    binary = tmp_path / "logs" / "core.bin"
    binary.write_bytes(bytes(range(256)) * 64)
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["batch", "parse", str(inputs[0]), str(binary), str(tmp_path / "nope*.log"),
                                   "--out", str(out), "--workers", "2"])
    assert res.exit_code == 4, res.output
    err = [ln for ln in res.output.splitlines() if ln.startswith("Error:")]
    assert len(err) == 1 and "2 of 3 input(s) failed" in err[0]
    entries = {Path(e["input"]).name: e for e in json.loads((out / "manifest.json").read_text())["inputs"]}
    assert entries["a.log"]["status"] == "done"
    assert entries["core.bin"]["status"] == "failed" and "binary" in entries["core.bin"]["error"]
    assert entries["nope*.log"]["status"] == "failed"
    with pytest.raises(InputError, match="none of the 1 input"):
        run_batch("parse", [str(binary)], tmp_path / "o2", workers=1).raise_for_failures()
    with pytest.raises(BatchFailed):
        run_batch("parse", [str(binary), str(inputs[1])], tmp_path / "o3", workers=1).raise_for_failures()
    res = CliRunner().invoke(cli, ["batch", "parse", str(tmp_path / "none-here"), "--out", str(out)])
    assert res.exit_code == 1
    res = CliRunner().invoke(cli, ["batch", "frob", str(inputs[0]), "--out", str(out)])
    assert res.exit_code == 2


def test_log_json_one_line_per_input(inputs: list[Path], tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["batch", "compress", str(inputs[0].parent), "--out", str(tmp_path / "o"),
                                   "--workers", "1", "--log-json"])
    assert res.exit_code == 0, res.output
    lines = [json.loads(ln) for ln in res.output.splitlines() if ln.startswith("{")]
    assert len(lines) == 3 and {ln["status"] for ln in lines} == {"done"}
    assert sorted(ln["outputs"][0] for ln in lines) == ["a.log.lkz", "b.log.lkz", "c.log.lkz"]


def test_missing_dask_names_the_extra(inputs: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(DependencyError, match=r"pip install 'logkit\[dask\]'"):
        run_batch("parse", [str(inputs[0])], tmp_path / "o", scheduler="tcp://127.0.0.1:1")
    monkeypatch.setenv("LOGKIT_DASK_SCHEDULER", "tcp://127.0.0.1:1")
    res = CliRunner().invoke(cli, ["batch", "parse", str(inputs[0]), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and "logkit[dask]" in res.output


def test_inputs_and_names(tmp_path: Path) -> None:
    for rel in ("x/app.log", "y/app.log.gz", "y/.hidden", "z.log"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("a\n")
    found = expand_inputs([str(tmp_path / "x"), str(tmp_path / "y"), str(tmp_path / "*.log"),
                           str(tmp_path / "z.log")])
    paths = [f.path for f in found]
    assert [Path(p).name for p in paths] == ["app.log", "app.log.gz", "z.log"]
    assert sorted(output_names(paths).values()) == ["x__app.log", "y__app.log", "z.log"]
    assert expand_inputs([str(tmp_path / "nothing*")])[0].missing


def test_bench_batch_reports_both_worker_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "compress").mkdir()
    write_session_log(tmp_path / "compress" / "s.log", 50, 0.1, seed=5)
    monkeypatch.setenv("LOGKIT_DATA", str(tmp_path))
    res = CliRunner().invoke(cli, ["bench", "batch", "--mb", "0.02", "--json"])
    out = json.loads(res.output)
    assert res.exit_code == (0 if out["speedup"] >= 1.7 else 1), res.output  # exit 1: a target missed
    size = (tmp_path / "compress" / "s.log").stat().st_size
    assert out["bytes"] >= 20_000 and out["files"] == -(-20_000 // size) and out["largest_input_bytes"] == size
    assert [r["workers"] for r in out["rows"]] == [1, 2]
    assert all(r["lines"] == 150 * out["files"] and r["failed"] == 0 for r in out["rows"])
    assert len(out["rows"][1]["peak_rss_mb_per_worker"]) in (1, 2)
    assert out["speedup"] == pytest.approx(out["rows"][1]["lines_per_s"] / out["rows"][0]["lines_per_s"], rel=1e-2)


def test_one_job_at_a_time_per_output_folder(inputs: list[Path], tmp_path: Path) -> None:
    import fcntl

    from logkit.errors import StateError

    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".logkit-batch.lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(StateError, match="another logkit batch job"):
            run_batch("parse", [str(inputs[0])], out, workers=1)
    assert run_batch("parse", [str(inputs[0])], out, workers=1).count("done") == 1


def test_bad_format_spec_stops_the_job_before_any_work(inputs: list[Path], tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["batch", "parse", str(inputs[0]), "--out", str(tmp_path / "o"),
                                   "--format", "<Date> <Time"])
    assert res.exit_code == 1 and "Error:" in res.output
    assert not (tmp_path / "o" / "manifest.json").exists()
    res = CliRunner().invoke(cli, ["batch", "parse", str(inputs[0]), "--out", str(tmp_path / "o"),
                                   "--format", "<Date> [<Level>] <Content>"])
    assert res.exit_code == 1 and "none of the 1 input" in res.output  # valid spec, wrong for this log


def test_one_worker_gives_each_year_less_file_its_own_year(tmp_path: Path) -> None:
    """A worker parses many files in one process: each file's year-less dates take that file's mtime year."""
    import os
    from datetime import datetime

    logs = tmp_path / "logs"
    logs.mkdir()
    text = "".join(f"Mar  {d} 0{d}:00:00 host app[{d}]: job {d} done\n" for d in range(1, 6))
    for name, year in (("old.log", 2019), ("new.log", 2021)):
        (logs / name).write_text(text)
        when = datetime(year, 6, 1).timestamp()
        os.utime(logs / name, (when, when))
    res = run_batch("parse", [str(logs)], tmp_path / "out", workers=1)
    assert res.count("done") == 2
    years = {(r["source"], str(r["timestamp"].year)) for r in _rows(tmp_path / "out")}
    assert years == {("old.log", "2019"), ("new.log", "2021")}
