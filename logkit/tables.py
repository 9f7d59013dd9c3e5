"""The terminal table writer of record outputs (``--output-format table``, the default on a terminal): rich
tables printed in batches, narrowed to what fits the console."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from logkit.output import TABLE_BATCH, Writer, _SurrogateSafeText, escape_surrogates

__all__ = ["TableWriter"]


def _short(value: Any, width: int = 80) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        text = " ".join(f"{k}={v}" for k, v in value.items())
    elif isinstance(value, list | tuple):
        parts = []
        for v in value:
            if isinstance(v, dict) and "value" in v and "type" in v:
                parts.append(f"{v['value']}:{v['type']}")
            else:
                parts.append(str(v))
        text = ", ".join(parts)
    elif isinstance(value, float):
        text = f"{value:.4g}"
    else:
        text = str(value)
    text = escape_surrogates(text)
    return text if len(text) <= width else text[: width - 1] + "…"


class TableWriter(Writer):
    """A rich table on standard output (or a file), printed in batches so a stream shows rows as they come.

    On a narrow console the wide, less telling columns (``fields``, ``source``, ``timestamp``) are left out;
    a stream (``flush_each``) prints each row at once with fixed column widths so rows stay aligned.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None,
        *,
        columns: Sequence[str],
        flush_each: bool = False,
        batch: int = TABLE_BATCH,
    ) -> None:
        super().__init__(path, binary=False)
        from rich.console import Console

        self.batch = 1 if flush_each else batch
        self._rows: list[list[str]] = []
        self._printed = False
        out: Any = _SurrogateSafeText(self.stream) if self.path is None else self.stream
        self.console = Console(file=out, highlight=False, soft_wrap=False,
                               force_terminal=None if self.path is None else False,
                               width=None if self.path is None else 200)
        width = self.console.width
        self.columns = [c for c in columns if not (width < _DROP_BELOW.get(c, 0) and len(columns) > 3)]
        if "fields" in columns and "fields" not in self.columns:  # a narrow console: the level still shows
            at = self.columns.index("timestamp") + 1 if "timestamp" in self.columns else 1
            self.columns.insert(at, "level")
        self._widths = _fixed_widths(self.columns, width) if flush_each else {}

    def write(self, record: dict[str, Any]) -> None:
        """Buffer one row; print the batch when full."""
        self.count += 1
        self._rows.append([_short(record.get(c) if c != "level" else _level(record.get("fields")), 200)
                           for c in self.columns])
        if len(self._rows) >= self.batch:
            self._print()

    def _print(self) -> None:
        from rich import box
        from rich.table import Table

        if not self._rows:
            return
        streaming = bool(self._widths)
        table = Table(box=None if streaming else box.SIMPLE_HEAD, show_header=not self._printed,
                      pad_edge=False)
        for c in self.columns:
            justify: Any = "right" if c in _NUMERIC else "left"
            if streaming:
                table.add_column(c, overflow="ellipsis", no_wrap=True, width=self._widths[c], justify=justify)
            else:  # long text wraps between words; a word too long for its column ends in an ellipsis
                table.add_column(c, overflow="ellipsis", justify=justify,
                                 min_width=_FIXED[c] if c == "timestamp" else None)
        for row in self._rows:
            table.add_row(*row)
        self._rows = []
        self._printed = True
        self.console.print(table)
        self.stream.flush()

    def _finish(self) -> None:
        self._print()


_NUMERIC = {"line", "count", "share", "lines", "first_line", "last_line", "score"}
_FIXED = {"line": 7, "template_id": 12, "source": 16, "timestamp": 19, "count": 8, "share": 7, "level": 7}
_DROP_BELOW = {"fields": 160, "source": 130, "timestamp": 72}  # console widths under which a column goes


def _level(fields: Any) -> str | None:
    """The level among a record's header fields (``Level``, ``Severity``, ... any case), for a narrow table."""
    from logkit.pipeline.otel import severity

    return severity(dict(fields))[0] if isinstance(fields, dict) and fields else None


def _fixed_widths(columns: Sequence[str], total: int) -> dict[str, int]:
    """Column widths for a stream: known narrow columns fixed, the rest share what is left."""
    fixed = {c: _FIXED[c] for c in columns if c in _FIXED}
    free = [c for c in columns if c not in fixed]
    left = max(total - sum(fixed.values()) - len(columns), 10 * len(free))
    weights = {c: 2 if c == "template" else 1 for c in free}
    unit = left / max(sum(weights.values()), 1)
    return {**fixed, **{c: max(int(unit * weights[c]), 8) for c in free}}
