"""`logkit parse` end to end: the record contract of DESIGN.md section 3.2 and the CLI's behaviour."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from logkit.cli import cli

HDFS_FORMAT = "<Date> <Time> <Pid> <Level> <Component>: <Content>"


def _run(args: list[str], input: bytes | str | None = None):
    return CliRunner().invoke(cli, args, input=input, catch_exceptions=False)


def test_matches_the_shared_example(examples_dir, tmp_path) -> None:
    out = tmp_path / "x.jsonl"
    res = _run(["parse", str(examples_dir / "hdfs.log"), "--format", HDFS_FORMAT, "-o", str(out)])
    assert res.exit_code == 0, res.output
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]  # strict: valid UTF-8
    want = [json.loads(line) for line in (examples_dir / "parse.jsonl").read_text().splitlines()]
    assert len(got) == len(want) == 6
    for g, w in zip(got, want, strict=True):
        assert list(g) == list(w)  # every key, in the contract's order
        assert g["line"] == w["line"]
        assert g["timestamp"] == w["timestamp"]
        assert g["fields"] == w["fields"]
        assert isinstance(g["template_id"], str) and g["template_id"]
        assert g["source"].endswith("hdfs.log")
    # the first three are Loghub ground truth; the stack-trace and empty lines are whole content
    codes = {"OID", "LOI", "OBN", "TID", "SID", "TDA", "CRS", "OBA", "STC", "OTP"}
    for i in (0, 1, 2, 3, 4):
        assert got[i]["template"] == want[i]["template"], i
        assert [p["value"] for p in got[i]["params"]] == [p["value"] for p in want[i]["params"]], i
        assert all(p["type"] in codes for p in got[i]["params"])
    # types where the example leaves no doubt (an id, locations, a size)
    assert got[1]["params"] == want[1]["params"]
    assert got[2]["params"] == want[2]["params"]
    # the last line is not UTF-8: decoded as cp1252, its byte \xe9 reads é
    values = [p["value"] for p in got[5]["params"]]
    assert "caf\u00e9" in values
    assert "12ms" in values
    ids = {g["template"]: g["template_id"] for g in got}
    assert len(set(ids.values())) == len(ids)


def test_pipe_output_is_jsonl_from_stdin() -> None:
    data = "".join(f"worker {i} started job j{i} in {i * 3}ms\n" for i in range(12))
    res = _run(["parse", "-", "--format", "none"], input=data)
    assert res.exit_code == 0
    recs = [json.loads(x) for x in res.stdout.splitlines()]
    assert [r["line"] for r in recs] == list(range(1, 13))
    assert all(r["source"] == "-" for r in recs)


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_output_kind_from_extension(tmp_path, ext: str) -> None:
    log = tmp_path / "a.log"
    log.write_text("".join(f"user u{i} logged in\n" for i in range(5)))
    out = tmp_path / f"a.{ext}"
    res = _run(["parse", str(log), "--format", "none", "-o", str(out)])
    assert res.exit_code == 0, res.output
    import pandas as pd

    df = pd.read_csv(out) if ext == "csv" else pd.read_parquet(out)
    assert list(df.columns) == ["source", "line", "timestamp", "fields", "template_id", "template", "params"]
    assert len(df) == 5


def test_wrong_format_is_one_line_error(tmp_path) -> None:
    log = tmp_path / "a.log"
    log.write_text("plain text line\n")
    res = CliRunner().invoke(cli, ["parse", str(log), "--format", "[<Time>] <Content>"])
    assert res.exit_code == 1
    assert res.output.count("Error:") == 1 and "Traceback" not in res.output


def test_bad_format_spec_is_one_line_error(tmp_path) -> None:
    log = tmp_path / "a.log"
    log.write_text("plain text line\n")
    res = CliRunner().invoke(cli, ["parse", str(log), "--format", "<Date> <Time>"])
    assert res.exit_code == 1
    assert "<Content>" in res.output


def test_state_keeps_ids_between_runs(tmp_path) -> None:
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_text("".join(f"disk sd{i} mounted at /mnt/d{i}\n" for i in range(6)))
    b.write_text("".join(f"disk sd{i} mounted at /mnt/x{i}\n" for i in range(9, 12)))
    state = tmp_path / "s.json"
    r1 = _run(["parse", str(a), "--format", "none", "--state", str(state)])
    r2 = _run(["parse", str(b), "--format", "none", "--state", str(state)])
    ids1 = {json.loads(x)["template_id"] for x in r1.stdout.splitlines()}
    ids2 = {json.loads(x)["template_id"] for x in r2.stdout.splitlines()}
    assert ids1 == ids2 and len(ids1) == 1
    res = _run(["templates", str(state)])
    assert res.exit_code == 0
    (row,) = [json.loads(x) for x in res.stdout.splitlines()]
    assert row["count"] == 9


def test_unmatched_lines_warn_and_are_kept(tmp_path) -> None:
    log = tmp_path / "h.log"
    log.write_text("081109 203615 148 INFO dfs.X: hello 1\njava.io.IOException: x\n")
    res = CliRunner().invoke(cli, ["parse", str(log), "--format", HDFS_FORMAT])
    assert res.exit_code == 0
    assert "1 of 2 lines did not match" in res.stderr
    assert len(res.stdout.splitlines()) == 2
