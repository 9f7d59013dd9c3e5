"""Parsed lines and detection records as rows of a Parquet dataset with OpenTelemetry-style columns.

DESIGN.md section 6: ``timestamp``, ``observed_timestamp``, ``severity_text``, ``severity_number``, ``body``,
``attributes``, ``resource`` plus the section 3.2 columns, partitioned as ``source=NAME/date=YYYY-MM-DD``.
"""

from __future__ import annotations

import os
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
_TYPE_NAMES = {t: t.value for t in VarType}


_LEVEL_KEY: dict[tuple[str, ...], str | None] = {}  # field names -> the level field among them (a cache)


def severity(fields: dict[str, str]) -> tuple[str | None, int | None]:
    """The level field of a header (``Level``, ``Severity``, ... any case) and its OpenTelemetry number."""
    names = tuple(fields)
    key = _LEVEL_KEY.get(names, "")
    if key == "":
        key = next((k for k in names if k.lower() in _LEVEL_FIELDS), None)
        if len(_LEVEL_KEY) < 1000:
            _LEVEL_KEY[names] = key
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
    return (rec.raw.line_no, iso, observed, level, number, rec.content, fields, resource, p.template_id,
            p.template, [{"value": q.value, "type": names[q.type]} for q in p.params], fields, source,
            iso[:10] if iso and len(iso) >= 10 and iso[4] == "-" else None)


def _map() -> Any:
    import pyarrow as pa

    return pa.map_(pa.string(), pa.string())


def parsed_schema() -> Any:
    """The Arrow schema of parsed rows, partition columns (``source``, ``date``) last."""
    import pyarrow as pa

    return pa.schema([
        ("line", pa.int64()), ("timestamp", pa.string()), ("observed_timestamp", pa.timestamp("us", tz="UTC")),
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
    """Rows in, a hive-partitioned Parquet dataset (``source=``/``date=``) out, through ``pyarrow.dataset``.

    Rows become Arrow batches of ``batch_rows``; the batches are written whenever they hold more than
    ``flush_bytes`` (so memory stays bounded) and at :meth:`close`. File names start with ``basename`` so
    the inputs of a job never overwrite each other's files. :attr:`files` lists what was written.
    """

    def __init__(self, folder: str | os.PathLike[str], schema: Any, *, basename: str,
                 suffix: str = ".parquet", batch_rows: int = 20_000, flush_bytes: int = 8 << 20) -> None:
        self.folder = str(folder)
        self.suffix = suffix
        self.schema = schema
        self.basename = basename
        self.batch_rows = batch_rows
        self.flush_bytes = flush_bytes
        self.files: list[str] = []
        self.rows = 0
        self._pending: list[tuple[Any, ...]] = []
        self._batches: list[Any] = []
        self._bytes = 0
        self._writes = 0

    def write(self, row: tuple[Any, ...]) -> None:
        """Add one row (values in the schema's order; ``source`` and ``date`` pick the partition)."""
        self._pending.append(row)
        self.rows += 1
        if len(self._pending) >= self.batch_rows:
            self._to_batch()

    def _to_batch(self) -> None:
        if self._pending:
            b = _batch(self._pending, self.schema)
            self._pending = []
            self._batches.append(b)
            self._bytes += b.nbytes
            if self._bytes >= self.flush_bytes:
                self._write()

    def _write(self) -> None:
        import pyarrow.dataset as ds

        if not self._batches:
            return
        part = ds.partitioning(self.schema.empty_table().select(["source", "date"]).schema, flavor="hive")

        def visit(f: Any) -> None:
            self.files.append(str(Path(f.path)))

        ds.write_dataset(self._batches, self.folder, schema=self.schema, format="parquet", partitioning=part,
                         basename_template=f"{self.basename}-{self._writes}-{{i}}{self.suffix}",
                         existing_data_behavior="overwrite_or_ignore", file_visitor=visit, max_open_files=16,
                         max_rows_per_group=max(self.batch_rows, 1),
                         min_rows_per_group=min(self.batch_rows, 10_000))
        self._writes += 1
        self._batches = []
        self._bytes = 0

    def close(self) -> list[str]:
        """Write what is left; returns every file written."""
        self._to_batch()
        self._write()
        return sorted(self.files)
