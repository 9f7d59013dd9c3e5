"""Record writers shared by the verbs: JSON Lines, CSV, Parquet and a terminal table (DESIGN.md 3.1, 3.2).

Every file is written to a temporary file beside its target and renamed into place on close, so a failed run
never leaves a partial file; an interrupted one (SIGINT/SIGTERM) closes it validly with the records written.
Lone surrogates (bytes that were not UTF-8) are written as
``\\udcXX`` escapes, which JSON readers turn back into the same code points.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from logkit.errors import DependencyError, InputError, UsageError
from logkit.fsutil import is_special_file, resolve_target, temp_beside

__all__ = [
    "OUTPUT_FORMATS",
    "EXTENSIONS",
    "Writer",
    "JsonlWriter",
    "resolve_output_format",
    "open_writer",
    "escape_surrogates",
    "jsonl_compression",
]

OUTPUT_FORMATS = ("table", "jsonl", "csv", "parquet")
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
_COMPRESSED_JSONL = {".jsonl.gz": "gzip", ".jsonl.zst": "zstd", ".ndjson.gz": "gzip", ".ndjson.zst": "zstd"}
JSONL_BATCH = 512  # records joined before one write when not flushing each record
PARQUET_BATCH = 50_000
TABLE_BATCH = 200
_NESTED = (dict, list, tuple)


def _is_stdout(path: str | os.PathLike[str] | None) -> bool:
    return path is None or str(path) == "-"


def resolve_output_format(option: str | None, path: str | os.PathLike[str] | None) -> str:
    """The output kind: the flag, else the extension of ``-o``, else table on a terminal and jsonl in a pipe.

    Parameters
    ----------
    option : str or None
        The value of ``--output-format``.
    path : path or None
        The value of ``-o`` (``None`` or ``"-"`` for standard output).

    Returns
    -------
    str
        One of ``table``, ``jsonl``, ``csv``, ``parquet``.
    """
    if option:
        if option not in OUTPUT_FORMATS:
            raise UsageError(f"unknown --output-format {option!r}; use one of {', '.join(OUTPUT_FORMATS)}")
        if option != "jsonl" and not _is_stdout(path) and jsonl_compression(path):
            raise UsageError(f"-o {path} is compressed JSON Lines; use --output-format jsonl or another name")
        return option
    if not _is_stdout(path):
        if jsonl_compression(path):
            return "jsonl"
        found = EXTENSIONS.get(Path(str(path)).suffix.lower())
        if found is None:
            if is_special_file(str(path)):  # /dev/null, a FIFO: no name to go by, JSON Lines as in a pipe
                return "jsonl"
            names = ", ".join([*EXTENSIONS, *_COMPRESSED_JSONL])
            raise UsageError(f"-o {path}: unknown output extension; use one of {names}, or give --output-format")
        return found
    try:
        return "table" if sys.stdout.isatty() else "jsonl"
    except (AttributeError, ValueError):
        return "jsonl"


def jsonl_compression(path: str | os.PathLike[str] | None) -> str | None:
    """``gzip`` or ``zstd`` when ``path`` names compressed JSON Lines (``.jsonl.gz``, ``.jsonl.zst``), else None."""
    if _is_stdout(path):
        return None
    name = Path(str(path)).name.lower()
    return next((kind for ext, kind in _COMPRESSED_JSONL.items() if name.endswith(ext)), None)


def escape_surrogates(text: str) -> str:
    """Write lone surrogates as ``\\udcXX`` text (for Arrow and other strict UTF-8 sinks)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


