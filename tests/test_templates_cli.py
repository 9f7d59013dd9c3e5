"""`logkit templates` over a small synthetic log, over a parse state file, and its errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from logkit.cli import cli, main

LINES = [
    *[f"2024-03-11 08:00:{i:02d},000 INFO [main] app.Orders: Created order {1000 + i} for user u{i}"
      for i in range(6)],
    *[f"2024-03-11 08:01:{i:02d},000 WARN [main] app.Stock: Stock low for sku {50 + i}" for i in range(3)],
    "2024-03-11 08:02:00,000 ERROR [main] app.Pay: Payment gateway unreachable",
]


def _run(args: list[str]):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "app.log"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return path


def _records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_templates_of_a_log(log) -> None:
    res = _run(["templates", str(log), "--output-format", "jsonl"])
    assert res.exit_code == 0, res.output
    recs = _records(res.stdout)
    assert [list(r) for r in recs] == [["template_id", "template", "count", "share", "example"]] * len(recs)
    assert [r["count"] for r in recs] == [6, 3, 1]
    assert sum(r["count"] for r in recs) == len(LINES)
    assert recs[0]["share"] == pytest.approx(0.6)
    assert "<*>" in recs[0]["template"] and recs[0]["example"].startswith("Created order")
    ids = _records(_run(["templates", str(log), "--output-format", "jsonl", "--sort", "id"]).stdout)
    assert [r["template_id"] for r in ids] == sorted(r["template_id"] for r in recs)


def test_templates_of_a_state_file(log, tmp_path) -> None:
    state = tmp_path / "state.json"
    res = _run(["parse", str(log), "--state", str(state), "-o", str(tmp_path / "p.jsonl")])
    assert res.exit_code == 0, res.output
    parsed = _records((tmp_path / "p.jsonl").read_text(encoding="utf-8"))
    out = tmp_path / "t.csv"
    res = _run(["templates", str(state), "-o", str(out)])
    assert res.exit_code == 0, res.output
    import csv

    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert [int(r["count"]) for r in rows] == [6, 3, 1]
    assert {r["template_id"] for r in rows} == {p["template_id"] for p in parsed}


def test_templates_parquet_and_table(log, tmp_path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "t.parquet"
    assert _run(["templates", str(log), "-o", str(out)]).exit_code == 0
    table = pq.read_table(out)
    assert table.column_names == ["template_id", "template", "count", "share", "example"]
    assert str(table.schema.field("count").type) == "int64"
    res = _run(["templates", str(log), "--output-format", "table"])
    assert res.exit_code == 0 and "template_id" in res.stdout


def test_templates_of_stdin(log) -> None:
    res = CliRunner().invoke(cli, ["templates", "-"], input=log.read_bytes(), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert sum(r["count"] for r in _records(res.stdout)) == len(LINES)


def test_missing_input(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["templates", str(tmp_path / "nope.log")])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: no such file") and "Traceback" not in err


def test_a_damaged_archive_is_an_archive_error_not_a_log(tmp_path, capsys) -> None:
    fake = tmp_path / "broken.lkz"
    fake.write_text("this was never an archive\n")
    with pytest.raises(SystemExit) as exc:
        main(["templates", str(fake)])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "not a logkit archive" in err and "Traceback" not in err
