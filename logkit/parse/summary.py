"""Template summaries for ``logkit templates``: counts, share of lines and an example, from a log or a state.

The input is a parse state file or logkit parse output (JSONL, Parquet), each recognised by its content, or a
log (an archive: the log it holds) parsed here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from logkit.errors import InputError, UsageError
from logkit.records import TemplateInfo

__all__ = ["TEMPLATE_COLUMNS", "TemplateSummary", "summarize", "templates_of", "templates_of_records",
           "template_records"]

TEMPLATE_COLUMNS = ["template_id", "template", "count", "share", "example"]
SORTS = ("count", "id")


@dataclass(frozen=True, slots=True)
class TemplateSummary:
    """The templates of one input, with where they came from (``state`` or ``log``)."""

    templates: list[TemplateInfo]
    total: int
    kind: str
    format_reason: str = ""


def summarize(templates: Iterable[TemplateInfo], *, sort: str = "count") -> list[TemplateInfo]:
    """Templates sorted most frequent first (``count``; ties by id) or by ``id``.

    Parameters
    ----------
    templates : iterable of TemplateInfo
        Templates with their counts.
    sort : {"count", "id"}
        The order.
    """
    if sort not in SORTS:
        raise UsageError(f"unknown --sort {sort!r}; use count or id")
    items = list(templates)
    if sort == "id":
        items.sort(key=lambda t: t.template_id)
    else:
        items.sort(key=lambda t: (-t.count, t.template_id))
    return items


def template_records(summary: TemplateSummary, *, sort: str = "count") -> list[dict[str, Any]]:
    """The records of ``logkit templates``: ``template_id, template, count, share, example``."""
    total = summary.total or 1
    return [
        {
            "template_id": t.template_id,
            "template": t.template,
            "count": t.count,
            "share": round(t.count / total, 6),
            "example": t.example,
        }
        for t in summarize(summary.templates, sort=sort)
    ]


def templates_of(
    path: str, *, format: str = "auto", multiline: bool = False, keep: str = ""
) -> TemplateSummary:
    """Templates of a parse state file, or of a log (or ``-``) parsed here.

    Parameters
    ----------
    path : str
        A state JSON written by ``logkit parse --state``, or a log path (plain, .gz, .zst, a ``.lkz`` archive)
        or ``-``.
    format, multiline, keep
        Parse options, used when ``path`` is a log.
    """
    from logkit.parse.api import Parser, Source, is_state_file, load_state

    if path != "-" and not os.path.exists(path):
        raise InputError(f"no such file: {path}; give a log file, a parse state file or '-'")
    if path != "-" and os.path.isdir(path):
        raise InputError(f"{path} is a folder; give a log file, a parse state file or '-'")
    if path != "-" and is_state_file(path):
        infos = load_state(path)
        return TemplateSummary(infos, sum(t.count for t in infos), "state")
    from logkit.parse.recorded import read_records, recorded_kind

    kind = recorded_kind(path)
    if kind is not None:  # logkit parse output (JSONL or Parquet): its records, not a log of JSON text
        infos = templates_of_records(read_records(path, kind))
        return TemplateSummary(infos, sum(t.count for t in infos), f"parse {kind} output")
    parser = Parser(format=format, multiline=multiline, keep=keep)
    for _ in parser.parse_blocks(Source.paths(path), _nothing):
        pass
    infos = parser.templates()
    return TemplateSummary(infos, sum(t.count for t in infos), "log", parser.format_reason)


def templates_of_records(records: Iterable[dict[str, Any]]) -> list[TemplateInfo]:
    """Templates of parse records (DESIGN.md 3.2) with their counts, in order of first use; a template's text
    is the last one its id carried (a stream's records carry the form known then), the example the content
    of its first line rebuilt from the template and params."""
    found: dict[str, list[Any]] = {}  # template id -> [template, count, example]
    for rec in records:
        tid = str(rec.get("template_id", ""))
        template = str(rec.get("template", ""))
        entry = found.get(tid)
        if entry is None:
            found[tid] = [template, 1, _rebuild(template, rec.get("params") or [])]
        else:
            entry[0] = template
            entry[1] += 1
    return [TemplateInfo(tid, t, n, ex) for tid, (t, n, ex) in found.items()]


def _rebuild(template: str, params: list[Any]) -> str:
    """The content a template and its params stand for (each ``<*>`` replaced by the param's value)."""
    pieces = template.split("<*>")
    values = [str(p.get("value", "")) if isinstance(p, dict) else str(p) for p in params]
    if len(values) != len(pieces) - 1:
        return template
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        out += [value, piece]
    return "".join(out)


def _nothing(source: str, fmt: Any, ids: Any) -> Any:
    """A maker of no output (only the template counts matter here)."""
    return _none


def _none(*args: Any) -> None:
    return None
