"""The tables and JSON document of ``logkit bench parse`` (2k, --scale, --wild, --speed, targets)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from logkit.bench.parse import SpeedResult, SystemResult, average, results_json, summed_ratio
from logkit.bench.scale import ScaleResult, scale_json
from logkit.bench.targets import Target, target_lines
from logkit.bench.wild import WildResult

__all__ = ["results_document", "print_tables"]


def results_document(results: Sequence[SystemResult], scale: Sequence[ScaleResult] | None,
                     wild: Sequence[WildResult] | None, speed: Sequence[SpeedResult] | None,
                     targets: Sequence[Target]) -> dict[str, Any]:
    """Everything measured, as plain data."""
    doc = results_json(results, speed)
    if scale is not None:
        doc["scale"] = scale_json(scale)
    if wild is not None:
        doc["wild"] = [{k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(r).items()} for r in wild]
    doc["targets"] = [t.as_dict() for t in targets]
    return doc


def _table(title: str, cols: Sequence[str], left: int = 2) -> Any:
    from rich.table import Table

    table = Table(title=title)
    for i, col in enumerate(cols):
        table.add_column(col, justify="left" if i < left else "right", no_wrap=i == 0)
    return table


def print_tables(root: Path, results: Sequence[SystemResult], scale: Sequence[ScaleResult] | None,
                 wild: Sequence[WildResult] | None, speed: Sequence[SpeedResult] | None,
                 targets: Sequence[Target]) -> None:
    """The rich tables on standard output, then one line per target."""
    from rich.console import Console

    console = Console(file=sys.stdout, highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 120)
    table = _table(f"logkit bench parse ({Path(root).name})",
                   ("system", "parser", "GA", "PA", "FGA", "FTA", "templates", "lines/s"))
    for r in results:
        s = r.scores
        table.add_row(r.system, r.parser, f"{s.ga:.3f}", f"{s.pa:.3f}", f"{s.fga:.3f}", f"{s.fta:.3f}",
                      f"{s.predicted_templates}/{s.truth_templates}", f"{r.lines_per_s:,.0f}")
    for parser in dict.fromkeys(r.parser for r in results):
        a = average(results, parser)
        table.add_row("average", parser, f"{a['ga']:.3f}", f"{a['pa']:.3f}", f"{a['fga']:.3f}",
                      f"{a['fta']:.3f}", "", f"{a['lines_per_s']:,.0f}", style="bold")
    console.print(table)
    if scale:
        cols = ("system", "parser", "matched", "full GA", "2k GA", "full PA", "2k PA", "full FGA", "2k FGA",
                "full FTA", "2k FTA", "full tmpl")
        st = _table("scale: the 2k sample lines found in the full file (matched), scored from the full file's "
                    "parse and from the 2k file's alone; full tmpl: templates in the whole full file", cols)
        for x in scale:
            st.add_row(x.system, x.parser, f"{x.matched:,}/{x.sample_lines:,}", f"{x.full.ga:.3f}",
                       f"{x.alone.ga:.3f}", f"{x.full.pa:.3f}", f"{x.alone.pa:.3f}", f"{x.full.fga:.3f}",
                       f"{x.alone.fga:.3f}", f"{x.full.fta:.3f}", f"{x.alone.fta:.3f}",
                       f"{x.full_templates:,}")
        console.print(st)
    if wild:
        wt = _table("wild: real logs from outside Loghub, labelled by rule (GA and FGA only: the rules give "
                    "groups, not templates)", ("file", "parser", "lines", "unlabeled", "kinds", "templates",
                                                "GA", "FGA"))
        for w in wild:
            wt.add_row(w.file, w.parser, f"{w.lines:,}", f"{w.unlabeled:,}", f"{w.kinds:,}", f"{w.templates:,}",
                       f"{w.ga:.3f}", f"{w.fga:.3f}")
        console.print(wt)
    if speed:
        sp = _table(f"speed: whole processes on one CPU, median of {speed[0].runs} paired runs (logkit parse "
                    "-o /dev/null vs drain3 masked one pass, same --format)",
                    ("file", "lines", "logkit s", "drain3 s", "logkit lines/s", "drain3 lines/s", "speed-up"), 1)
        for p in speed:
            sp.add_row(p.file, f"{p.lines:,}", f"{p.logkit_s:.3f}", f"{p.drain3_s:.3f}",
                       f"{p.lines / p.logkit_s:,.0f}", f"{p.lines / p.drain3_s:,.0f}", f"{p.ratio:.2f}x")
        sp.add_row("summed", f"{sum(p.lines for p in speed):,}", f"{sum(p.logkit_s for p in speed):.3f}",
                   f"{sum(p.drain3_s for p in speed):.3f}", "", "", f"{summed_ratio(speed):.2f}x", style="bold")
        console.print(sp)
    for line in target_lines(targets):
        console.print(line)
