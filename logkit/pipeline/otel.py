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


def severity(fields: dict[str, str]) -> tuple[str | None, int | None]:
    """The level field of a header (``Level``, ``Severity``, ... any case) and its OpenTelemetry number."""
    for key, value in fields.items():
        if key.lower() in _LEVEL_FIELDS:
            text = value.strip()
            return text or None, SEVERITY_NUMBERS.get(text.strip("[]<>:").lower())
    return None, None


def parsed_row(p: ParsedLine, resource: dict[str, str], observed: datetime) -> dict[str, Any]:
    """One dataset row for a parsed line (no shared caches: safe in threads, e.g. a Dask worker)."""
    rec = p.record
    ts = rec.timestamp
    fields = dict(rec.fields)
    level, number = severity(fields)
    iso = ts.isoformat() if ts is not None else None
    return {
        "line": rec.raw.line_no,
        "timestamp": iso,
        "observed_timestamp": observed,
        "severity_text": level,
        "severity_number": number,
        "body": rec.content,
        "attributes": fields,
        "resource": resource,
        "template_id": p.template_id,
        "template": p.template,
        "params": [{"value": q.value, "type": _TYPE_NAMES[q.type]} for q in p.params],
        "fields": fields,
        "date": iso[:10] if iso and len(iso) >= 10 and iso[4] == "-" else None,
    }


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


def _batch(rows: list[dict[str, Any]], schema: Any) -> Any:
    import pyarrow as pa

    from logkit.output import _sanitize

    def build(rs: list[dict[str, Any]]) -> Any:
        data: dict[str, list[Any]] = {name: [] for name in schema.names}
        for r in rs:
            for name, col in data.items():
                v = r.get(name)
                col.append(list(v.items()) if isinstance(v, dict) else v)
        return pa.RecordBatch.from_pydict(data, schema=schema)

    try:
        return build(rows)
    except (UnicodeEncodeError, UnicodeDecodeError):  # lone surrogates (non-UTF-8 bytes): escape them
        return build([_sanitize(r) for r in rows])


class PartitionedWriter:
    """Rows in, a hive-partitioned Parquet dataset (``source=``/``date=``) out, through ``pyarrow.dataset``.

    Rows become Arrow batches of ``batch_rows``; the batches are written whenever they hold more than
    ``flush_bytes`` (so memory stays bounded) and at :meth:`close`. File names start with ``basename`` so
    the inputs of a job never overwrite each other's files. :attr:`files` lists what was written.
    """

    def __init__(self, folder: str | os.PathLike[str], schema: Any, *, basename: str,
                 batch_rows: int = 50_000, flush_bytes: int = 128 << 20) -> None:
        self.folder = str(folder)
        self.schema = schema
        self.basename = basename
        self.batch_rows = batch_rows
        self.flush_bytes = flush_bytes
        self.files: list[str] = []
        self.rows = 0
        self._pending: list[dict[str, Any]] = []
        self._batches: list[Any] = []
        self._bytes = 0
        self._writes = 0

    def write(self, row: dict[str, Any]) -> None:
        """Add one row (a dict with the schema's names; ``source`` and ``date`` pick the partition)."""
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
                         basename_template=f"{self.basename}-{self._writes}-{{i}}.parquet",
                         existing_data_behavior="overwrite_or_ignore", file_visitor=visit,
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