class Writer:
    """Base class: ``write(record)`` for each record, then ``close()`` (or use it as a context manager).

    On an exception inside the ``with`` block :meth:`abort` runs instead of :meth:`close`: the temporary
    file is removed and the target is left untouched. ``KeyboardInterrupt`` (SIGINT/SIGTERM) closes it: the
    records written so far make a valid file.
    """

    def __init__(self, path: str | os.PathLike[str] | None, *, binary: bool = True) -> None:
        self.path = None if _is_stdout(path) else resolve_target(path)  # type: ignore[arg-type]
        self.count = 0
        self._tmp: Path | None = None
        self._closed = False
        self.stream: Any
        if self.path is None:
            with contextlib.suppress(AttributeError, ValueError):
                sys.stdout.flush()
            if binary:
                self.stream = getattr(sys.stdout, "buffer", None) or _TextAsBinary(sys.stdout)
            else:
                self.stream = sys.stdout
        elif is_special_file(self.path):  # /dev/null, a FIFO: written in place, never replaced
            self.stream = open(self.path, "wb") if binary else open(  # noqa: SIM115 - closed by close()
                self.path, "w", encoding="utf-8", errors="backslashreplace", newline=""
            )
        else:
            if self.path.is_dir():
                raise InputError(f"{self.path} is a folder; give a file path to write to")
            fd, tmp = temp_beside(self.path)
            self._tmp = Path(tmp)
            self.stream = os.fdopen(fd, "wb") if binary else os.fdopen(
                fd, "w", encoding="utf-8", errors="backslashreplace", newline=""
            )

    def write(self, record: dict[str, Any]) -> None:  # pragma: no cover - overridden
        """Write one record."""
        raise NotImplementedError

    def write_many(self, records: Iterable[dict[str, Any]]) -> None:
        """Write records in order."""
        for record in records:
            self.write(record)

    def _finish(self) -> None:
        """Write what is buffered (subclasses)."""

    def close(self) -> None:
        """Write what is left and, for a file, rename the temporary file onto the target."""
        if self._closed:
            return
        self._closed = True
        try:
            self._finish()
            self.stream.flush()
        except BaseException:
            self._discard()
            raise
        if self._tmp is not None and self.path is not None:
            os.fsync(self.stream.fileno())
            self.stream.close()
            os.replace(self._tmp, self.path)
            self._tmp = None
        elif self.path is not None:
            self.stream.close()

    def abort(self) -> None:
        """Drop the output: remove the temporary file (standard output keeps what was flushed)."""
        if self._closed:
            return
        self._closed = True
        self._discard()

    def _discard(self) -> None:
        if self._tmp is None and self.path is not None:  # a special file written in place
            with contextlib.suppress(OSError):
                self.stream.close()
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                self.stream.close()
            with contextlib.suppress(OSError):
                self._tmp.unlink()
            self._tmp = None

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None or issubclass(exc_type, KeyboardInterrupt):
            self.close()  # interrupted (SIGINT/SIGTERM): what was read is written, as a valid file
        else:
            self.abort()


class _TextAsBinary:
    """A binary face over a text stream that has no ``.buffer`` (some test harnesses)."""

    def __init__(self, text: IO[str]) -> None:
        self.text = text

    def write(self, data: bytes) -> int:
        self.text.write(data.decode("utf-8"))
        return len(data)

    def flush(self) -> None:
        self.text.flush()


def _json_line_encoder() -> Any:
    """``json.JSONEncoder(ensure_ascii=False).encode`` without building the C encoder on every call."""
    from json import encoder as _enc

    plain = json.JSONEncoder(ensure_ascii=False)
    make = getattr(_enc, "c_make_encoder", None)
    if make is None:  # pure-Python json: the plain encoder
        return plain.encode
    iterencode = make(None, plain.default, _enc.encode_basestring, None, ": ", ", ", False, False, True)

    def encode(record: Any) -> str:
        if not isinstance(record, dict):
            return plain.encode(record)
        return "".join(iterencode(record, 0))

    return encode


