"""Record writers: each format, atomic files, lone surrogates through JSON Lines, the Parquet schema."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import UTC, datetime

import pytest

from logkit.errors import UsageError
from logkit.output import open_writer, resolve_output_format

COLUMNS = ["source", "line", "timestamp", "fields", "template_id", "template", "params"]
RECORDS = [
    {"source": "a.log", "line": 1, "timestamp": "2008-11-09T20:36:15", "fields": {"Level": "INFO"},
     "template_id": "t1", "template": "user <*> logged in", "params": [{"value": "bob", "type": "OID"}]},
    {"source": "a.log", "line": 2, "timestamp": None, "fields": {}, "template_id": "t2",
     "template": "caf\udce9 <*> — ünïcode", "params": [{"value": "caf\udce9", "type": "OID"}]},
]


def _jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(
    ("option", "path", "want"),
    [("csv", None, "csv"), (None, "x.jsonl", "jsonl"), (None, "x.CSV", "csv"), (None, "x.parquet", "parquet"),
     (None, "x.jsonl.gz", "jsonl"), ("jsonl", "x.txt", "jsonl"), ("table", "x.jsonl", "table")],
)
def test_resolve_output_format(option, path, want) -> None:
    assert resolve_output_format(option, path) == want


@pytest.mark.parametrize("path", ["x.txt", "x.csv.gz", "out"])
def test_unknown_output_extension_is_a_usage_error(path) -> None:
    from logkit.errors import UsageError

    with pytest.raises(UsageError, match="--output-format"):
        resolve_output_format(None, path)


def test_resolve_output_format_by_terminal(monkeypatch) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    assert resolve_output_format(None, None) == "table"
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False, raising=False)
    assert resolve_output_format(None, "-") == "jsonl"
    with pytest.raises(UsageError):
        resolve_output_format("xml", None)


def test_jsonl_matches_the_example_bytes(examples_dir, tmp_path) -> None:
    want = (examples_dir / "parse.jsonl").read_bytes()
    records = [json.loads(line) for line in want.decode("utf-8").splitlines()]
    out = tmp_path / "p.jsonl"
    with open_writer("jsonl", out, columns=COLUMNS, kind="parse") as w:
        for r in records:
            w.write(r)
    assert out.read_bytes() == want


def test_jsonl_surrogates_round_trip(tmp_path) -> None:
    out = tmp_path / "p.jsonl"
    with open_writer("jsonl", out, columns=COLUMNS, kind="parse", flush_each=True) as w:
        for r in RECORDS:
            w.write(r)
    raw = out.read_bytes()
    raw.decode("utf-8")  # valid UTF-8
    assert b"\\udce9" in raw and "ünïcode".encode() in raw  # escape for the surrogate, UTF-8 for the rest
    assert _jsonl(out) == RECORDS


def test_csv_nested_as_json(tmp_path) -> None:
    out = tmp_path / "p.csv"
    with open_writer("csv", out, columns=COLUMNS, kind="parse") as w:
        for r in RECORDS:
            w.write(r)
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == COLUMNS
    assert json.loads(rows[0]["params"]) == RECORDS[0]["params"]
    assert json.loads(rows[0]["fields"]) == {"Level": "INFO"}
    assert rows[1]["timestamp"] == "" and rows[1]["line"] == "2"
    assert json.loads(rows[1]["params"])[0]["value"] == "caf\udce9"


def test_parquet_schema_and_batches(tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from logkit.output import ParquetWriter

    out = tmp_path / "p.parquet"
    with ParquetWriter(out, columns=COLUMNS, kind="parse", batch=3) as w:
        for i in range(7):
            w.write(dict(RECORDS[0], line=i + 1))
        w.write(RECORDS[1])
    pf = pq.ParquetFile(out)
    assert pf.metadata.num_row_groups == 3
    schema = pf.schema_arrow
    assert schema.field("line").type == pa.int64()
    assert schema.field("timestamp").type == pa.timestamp("us")  # a time type, the log's wall clock
    assert schema.field("fields").type == pa.map_(pa.string(), pa.string())
    assert schema.field("params").type == pa.list_(pa.struct([("value", pa.string()), ("type", pa.string())]))
    rows = pf.read().to_pylist()
    assert [r["line"] for r in rows] == [1, 2, 3, 4, 5, 6, 7, 2]
    assert rows[0]["params"] == [{"value": "bob", "type": "OID"}]
    assert dict(rows[0]["fields"]) == {"Level": "INFO"}
    assert rows[7]["params"][0]["value"] == "caf\\udce9"  # Arrow strings are UTF-8: the escape is written
    assert rows[0]["timestamp"] == datetime(2008, 11, 9, 20, 36, 15) and rows[7]["timestamp"] is None


def test_parquet_timestamps_with_offsets_are_utc_instants(tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from logkit.output import ParquetWriter

    out = tmp_path / "p.parquet"
    with ParquetWriter(out, columns=COLUMNS, kind="parse") as w:
        w.write(dict(RECORDS[0], timestamp="2024-05-01T10:00:00+02:00"))
        w.write(dict(RECORDS[0], timestamp="2024-05-01T10:00:00"))
    table = pq.read_table(out)
    assert table.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    got = table.column("timestamp").to_pylist()
    assert got == [datetime(2024, 5, 1, 8, tzinfo=UTC), datetime(2024, 5, 1, 10, tzinfo=UTC)]


def test_table_to_a_file(tmp_path) -> None:
    out = tmp_path / "t.txt"
    with open_writer("table", out, columns=COLUMNS, kind="parse") as w:
        for r in RECORDS:
            w.write(r)
    text = out.read_text(encoding="utf-8")
    assert "template_id" in text and "user <*> logged in" in text and "bob:OID" in text


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "table"])
def test_atomic_on_error(fmt, tmp_path) -> None:
    out = tmp_path / f"p.{fmt}"
    out.write_text("old")
    with pytest.raises(RuntimeError), open_writer(fmt, out, columns=COLUMNS, kind="parse") as w:
        w.write(RECORDS[0])
        raise RuntimeError("boom")
    assert out.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # no temp file left


def test_no_file_until_closed(tmp_path) -> None:
    out = tmp_path / "p.jsonl"
    w = open_writer("jsonl", out, columns=COLUMNS, kind="parse")
    w.write(RECORDS[0])
    assert not out.exists()
    w.close()
    assert _jsonl(out) == RECORDS[:1]


def test_jsonl_to_stdout(capsysbinary) -> None:
    with open_writer("jsonl", "-", columns=COLUMNS, kind="parse", flush_each=True) as w:
        for r in RECORDS:
            w.write(r)
    out = capsysbinary.readouterr().out
    assert [json.loads(line) for line in out.decode("utf-8").splitlines()] == RECORDS


def test_table_stream_prints_each_row(capsys) -> None:
    with open_writer("table", None, columns=COLUMNS, kind="parse", flush_each=True) as w:
        w.write(RECORDS[0])
        first = capsys.readouterr().out
        assert "user <*> logged in" in first and "template" in first
        w.write(RECORDS[1])
        second = capsys.readouterr().out
    assert "template_id" not in second  # the header is printed once
    assert "caf\\udce9" in second


def test_special_files_are_written_in_place_not_replaced(tmp_path) -> None:
    import os
    import stat
    import threading

    from logkit.fsutil import atomic_open
    from logkit.output import open_writer

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def drain() -> None:
        with open(fifo, "rb") as fh:
            got.append(fh.read())

    for write in (
        lambda: open_writer("jsonl", str(fifo), columns=["a"], kind="parse").__enter__(),
        None,
    ):
        reader = threading.Thread(target=drain)
        reader.start()
        if write is not None:
            w = write()
            w.write({"a": 1})
            w.close()
        else:
            with atomic_open(fifo, "w") as fh:
                fh.write("x\n")
        reader.join(timeout=10)
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still the FIFO, not a regular file renamed over it
    assert got == [b'{"a": 1}\n', b"x\n"]


def test_a_narrow_table_keeps_time_and_level_and_breaks_no_word(monkeypatch: pytest.MonkeyPatch) -> None:
    """At 80 columns a parse table shows each record's time and level (the header fields themselves go), and a
    detect table's long reason wraps between words: no word is cut across lines."""
    from logkit.tables import TableWriter

    monkeypatch.setenv("COLUMNS", "80")
    buf = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buf)
    w = TableWriter(None, columns=["source", "line", "timestamp", "fields", "template_id", "template", "params"])
    assert w.columns == ["line", "timestamp", "level", "template_id", "template", "params"]
    w.write({"source": "a.log", "line": 1, "timestamp": "2024-03-01T10:00:00", "fields": {"Level": "WARN"},
             "template_id": "t0123456789", "template": "connection from <*> closed", "params": []})
    reason = "template t9 'Exception in receiveBlock for block <*>' never seen in training and anomalous"
    w.close()
    text = buf.getvalue()
    assert "2024-03-01T10:00:00" in text and "WARN" in text
    buf.seek(0)
    buf.truncate()
    d = TableWriter(None, columns=["group", "score", "anomaly", "reason"])
    d.write({"group": "blk_1", "score": 0.97, "anomaly": True, "reason": reason})
    d.close()
    words = {w.strip("'") for w in buf.getvalue().split()}
    assert {"receiveBlock", "training", "anomalous", "Exception"} <= words
