"""Parsed lines and detection records as rows of a Parquet dataset with OpenTelemetry-style columns.

DESIGN.md section 6: ``timestamp``, ``observed_timestamp``, ``severity_text``, ``severity_number``, ``body``,
``attributes``, ``resource`` plus the section 3.2 columns, partitioned as ``source=NAME/date=YYYY-MM-DD``.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from logkit.records import ParsedLine, VarType

__all__ = [
    "SEVERITY_NUMBERS",
    "PARSED_COLUMNS",
    "SCORE_COLUMNS",
    "severity",
    "parsed_row",
    "parsed_schema",
    "score_schema",
    "PartitionedWriter",
    "PARTITION_COLUMNS",
    "BATCH_ROWS",
    "FLUSH_BYTES",
    "MAX_OPEN_FILES",
    "record_row",
    "observed_time",
]

# OpenTelemetry SeverityNumber ranges: TRACE 1-4, DEBUG 5-8, INFO 9-12, WARN 13-16, ERROR 17-20, FATAL 21-24
SEVERITY_NUMBERS = {
    "trace": 1, "finest": 1, "finer": 2, "fine": 3, "verbose": 4,
    "debug": 5, "dbg": 5, "config": 6,
    "info": 9, "information": 9, "informational": 9, "notice": 10, "i": 9,
    "warn": 13, "warning": 13, "w": 13,
    "error": 17, "err": 17, "severe": 18, "e": 17, "failure": 18, "fail": 18,
    "fatal": 21, "critical": 21, "crit": 21, "alert": 22, "emerg": 23, "emergency": 23, "panic": 23, "f": 21,
}
_LEVEL_FIELDS = ("level", "severity", "loglevel", "log_level", "priority", "lvl")
PARSED_COLUMNS = ("line", "timestamp", "observed_timestamp", "severity_text", "severity_number", "body",
                  "attributes", "resource", "template_id", "template", "params", "fields")
SCORE_COLUMNS = ("group", "first_line", "last_line", "lines", "start", "end", "score", "threshold", "anomaly",
                 "uncertainty", "routed", "decided_by", "method", "reason", "model_anomaly", "resource")
PARTITION_COLUMNS = ("source", "date")
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"  # the folder name of a null partition value (hive convention)
BATCH_ROWS = 20_000  # rows buffered as Python tuples before they become Arrow batches
FLUSH_BYTES = 8 << 20  # buffered Arrow bytes per writer before the largest partitions are appended
# Parquet files a writer keeps open at once (least recently used closed first; a file descriptor and some
# metadata each): beyond it, interleaved partitions get part files that close() merges (more CPU)
MAX_OPEN_FILES = 64
SMALL_GROUP_ROWS = 8192  # close() also rewrites a partition written as several row groups this small on average
_TYPE_NAMES = {t: t.value for t in VarType}


@functools.lru_cache(maxsize=1024)
def _level_key(names: tuple[str, ...]) -> str | None:
    """The level field among a header's field names (a pure function, remembered)."""
    return next((k for k in names if k.lower() in _LEVEL_FIELDS), None)


def severity(fields: dict[str, str]) -> tuple[str | None, int | None]:
    """The level field of a header (``Level``, ``Severity``, ... any case) and its OpenTelemetry number."""
    key = _level_key(tuple(fields))
    if key is None:
        return None, None
    text = fields[key].strip()
    return text or None, SEVERITY_NUMBERS.get(text.strip("[]<>:").lower())


def parsed_row(p: ParsedLine, source: str, resource: dict[str, str], observed: datetime) -> tuple[Any, ...]:
    """One dataset row for a parsed line, in the order of :func:`parsed_schema` (no shared state that could
    race: safe in threads, e.g. a Dask worker)."""
    rec = p.record
    ts = rec.timestamp
    fields = rec.fields if isinstance(rec.fields, dict) else dict(rec.fields)
    level, number = severity(fields)
    iso = ts.isoformat() if ts is not None else None
    names = _TYPE_NAMES
    # an instant like observed_timestamp: a time with an offset converted to UTC, one without read as UTC
    when = ts if ts is None or ts.tzinfo is not None else ts.replace(tzinfo=UTC)
    return (rec.raw.line_no, when, observed, level, number, rec.content, fields, resource, p.template_id,
            p.template, [{"value": q.value, "type": names[q.type]} for q in p.params], fields, source,
            iso[:10] if iso and len(iso) >= 10 and iso[4] == "-" else None)