class JsonlWriter(Writer):
    """JSON Lines: one compact record a line, keys in the record's order; non-ASCII written as UTF-8."""

    def __init__(self, path: str | os.PathLike[str] | None, *, flush_each: bool = False) -> None:
        super().__init__(path)
        self.flush_each = flush_each
        self._encode = _json_line_encoder()
        self._pending: list[str] = []
        self._plain: Any = None  # the file under a compressor (.jsonl.gz, .jsonl.zst)
        kind = jsonl_compression(path)
        if kind is not None:
            self._plain = self.stream
            self.stream = _compressor(kind, self._plain)

    def write(self, record: dict[str, Any]) -> None:
        """Write one record (flushed at once when ``flush_each``)."""
        self.count += 1
        if self.flush_each:
            self.stream.write((self._encode(record) + "\n").encode("utf-8", "backslashreplace"))
            self.stream.flush()
            return
        pending = self._pending
        pending.append(self._encode(record))
        if len(pending) >= JSONL_BATCH:
            self._flush_pending()

    def parse_maker(self) -> Any:
        """How this writer wants parse records: a maker for :meth:`logkit.parse.Parser.parse_blocks` that gives
        each record's JSON text (:meth:`logkit.parse.jsontext.JsonText.maker`), for :meth:`write_json_lines`."""
        from logkit.parse.jsontext import JsonText

        return JsonText().maker

    def write_json(self, line: str) -> None:
        """Write one record already encoded as JSON text (one line, no newline)."""
        self.count += 1
        if self.flush_each:
            self.stream.write((line + "\n").encode("utf-8", "backslashreplace"))
            self.stream.flush()
            return
        pending = self._pending
        pending.append(line)
        if len(pending) >= JSONL_BATCH:
            self._flush_pending()

    def write_json_lines(self, lines: list[str]) -> None:
        """Write records already encoded as JSON text (one line each, no newlines), in order."""
        if self.flush_each:
            for line in lines:
                self.write_json(line)
            return
        self.count += len(lines)
        self._flush_pending()
        if lines:
            lines.append("")
            self.stream.write("\n".join(lines).encode("utf-8", "backslashreplace"))
            lines.pop()

    def _flush_pending(self) -> None:
        if self._pending:
            pending = self._pending
            pending.append("")
            self.stream.write("\n".join(pending).encode("utf-8", "backslashreplace"))
            self._pending = []

    def _finish(self) -> None:
        self._flush_pending()
        if self._plain is not None:  # end the compressed stream (its trailer), then the file is closed as usual
            self.stream.close()
            self.stream, self._plain = self._plain, None

    def _discard(self) -> None:
        if self._plain is not None:
            self.stream, self._plain = self._plain, None
        super()._discard()


def _compressor(kind: str, raw: Any) -> Any:
    """A writable stream compressing into ``raw`` (left open when the compressor is closed)."""
    if kind == "gzip":
        import gzip

        return gzip.GzipFile(fileobj=raw, mode="wb", mtime=0)
    import zstandard

    return zstandard.ZstdCompressor(level=9).stream_writer(raw, closefd=False)


def _cell(value: Any) -> Any:
    if isinstance(value, _NESTED):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


class CsvWriter(Writer):
    """CSV with a header row; nested values (``params``, ``fields``) as JSON strings, ``null`` as empty."""

    def __init__(
        self, path: str | os.PathLike[str] | None, *, columns: Sequence[str], flush_each: bool = False
    ) -> None:
        super().__init__(path, binary=False)
        import csv

        self.columns = list(columns)
        self.flush_each = flush_each
        if self.path is None:
            self.stream = _SurrogateSafeText(self.stream)
        self._csv = csv.writer(self.stream, lineterminator="\n")
        self._csv.writerow(self.columns)

    def write(self, record: dict[str, Any]) -> None:
        """Write one row; columns missing from the record are empty."""
        self.count += 1
        self._csv.writerow([_cell(record.get(c)) for c in self.columns])
        if self.flush_each:
            self.stream.flush()


class _SurrogateSafeText:
    """Text stream wrapper escaping lone surrogates (standard output is strict UTF-8)."""

    def __init__(self, text: IO[str]) -> None:
        self.text = text

    def write(self, data: str) -> int:
        return self.text.write(escape_surrogates(data))

    def flush(self) -> None:
        self.text.flush()


def _parquet_schema(kind: str, columns: Sequence[str]) -> Any:
    import pyarrow as pa

    types: dict[str, Any] = {
        "source": pa.string(),
        "line": pa.int64(),
        "timestamp": pa.timestamp("us"),  # with tz UTC when the log's times carry offsets (first batch)
        "fields": pa.map_(pa.string(), pa.string()),
        "template_id": pa.string(),
        "template": pa.string(),
        "params": pa.list_(pa.struct([("value", pa.string()), ("type", pa.string())])),
        "count": pa.int64(),
        "share": pa.float64(),
        "example": pa.string(),
    }
    if kind in ("parse", "templates"):
        return pa.schema([(c, types.get(c, pa.string())) for c in columns])
    return None  # other kinds: inferred from the first batch


def _sanitize(value: Any) -> Any:
    if isinstance(value, str):
        return escape_surrogates(value)
    if isinstance(value, dict):
        return {_sanitize(k): _sanitize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_sanitize(v) for v in value]
    return value


