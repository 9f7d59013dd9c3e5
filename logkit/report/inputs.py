"""The inputs ``logkit report`` reads, told apart by content, each read as a stream of lines or of scores.

Kinds: a raw log (plain, ``.gz``, ``.zst`` or ``.lkz``, parsed by :class:`logkit.parse.api.Parser`),
``logkit parse`` JSON Lines or Parquet, ``logkit detect`` JSON Lines or Parquet (detection records of
DESIGN.md 3.4), and a ``logkit batch`` output folder (its ``parsed`` and ``scores`` datasets).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from logkit.errors import InputError
from logkit.parse.recorded import jsonl_records

__all__ = ["Line", "ReportInput", "classify", "LOG", "PARSED", "SCORES", "BATCH", "KIND_NAMES", "rebuild"]

LOG, PARSED, SCORES, BATCH = "log", "parsed", "scores", "batch"
KIND_NAMES = {LOG: "log", PARSED: "logkit parse output", SCORES: "logkit detect output", BATCH: "logkit batch folder"}
_HEAD_LINES = 20


@dataclass(frozen=True, slots=True)
class Line:
    """One line as the report counts it (whatever the input kind was)."""

    source: str
    line_no: int
    when: datetime | None
    level: str | None
    template_id: str
    template: str
    types: tuple[str, ...]
    text: str
    unmatched: bool = False


@dataclass(frozen=True)
class ReportInput:
    """An input and what it turned out to be (``parquet``: the records are in a Parquet file or dataset)."""

    path: str
    kind: str
    parquet: bool = False

    @property
    def has_lines(self) -> bool:
        """Whether the input gives log lines (and not only scores)."""
        return self.kind in (LOG, PARSED, BATCH)


def _first_json(path: str) -> dict[str, Any] | None:
    """The first non-empty line of ``path`` as a JSON object, or ``None`` when it is none."""
    from logkit.parse.sources import iter_raw_lines

    raws = iter_raw_lines(path)
    try:
        for n, r in enumerate(raws):
            if n >= _HEAD_LINES:
                return None
            s = r.data.strip()
            if not s:
                continue
            if not s.startswith(b"{"):
                return None
            try:
                obj = json.loads(s)
            except ValueError:
                return None
            return obj if isinstance(obj, dict) else None
    finally:
        close = getattr(raws, "close", None)
        if close is not None:
            close()
    return None


def _parquet_kind(path: str) -> str:
    import pyarrow.parquet as pq

    try:
        names = set(pq.read_schema(path).names)
    except Exception as exc:  # pyarrow raises several kinds for a damaged file
        raise InputError(f"{path}: not a readable Parquet file ({exc}); give logkit parse or detect output") from None
    if "template_id" in names:
        return PARSED
    if "score" in names and "anomaly" in names:
        return SCORES
    raise InputError(f"{path}: a Parquet file without template_id or score columns; give the output of "
                     "logkit parse or logkit detect")


def classify(path: str) -> ReportInput:
    """What ``path`` holds, by content (a folder: a ``logkit batch`` output)."""
    if path != "-" and os.path.isdir(path):
        p = Path(path)
        if (p / "parsed").is_dir() or (p / "scores").is_dir():
            return ReportInput(path, BATCH, parquet=True)
        raise InputError(f"{path} is a folder without parsed/ or scores/ datasets; give log files or a "
                         "logkit batch --out folder")
    if path != "-":
        from logkit.parse.sources import check_readable

        check_readable(path)
        with open(path, "rb") as fh:
            magic = fh.read(4)
        if magic == b"PAR1":
            return ReportInput(path, _parquet_kind(path), parquet=True)
        first = _first_json(path)
        if first is not None:
            if "template_id" in first and "params" in first:
                return ReportInput(path, PARSED)
            if "score" in first and "anomaly" in first and "first_line" in first:
                return ReportInput(path, SCORES)
    return ReportInput(path, LOG)


def rebuild(template: str, params: list[Any]) -> str:
    """A line's content from its template and the values of its variables."""
    pieces = template.split("<*>")
    if len(pieces) != len(params) + 1:
        return template
    out = [pieces[0]]
    for q, piece in zip(params, pieces[1:], strict=True):
        out.append(str(q.get("value", "")) if isinstance(q, dict) else str(q))
        out.append(piece)
    return "".join(out)


class _Stamps:
    """ISO text -> datetime, remembering the last one (consecutive lines share their second)."""

    __slots__ = ("text", "when")

    def __init__(self) -> None:
        self.text: str | None = None
        self.when: datetime | None = None

    def __call__(self, text: Any) -> datetime | None:
        if not text:
            return None
        if text != self.text:
            try:
                self.when = datetime.fromisoformat(str(text))
            except ValueError:
                self.when = None
            self.text = text
        return self.when


def _line_of(rec: dict[str, Any], source: str, stamp: _Stamps) -> Line:
    from logkit.pipeline.otel import severity

    fields = rec.get("fields") or {}
    if isinstance(fields, list):  # Parquet maps come as (key, value) pairs
        fields = dict(fields)
    elif isinstance(fields, str):  # CSV-like: a JSON string
        try:
            fields = json.loads(fields)
        except ValueError:
            fields = {}
    level = rec.get("severity_text")
    number = None
    if level is None and isinstance(fields, dict):
        level, number = severity(fields)
    params = rec.get("params") or []
    template = str(rec.get("template") or "")
    text = rec.get("body")
    if text is None:
        text = rebuild(template, params)
    return Line(str(rec.get("source") or source), int(rec.get("line") or 0), stamp(rec.get("timestamp")),
                _level(level, number), str(rec.get("template_id") or ""), template,
                tuple(str(q.get("type", "OTP")) if isinstance(q, dict) else "OTP" for q in params), str(text))


def _level(text: str | None, number: int | None) -> str | None:
    from logkit.pipeline.otel import SEVERITY_NUMBERS
    from logkit.report.aggregate import level_name

    if text is not None and number is None:
        number = SEVERITY_NUMBERS.get(text.strip("[]<>: ").lower())
    return level_name(text, number)


def parquet_records(path: str, columns: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """The rows of a Parquet file or hive-partitioned dataset folder, a batch at a time."""
    import pyarrow.dataset as ds

    try:
        data = ds.dataset(path, format="parquet", partitioning="hive")
    except Exception as exc:  # pyarrow raises several kinds
        raise InputError(f"{path}: cannot be read as Parquet ({exc}); give logkit parse, detect or batch output") \
            from None
    names = set(data.schema.names)
    cols = [c for c in columns if c in names] if columns is not None else None
    for batch in data.to_batches(columns=cols, batch_size=8192):
        yield from batch.to_pylist()


def parsed_lines(inp: ReportInput, sub: str | None = None) -> Iterator[Line]:
    """The lines of a ``logkit parse`` (or batch ``parsed``) input."""
    stamp = _Stamps()
    if inp.parquet:
        target = os.path.join(inp.path, sub) if sub else inp.path
        cols = ["source", "line", "timestamp", "fields", "severity_text", "body", "template_id", "template", "params"]
        for rec in parquet_records(target, cols):
            yield _line_of(rec, inp.path, stamp)
    else:
        for rec in jsonl_records(inp.path):
            yield _line_of(rec, inp.path, stamp)


def score_records(inp: ReportInput, sub: str | None = None) -> Iterator[dict[str, Any]]:
    """The detection records of a ``logkit detect`` (or batch ``scores``) input."""
    if inp.parquet:
        yield from parquet_records(os.path.join(inp.path, sub) if sub else inp.path)
    else:
        yield from jsonl_records(inp.path)
