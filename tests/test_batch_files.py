"""Batch Parquet output: one file per partition (row groups appended), a bound on open files, and temporary
names until an input is done, so a crash never leaves a partial file under a final name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from logkit.pipeline import otel
from logkit.pipeline.batch import TaskSpec, run_task
from logkit.pipeline.otel import PartitionedWriter


def _schema() -> Any:
    import pyarrow as pa

    return pa.schema([("line", pa.int64()), ("body", pa.string()), ("source", pa.string()), ("date", pa.string())])


def _read(folder: Path) -> list[dict[str, Any]]:
    import pyarrow.dataset as ds

    return ds.dataset(folder, format="parquet", partitioning="hive").to_table().to_pylist()


def _by_partition(rows: list[dict[str, Any]]) -> dict[tuple[Any, Any], list[int]]:
    out: dict[tuple[Any, Any], list[int]] = {}
    for r in rows:
        out.setdefault((r["source"], r["date"]), []).append(r["line"])
    return out


def _data_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_one_file_per_partition_with_a_small_flush(tmp_path: Path) -> None:
    rows = []
    for i in range(3000):  # 30 days in time order, a few lines of the next day mixed in, some without a date
        day = i // 100
        date = None if i % 250 == 7 else f"2024-03-{1 + (day + (i % 40 == 0)) % 30:02d}"
        rows.append((i + 1, f"message {i} " + "x" * (i % 50), "app.log", date))
    w = PartitionedWriter(tmp_path / "ds", _schema(), basename="part-ab", batch_rows=64, flush_bytes=4096)
    for r in rows:
        w.write(r)
        assert w.open_files <= w.max_open == otel.MAX_OPEN_FILES
    files = w.close()
    partitions = {(r[2], r[3]) for r in rows}
    assert len(files) == len(partitions) == len(_data_files(tmp_path / "ds"))  # one file each, nothing else
    assert any("date=__HIVE_DEFAULT_PARTITION__" in f for f in files)
    import pyarrow.parquet as pq

    assert max(pq.ParquetFile(f).num_row_groups for f in files) > 1  # flushed many times into the same file
    back = _read(tmp_path / "ds")
    assert len(back) == len(rows)
    expected: dict[tuple[Any, Any], list[int]] = {}
    for r in rows:
        expected.setdefault((r[2], r[3]), []).append(r[0])
    assert _by_partition(back) == expected  # every row, in input order within its partition
    assert {r["body"] for r in back} == {r[1] for r in rows}


def test_open_files_are_bounded_and_parts_are_merged_at_close(tmp_path: Path) -> None:
    w = PartitionedWriter(tmp_path / "ds", _schema(), basename="part-cd", batch_rows=10, flush_bytes=1,
                          max_open=3)
    rows = [(i, f"m{i}", "s", f"2024-01-0{1 + (i // 10) % 6}") for i in range(240)]  # 6 days, round robin
    for r in rows:
        w.write(r)
        assert w.open_files <= 3
    assert max(w._parts.values()) > 1  # reopened partitions went on in new part files
    files = w.close()
    assert w.open_files == 0 and w.merged == 6
    assert [Path(f).relative_to(tmp_path / "ds").as_posix() for f in files] == [
        f"source=s/date=2024-01-0{d}/part-cd-00000.parquet" for d in range(1, 7)]  # merged: one file each
    assert _data_files(tmp_path / "ds") == [Path(f) for f in files]
    expected: dict[tuple[Any, Any], list[int]] = {}
    for r in rows:
        expected.setdefault((r[2], r[3]), []).append(r[0])
    assert _by_partition(_read(tmp_path / "ds")) == expected


def test_abort_closes_and_deletes_every_file(tmp_path: Path) -> None:
    w = PartitionedWriter(tmp_path / "ds", _schema(), basename=".part-ef", suffix=".parquet.tmp",
                          batch_rows=5, flush_bytes=1)
    for i in range(50):
        w.write((i, "x", "s", f"2024-02-{1 + i % 3:02d}"))
    assert w.open_files == 3 and len(_data_files(tmp_path / "ds")) == 3
    w.abort()
    assert w.open_files == 0 and not _data_files(tmp_path / "ds")


def _many_days_log(path: Path, days: int = 40, per_day: int = 30) -> int:
    lines = []
    for d in range(days):
        month, day = 1 + d // 28, 1 + d % 28
        for i in range(per_day):
            lines.append(f"2024-{month:02d}-{day:02d} 10:{i // 60:02d}:{i % 60:02d} INFO worker: job {d * per_day + i} "
                         f"finished in {i * 7 % 90} ms on node-{i % 5}")
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


def _spec(path: Path, out: Path) -> TaskSpec:
    return TaskSpec("parse", str(path), path.name, str(out), str(path))


def test_batch_parse_writes_one_file_per_date_with_a_small_flush(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "many.log"
    n = _many_days_log(log)
    default = run_task(_spec(log, tmp_path / "default"))
    monkeypatch.setattr(otel, "FLUSH_BYTES", 2048)
    monkeypatch.setattr(otel, "BATCH_ROWS", 16)
    small = run_task(_spec(log, tmp_path / "small"))
    assert default["status"] == small["status"] == "done", (default, small)
    import pyarrow.parquet as pq

    folder = tmp_path / "small" / "parsed" / "source=many.log"
    dates = sorted(p.name for p in folder.iterdir())
    assert len(dates) == 40 and dates[0] == "date=2024-01-01"
    files = _data_files(folder)
    assert len(files) == 40 and all(f.name.endswith("-00000.parquet") for f in files)
    assert not list((tmp_path / "small").rglob("*.tmp"))
    rows = _read(tmp_path / "small" / "parsed")
    assert len(rows) == n and sorted(r["line"] for r in rows) == list(range(1, n + 1))
    assert all(r["date"] == r["timestamp"].date().isoformat() for r in rows)
    for lines in _by_partition(rows).values():
        assert lines == sorted(lines)  # input order within a partition
    # the flush size changes how row groups are cut, not the rows, the partitions or the file names
    assert rows == _read(tmp_path / "default" / "parsed")
    assert small["outputs"] == default["outputs"]
    assert max(pq.ParquetFile(f).num_row_groups for f in files) > 1  # flushed many times into the same file
    assert [f.relative_to(tmp_path / "small") for f in files] == [
        f.relative_to(tmp_path / "default") for f in _data_files(tmp_path / "default" / "parsed" / "source=many.log")]


def test_a_crash_mid_way_leaves_no_final_named_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "many.log"
    _many_days_log(log)
    out = tmp_path / "out"
    assert run_task(_spec(log, out))["status"] == "done"
    before = {p: p.read_bytes() for p in _data_files(out / "parsed")}
    assert before and all(p.suffix == ".parquet" and not p.name.startswith(".") for p in before)

    monkeypatch.setattr(otel, "FLUSH_BYTES", 1024)
    monkeypatch.setattr(otel, "BATCH_ROWS", 16)
    real = otel.parsed_row
    seen: list[list[Path]] = []
    count = [0]

    def failing(*args: Any, **kwargs: Any) -> Any:
        count[0] += 1
        if count[0] == 700:  # mid-way through pass 2: some partitions already have data on disk
            seen.append([p for p in _data_files(out / "parsed") if p not in before])
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(otel, "parsed_row", failing)
    entry = run_task(_spec(log, out))
    assert entry["status"] == "failed" and "disk on fire" in entry["error"]
    partial = seen[0]
    assert partial and all(p.name.startswith(".") and p.name.endswith(".parquet.tmp") for p in partial)
    assert {p: p.read_bytes() for p in _data_files(out / "parsed")} == before  # old outputs untouched, no tmp
    assert not list(out.rglob("*.tmp"))
    # a file left by a killed run (no chance to clean up) is hidden from readers and removed by the next run
    stale = next(iter(before)).parent / f".{_spec(log, out).tag}-00000.parquet.tmp"
    stale.write_bytes(b"PAR1 half")
    assert len(_read(out / "parsed")) == len(log.read_text().splitlines())
    monkeypatch.setattr(otel, "parsed_row", real)
    monkeypatch.undo()
    assert run_task(_spec(log, out))["status"] == "done"
    assert {p: p.read_bytes() for p in _data_files(out / "parsed")} == before


def test_partition_values_are_kept_apart_and_escaped(tmp_path: Path) -> None:
    rows = [(1, "x", "a/b", "c"), (2, "y", "a", "b/c"), (3, "z", "a/b", "c"), (4, "w", "a b", None),
            (5, "v", "a b", "")]
    w = PartitionedWriter(tmp_path / "ds", _schema(), basename="p", batch_rows=100)
    for r in rows:
        w.write(r)
    files = [Path(f).relative_to(tmp_path / "ds").parent.as_posix() for f in w.close()]
    assert files == ["source=a%20b/date=__HIVE_DEFAULT_PARTITION__", "source=a%2Fb/date=c", "source=a/date=b%2Fc"]
    assert _by_partition(_read(tmp_path / "ds")) == {("a/b", "c"): [1, 3], ("a", "b/c"): [2], ("a b", None): [4, 5]}


def test_small_row_groups_are_joined_at_close(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    w = PartitionedWriter(tmp_path / "ds", _schema(), basename="p", batch_rows=10, flush_bytes=1)
    for i in range(100):
        w.write((i, "x" * i, "s", "2024-05-01"))
    assert w._groups[("s", "2024-05-01")] == [10, 100]  # every batch of 10 rows went out as a row group
    w.flush_bytes = 1 << 20  # a budget the merged row groups fit in
    (f,) = w.close()
    assert w.merged == 1 and pq.ParquetFile(f).num_row_groups == 1
    assert [r["line"] for r in _read(tmp_path / "ds")] == list(range(100))
    big = PartitionedWriter(tmp_path / "ds2", _schema(), basename="p", batch_rows=10_000, flush_bytes=1)
    for i in range(20_000):
        big.write((i, "x", "s", "2024-05-01"))
    (f,) = big.close()
    assert big.merged == 0 and pq.ParquetFile(f).num_row_groups == 2  # large row groups are left as written