class ParquetWriter(Writer):
    """Parquet in row groups of ``batch`` records; parse records get the schema of DESIGN.md 3.2."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None,
        *,
        columns: Sequence[str],
        kind: str,
        batch: int = PARQUET_BATCH,
    ) -> None:
        try:
            import pyarrow  # noqa: F401
            import pyarrow.parquet  # noqa: F401
        except ImportError:  # pragma: no cover - pyarrow is a core dependency
            raise DependencyError("Parquet output needs pyarrow: pip install pyarrow") from None
        if _is_stdout(path) and _stdout_is_terminal():
            raise UsageError("Parquet is binary: give -o PATH.parquet or redirect standard output")
        super().__init__(path)
        self.columns = list(columns)
        self.kind = kind
        self.batch = batch
        self._rows: list[dict[str, Any]] = []
        self._schema = _parquet_schema(kind, self.columns)
        self._pq: Any = None

    def write(self, record: dict[str, Any]) -> None:
        """Buffer one record; a full batch becomes a row group."""
        self.count += 1
        self._rows.append(record)
        if len(self._rows) >= self.batch:
            self._write_batch()

    def _table(self, rows: list[dict[str, Any]]) -> Any:
        import pyarrow as pa

        cols = self.columns
        data = {c: [r.get(c) for r in rows] for c in cols}
        if "fields" in data and self._schema is not None:
            data["fields"] = [list(v.items()) if isinstance(v, dict) else v for v in data["fields"]]
        if "timestamp" in data and self._schema is not None:
            data["timestamp"] = self._timestamps(data["timestamp"])
        if self._schema is not None:
            return pa.Table.from_pydict(data, schema=self._schema)
        table = pa.Table.from_pydict(data)
        self._schema = table.schema
        return table

    def _timestamps(self, values: list[Any]) -> list[Any]:
        """ISO texts as datetimes for the timestamp column: naive (the log's wall clock) unless the first
        time written carries an offset, then UTC instants; a later value of the other kind is converted."""
        from datetime import UTC, datetime

        import pyarrow as pa

        times = [datetime.fromisoformat(v) if isinstance(v, str) and v else None for v in values]
        index = self._schema.get_field_index("timestamp")
        if self._pq is None and self._schema.field(index).type.tz is None:
            first = next((t for t in times if t is not None), None)
            if first is not None and first.tzinfo is not None:
                self._schema = self._schema.set(index, pa.field("timestamp", pa.timestamp("us", tz="UTC")))
        if self._schema.field(index).type.tz is None:
            return [t.astimezone(UTC).replace(tzinfo=None) if t is not None and t.tzinfo is not None else t
                    for t in times]
        return [t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t for t in times]

    def _write_batch(self) -> None:
        import pyarrow.parquet as pq

        rows, self._rows = self._rows, []
        if not rows and self._pq is not None:
            return
        try:
            table = self._table(rows)
        except (UnicodeEncodeError, UnicodeDecodeError):
            table = self._table([_sanitize(r) for r in rows])
        if self._pq is None:
            self._pq = pq.ParquetWriter(self.stream, table.schema, compression="zstd")
        self._pq.write_table(table)

    def _finish(self) -> None:
        self._write_batch()
        if self._pq is not None:
            self._pq.close()


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def open_writer(
    fmt: str,
    path: str | os.PathLike[str] | None,
    *,
    columns: Sequence[str],
    kind: str,
    flush_each: bool = False,
) -> Writer:
    """Open a record writer; use it as a context manager (a file appears only when the block succeeds).

    Parameters
    ----------
    fmt : str
        ``jsonl``, ``csv``, ``parquet`` or ``table`` (see :func:`resolve_output_format`).
    path : path or None
        Target file; ``None`` or ``"-"`` for standard output.
    columns : sequence of str
        Column order for csv, parquet and table (jsonl writes each record's own keys).
    kind : str
        What the records are (``parse``, ``templates``, ``detect``): picks the Parquet schema.
    flush_each : bool
        Flush after every record (streams, ``--follow``) instead of in batches.

    Returns
    -------
    Writer
        An object with ``write(record)`` and ``close()``.
    """
    if fmt == "jsonl":
        return JsonlWriter(path, flush_each=flush_each)
    if fmt == "csv":
        return CsvWriter(path, columns=columns, flush_each=flush_each)
    if fmt == "parquet":
        return ParquetWriter(path, columns=columns, kind=kind)
    if fmt == "table":
        from logkit.tables import TableWriter

        return TableWriter(path, columns=columns, flush_each=flush_each)
    raise UsageError(f"unknown output format {fmt!r}; use one of {', '.join(OUTPUT_FORMATS)}")
