"""logkit's own parse output read back as parse records: JSON Lines and Parquet, recognised by content.

JSON Lines are parse output when the first non-empty line is an object with ``template_id`` and ``params``;
a Parquet file (``PAR1`` at both ends) when it has those columns (DESIGN.md 3.2). Rows come back as the
dicts of the JSON Lines output, so a reader of one reads the other; memory stays bounded by a batch.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from logkit.errors import InputError

__all__ = ["is_parquet", "parquet_records", "is_parse_record", "recorded_kind", "read_records", "jsonl_records"]

_MAGIC = b"PAR1"
_BATCH = 8192
_NEEDED = ("template_id", "params")


def is_parquet(path: str) -> bool:
    """Whether ``path`` is a regular file that begins and ends with the Parquet magic number."""
    if path == "-" or not os.path.isfile(path):
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
            if head != _MAGIC or os.path.getsize(path) < 12:
                return False
            fh.seek(-4, os.SEEK_END)
            return fh.read(4) == _MAGIC
    except OSError:
        return False


def _value(column: str, value: Any) -> Any:
    if column == "timestamp" and isinstance(value, datetime):
        return value.isoformat()
    if column == "fields" and isinstance(value, list):  # a map comes back as (key, value) pairs
        return dict(value)
    return value


def parquet_records(path: str) -> Iterator[dict[str, Any]]:
    """The rows of a logkit parse Parquet file as parse records (the JSON Lines dicts), in file order.

    Raises :class:`InputError` when the file cannot be read as Parquet or lacks the parse columns.
    """
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow's errors: damaged or not Parquet after all
        raise InputError(f"{path}: cannot be read as Parquet ({exc}); give a log or logkit parse output") from None
    names = pf.schema_arrow.names
    missing = [c for c in _NEEDED if c not in names]
    if missing:
        raise InputError(f"{path} is a Parquet file without the column(s) {', '.join(missing)} of `logkit parse` "
                         "output; give a log, or parse output written by logkit")
    try:
        for batch in pf.iter_batches(batch_size=_BATCH):
            columns = batch.schema.names
            data = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            for row in zip(*data, strict=True):
                yield {c: _value(c, v) for c, v in zip(columns, row, strict=True)}
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{path}: damaged Parquet file ({exc}); write it again with logkit parse") from None


def is_parse_record(data: bytes | str) -> bool:
    """Whether one line is a ``logkit parse`` JSON record (an object with ``template_id`` and ``params``)."""
    s = data.strip()
    if not (s.startswith(b"{") if isinstance(s, bytes) else s.startswith("{")):
        return False
    try:
        obj = json.loads(s)
    except ValueError:
        return False
    return isinstance(obj, dict) and all(c in obj for c in _NEEDED)


def _first_line(path: str) -> bytes | None:
    """The first non-empty line of a file (within its first 64 KiB; .gz/.zst decompressed), else None."""
    from logkit.parse.sources import open_binary

    try:
        with open_binary(path) as fh:
            head = fh.read(1 << 16)
    except (InputError, OSError):
        return None
    return next((line for line in head.split(b"\n") if line.strip()), None)


def recorded_kind(path: str) -> str | None:
    """``"parquet"`` or ``"jsonl"`` when the file ``path`` is logkit parse output, else None (a log)."""
    if path == "-" or not os.path.isfile(path):
        return None
    if is_parquet(path):
        return "parquet"
    first = _first_line(path)
    return "jsonl" if first is not None and is_parse_record(first) else None


def read_records(path: str, kind: str) -> Iterator[dict[str, Any]]:
    """The parse records of ``path`` (``kind`` from :func:`recorded_kind`), in order."""
    if kind == "parquet":
        return parquet_records(path)
    return jsonl_records(path)


def jsonl_records(path: str) -> Iterator[dict[str, Any]]:
    """The JSON objects of a logkit JSON Lines file (parse or detect output; blank lines skipped), in order; a
    line that is not one is an :class:`InputError`."""
    from logkit.parse.sources import iter_raw_lines

    for raw in iter_raw_lines(path):
        if not raw.data.strip():
            continue
        try:
            rec = json.loads(raw.data.decode("utf-8", "replace"))
        except ValueError:
            rec = None
        if not isinstance(rec, dict):
            raise InputError(f"{path} line {raw.line_no} is not a JSON object although the file began as logkit "
                             "JSON Lines; give a log or unedited logkit parse or detect output")
        yield rec