def _map() -> Any:
    import pyarrow as pa

    return pa.map_(pa.string(), pa.string())


def parsed_schema() -> Any:
    """The Arrow schema of parsed rows, partition columns (``source``, ``date``) last."""
    import pyarrow as pa

    return pa.schema([
        ("line", pa.int64()), ("timestamp", pa.timestamp("us", tz="UTC")),
        ("observed_timestamp", pa.timestamp("us", tz="UTC")),
        ("severity_text", pa.string()), ("severity_number", pa.int32()), ("body", pa.string()),
        ("attributes", _map()), ("resource", _map()), ("template_id", pa.string()), ("template", pa.string()),
        ("params", pa.list_(pa.struct([("value", pa.string()), ("type", pa.string())]))),
        ("fields", _map()), ("source", pa.string()), ("date", pa.string()),
    ])


def score_schema() -> Any:
    """The Arrow schema of detection rows (DESIGN.md 3.4 plus ``resource``), partition columns last."""
    import pyarrow as pa

    return pa.schema([
        ("group", pa.string()), ("first_line", pa.int64()), ("last_line", pa.int64()), ("lines", pa.int64()),
        ("start", pa.string()), ("end", pa.string()), ("score", pa.float64()), ("threshold", pa.float64()),
        ("anomaly", pa.bool_()), ("uncertainty", pa.float64()), ("routed", pa.bool_()),
        ("decided_by", pa.string()), ("method", pa.string()), ("reason", pa.string()),
        ("model_anomaly", pa.bool_()), ("resource", _map()), ("source", pa.string()), ("date", pa.string()),
    ])


def observed_time(path: str) -> datetime:
    """The input's modification time (UTC): a deterministic ``observed_timestamp`` for a batch input."""
    try:
        return datetime.fromtimestamp(os.stat(path).st_mtime, tz=UTC)
    except OSError:
        return datetime.fromtimestamp(0, tz=UTC)


def record_row(rec: dict[str, Any], schema: Any) -> tuple[Any, ...]:
    """A dict (a detection record with ``resource``, ``source``, ``date``) as a row in ``schema``'s order."""
    return tuple(rec.get(name) for name in schema.names)


def _batch(rows: list[tuple[Any, ...]], schema: Any) -> Any:
    import pyarrow as pa

    from logkit.output import _sanitize

    def build(rs: list[Any]) -> Any:
        cols = list(zip(*rs, strict=True)) if rs else [() for _ in schema.names]
        return pa.RecordBatch.from_arrays([pa.array(c, type=f.type) for c, f in zip(cols, schema, strict=True)],
                                          schema=schema)

    try:
        return build(rows)
    except (UnicodeEncodeError, UnicodeDecodeError):  # lone surrogates (non-UTF-8 bytes): escape them
        return build([tuple(_sanitize(v) for v in r) for r in rows])


