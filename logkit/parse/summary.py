"""Template summaries for ``logkit templates``: counts, share of lines and an example, from a log or a state.

The input is a parse state file (recognised by its content) or a log parsed here; archives come later.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from logkit.errors import InputError, UsageError
from logkit.records import TemplateInfo

__all__ = ["TEMPLATE_COLUMNS", "TemplateSummary", "summarize", "templates_of", "template_records"]

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
    parser = Parser(format=format, multiline=multiline, keep=keep)
    for _ in parser.parse_blocks(Source.paths(path), _nothing):
        pass
    infos = parser.templates()
    return TemplateSummary(infos, sum(t.count for t in infos), "log", parser.format_reason)


def _nothing(source: str, fmt: Any, ids: Any) -> Any:
    """A maker of no output (only the template counts matter here)."""
    return _none


def _none(*args: Any) -> None:
    return None
