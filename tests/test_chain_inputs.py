"""Verbs read each other's output: detect and train take parse Parquet, templates takes parse JSONL/Parquet."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from click.testing import CliRunner

from logkit.cli import cli


def _log(tmp_path: Path) -> Path:
    lines = []
    for i in range(240):
        if i % 3 == 0:
            lines.append(f"2024-01-01 10:{i // 60:02d}:{i % 60:02d} INFO svc.api: request {i} done in {i % 13}ms")
        elif i % 3 == 1:
            lines.append(f"2024-01-01 10:{i // 60:02d}:{i % 60:02d} WARN svc.db: slow query q{i} took {i}ms")
        else:
            lines.append(f"2024-01-01 10:{i // 60:02d}:{i % 60:02d} INFO svc.api: user u{i % 7} logged in")
    p = tmp_path / "a.log"
    p.write_text("\n".join(lines) + "\n")
    return p


def _ok(*args: str) -> str:
    r = CliRunner().invoke(cli, list(args))
    assert r.exit_code == 0, r.output
    return r.stdout


def test_detect_and_train_read_parse_parquet(tmp_path: Path) -> None:
    log = _log(tmp_path)
    pq, jl = tmp_path / "p.parquet", tmp_path / "p.jsonl"
    _ok("parse", str(log), "-o", str(pq))
    _ok("parse", str(log), "-o", str(jl))
    _ok("train", str(pq), "--model", str(tmp_path / "m"), "--window", "10")
    from_parquet = _ok("detect", str(pq), "--model", str(tmp_path / "m"), "--output-format", "jsonl")
    from_jsonl = _ok("detect", str(jl), "--model", str(tmp_path / "m"), "--output-format", "jsonl")
    from_log = _ok("detect", str(log), "--model", str(tmp_path / "m"), "--output-format", "jsonl")
    recs = [json.loads(x) for x in from_parquet.splitlines()]
    assert len(recs) == 24 and recs[0]["group"] == "w1" and recs[0]["start"] == "2024-01-01T10:00:00"
    assert from_parquet == from_jsonl == from_log


def test_templates_read_parse_output_as_records(tmp_path: Path) -> None:
    log = _log(tmp_path)
    _ok("parse", str(log), "-o", str(tmp_path / "p.jsonl"))
    _ok("parse", str(log), "-o", str(tmp_path / "p.parquet"))
    (tmp_path / "p.jsonl.gz").write_bytes(gzip.compress((tmp_path / "p.jsonl").read_bytes()))
    want = _ok("templates", str(log), "--output-format", "jsonl")
    assert len(want.splitlines()) == 3
    for name in ("p.jsonl", "p.parquet", "p.jsonl.gz"):
        assert _ok("templates", str(tmp_path / name), "--output-format", "jsonl") == want, name


def test_a_parquet_file_that_is_not_parse_output_is_one_error_line(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    other = tmp_path / "o.parquet"
    pq.write_table(pa.table({"x": [1, 2]}), other)
    r = CliRunner().invoke(cli, ["templates", str(other)])
    assert r.exit_code == 1 and "template_id" in r.output and "Traceback" not in r.output