class PartitionedWriter:
    """Rows in, a hive-partitioned Parquet dataset (``source=``/``date=``) out: one file per partition.

    Rows are buffered and turned into Arrow batches of ``batch_rows``, split by partition. When the buffers
    hold more than ``flush_bytes`` in all (memory stays bounded), the largest are appended, as row groups,
    to their partition's open :class:`pyarrow.parquet.ParquetWriter` until half the budget is free; the
    rest is appended at :meth:`close`. At most ``max_open`` files are open at once: the least recently used
    is closed, and that partition goes on in a new part file when it gets rows again (when more than
    ``max_open`` partitions interleave). :meth:`close` merges such parts (and a partition's row groups
    when they are small on average), so each partition ends with one file, ``{basename}-00000{suffix}``
    (the inputs of a job never overwrite each other's files; names and contents depend only on the rows,
    so every worker and scheduler writes the same files). The partition columns (``source``, ``date``)
    must be the schema's last two; they are the folder names, not columns of the files. :attr:`files`
    lists every file written; :meth:`abort` closes and deletes them.
    """

    def __init__(self, folder: str | os.PathLike[str], schema: Any, *, basename: str,
                 suffix: str = ".parquet", batch_rows: int | None = None, flush_bytes: int | None = None,
                 max_open: int | None = None, row_group_rows: int = 1 << 17) -> None:
        import pyarrow as pa

        if list(schema.names[-2:]) != list(PARTITION_COLUMNS):
            raise ValueError(f"the schema must end with the partition columns {PARTITION_COLUMNS}")
        self.folder = str(folder)
        self.suffix = suffix
        self.schema = schema
        self.file_schema = pa.schema(list(schema)[: -len(PARTITION_COLUMNS)])
        self.basename = basename
        self.batch_rows = max(1, BATCH_ROWS if batch_rows is None else batch_rows)
        self.flush_bytes = FLUSH_BYTES if flush_bytes is None else flush_bytes
        self.max_open = max(1, _open_limit() if max_open is None else max_open)
        self.row_group_rows = max(1, row_group_rows)
        self.files: list[str] = []
        self.rows = 0
        self._pending: list[tuple[Any, ...]] = []
        self._batches: dict[tuple[Any, ...], list[Any]] = {}
        self._bytes: dict[tuple[Any, ...], int] = {}
        self._total = 0
        self._open: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._parts: dict[tuple[Any, ...], int] = {}  # part files opened per partition
        self._groups: dict[tuple[Any, ...], list[int]] = {}  # row groups and rows written per partition
        self.merged = 0  # partitions whose part files (or small row groups) close() merged into one

    @property
    def open_files(self) -> int:
        """How many files are open now (never more than ``max_open``)."""
        return len(self._open)

    def write(self, row: tuple[Any, ...]) -> None:
        """Add one row (values in the schema's order; ``source`` and ``date``, the last two, pick the partition)."""
        self._pending.append(row)
        self.rows += 1
        if len(self._pending) >= self.batch_rows:
            self._to_batches()

    def _to_batches(self) -> None:
        if self._pending:
            for key, b in self._split(_batch(self._pending, self.schema)):
                self._batches.setdefault(key, []).append(b)
                self._bytes[key] = self._bytes.get(key, 0) + b.nbytes
                self._total += b.nbytes
            self._pending = []
        if self._total >= self.flush_bytes:
            # the largest buffers first (a stable sort: ties keep the order partitions were first seen)
            for key in sorted(self._batches, key=lambda k: -self._bytes[k]):
                self._append(key)
                if self._total <= self.flush_bytes // 2:
                    break

    def _split(self, batch: Any) -> list[tuple[tuple[Any, ...], Any]]:
        """A batch of the full schema as (partition, batch without the partition columns) pieces, each with its
        rows in their order (an empty partition value is a null one)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        n = len(self.file_schema)
        body = pa.RecordBatch.from_arrays(batch.columns[:n], schema=self.file_schema)
        cols = [pc.fill_null(batch.column(n + i), "") for i in range(len(PARTITION_COLUMNS))]
        codes = pa.scalar(0, pa.int64())
        for c in cols:  # one number per distinct combination of partition values
            enc = pc.dictionary_encode(c)
            codes = pc.add(pc.multiply(codes, len(enc.dictionary)), pc.cast(enc.indices, pa.int64()))

        def key(row: int) -> tuple[Any, ...]:
            return tuple(c[row].as_py() or None for c in cols)

        bounds = pc.min_max(codes)
        if bounds["min"].as_py() == bounds["max"].as_py():
            return [(key(0), body)]
        order = pc.sort_indices(codes)  # stable: each partition's rows keep their order
        counts = pc.value_counts(codes)
        pieces = []
        start = 0
        for _, count in sorted(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(),
                                   strict=True)):
            rows = order.slice(start, count)
            pieces.append((key(rows[0].as_py()), body.take(rows)))
            start += count
        return pieces

    def _append(self, key: tuple[Any, ...]) -> None:
        import pyarrow as pa

        batches = self._batches.pop(key)
        self._total -= self._bytes.pop(key)
        table = pa.Table.from_batches(batches, schema=self.file_schema)
        self._writer(key).write_table(table, row_group_size=self.row_group_rows)
        written = self._groups.setdefault(key, [0, 0])
        written[0] += -(-table.num_rows // self.row_group_rows)
        written[1] += table.num_rows

    def _writer(self, key: tuple[Any, ...]) -> Any:
        w = self._open.get(key)
        if w is not None:
            self._open.move_to_end(key)
            return w
        import pyarrow.parquet as pq

        while len(self._open) >= self.max_open:
            self._open.popitem(last=False)[1].close()
        part = self._parts.get(key, 0)
        self._parts[key] = part + 1
        path = self._path(key, part)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.files.append(str(path))
        w = self._open[key] = pq.ParquetWriter(str(path), self.file_schema, compression="snappy")
        return w

    def close(self) -> list[str]:
        """Write what is left, close every file and merge each partition's part files into its first one;
        returns every file written."""
        self._to_batches()
        for key in list(self._batches):
            self._append(key)
        while self._open:
            self._open.popitem(last=False)[1].close()
        for key, parts in self._parts.items():
            groups, rows = self._groups.get(key, (0, 0))
            if parts > 1 or (groups > 1 and rows < groups * SMALL_GROUP_ROWS):
                self._merge(key, parts)
        return sorted(self.files)

    def _path(self, key: tuple[Any, ...], part: int) -> Path:
        folder = Path(self.folder).joinpath(*(f"{name}={_segment(v)}" for name, v in zip(PARTITION_COLUMNS, key,
                                                                                           strict=True)))
        return folder / f"{self.basename}-{part:05d}{self.suffix}"

    def _merge(self, key: tuple[Any, ...], parts: int) -> None:
        """Copy a partition's part files, in order, into one file (small row groups joined into ones of up to
        ``row_group_rows`` rows and about ``flush_bytes / 2`` bytes: memory stays bounded), which takes the
        first part's name."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        paths = [self._path(key, i) for i in range(parts)]
        merged = paths[0].with_name(f"{self.basename}-merging{self.suffix}")
        self.files.append(str(merged))  # deleted by abort() if this fails
        held: list[Any] = []
        rows = size = 0
        with pq.ParquetWriter(str(merged), self.file_schema, compression="snappy") as out:
            for path in paths:
                with pq.ParquetFile(str(path)) as pf:
                    for i in range(pf.num_row_groups):
                        t = pf.read_row_group(i)
                        held.append(t)
                        rows += t.num_rows
                        size += t.nbytes
                        if rows >= self.row_group_rows or size >= self.flush_bytes // 2:
                            out.write_table(pa.concat_tables(held), row_group_size=self.row_group_rows)
                            held, rows, size = [], 0, 0
            if held:
                out.write_table(pa.concat_tables(held), row_group_size=self.row_group_rows)
        os.replace(merged, paths[0])
        for path in paths[1:]:
            path.unlink()
        gone = {str(merged), *(str(p) for p in paths[1:])}
        self.files = [f for f in self.files if f not in gone]
        self.merged += 1

    def abort(self) -> None:
        """Close and delete every file written (after a failure: nothing half-written stays behind)."""
        while self._open:
            with contextlib.suppress(Exception):
                self._open.popitem(last=False)[1].close()
        for f in self.files:
            Path(f).unlink(missing_ok=True)
        self._pending, self._batches, self._bytes, self._total = [], {}, {}, 0


def _open_limit() -> int:
    """:data:`MAX_OPEN_FILES`, or a quarter of the process's file-descriptor limit when that is lower."""
    import resource

    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return MAX_OPEN_FILES if soft == resource.RLIM_INFINITY else max(8, min(MAX_OPEN_FILES, soft // 4))


def _segment(value: Any) -> str:
    """A partition value as a hive folder name part, as ``pyarrow.dataset`` writes and reads it."""
    from urllib.parse import quote

    return HIVE_NULL if value is None or value == "" else quote(str(value), safe="")
