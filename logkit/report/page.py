"""The report page: what :class:`Aggregate` holds, laid out by the jinja2 template ``page.html.j2``.

Everything the page needs is inside it (styles, the charts as SVG, a few lines of script that sort the
templates table), so it opens from a mail or a ticket with no network.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from logkit.errors import DependencyError
from logkit.report.aggregate import Aggregate, TemplateStats, from_seconds
from logkit.report.charts import MISSING, Marks, Stack, scores_svg, sparkline_svg, volume_svg

__all__ = ["render", "MAX_ROWS", "TOP_TEMPLATES"]

MAX_ROWS = 1000  # template rows on the page (most frequent first); the rest are counted in a note
TOP_TEMPLATES = 8  # bands of the volume chart when it is drawn by template (a log without levels)
SPARK_POINTS = 60
_LEVEL_ORDER = ["FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"]
_TEMPLATE_ID = re.compile(r"\bt[0-9a-f]{10}\b")


def _when(agg: Aggregate, x: float | None, pos: int | None = None) -> str:
    if agg.by_time:
        return "" if x is None else from_seconds(x).isoformat(sep=" ", timespec="seconds")
    return "" if pos is None else f"line {pos:,}"


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    parts = [f"{d}d" if d else "", f"{h}h" if h else "", f"{m}m" if m else "",
             f"{s}s" if s or not (d or h or m) else ""]
    return " ".join(p for p in parts if p)


def _spark(values: list[float]) -> str:
    if len(values) > SPARK_POINTS:  # merge neighbours: a sparkline needs no more points than pixels / 2
        k = math.ceil(len(values) / SPARK_POINTS)
        values = [sum(values[i:i + k]) for i in range(0, len(values), k)]
    return sparkline_svg(values)


def _series(agg: Aggregate, t: TemplateStats) -> list[float]:
    s = t.by_time if agg.by_time else t.by_line
    return s.dense() if s is not None else []


def _stacks(agg: Aggregate, rows: list[TemplateStats]) -> tuple[list[Stack], str]:
    if agg.leveled * 2 >= agg.lines and agg.lines:
        levels = agg.levels_time if agg.by_time else agg.levels_line
        order = sorted(levels, key=lambda k: (k == "-", k not in _LEVEL_ORDER,
                                              _LEVEL_ORDER.index(k) if k in _LEVEL_ORDER else 0, k))
        order.reverse()  # the most severe on top of the stack
        return [Stack("no level" if k == "-" else k, levels[k].dense()) for k in order], "by level"
    top = rows[:TOP_TEMPLATES]
    stacks = [Stack(f"{t.template_id} {t.template[:40]}", _series(agg, t)) for t in top]
    if len(rows) > len(top):
        total = [0.0] * len(stacks[0].values) if stacks else []
        for t in rows[len(top):]:
            for i, v in enumerate(_series(agg, t)):
                total[i] += v
        stacks.append(Stack("other templates", total))
    return stacks, f"by template (the {len(top)} most frequent{', then the rest' if len(rows) > len(top) else ''})"


def _linked(text: str, known: set[str]) -> Any:
    """``text`` escaped, with each template id the table holds made a link to its row."""
    from markupsafe import Markup, escape

    out: list[str] = []
    pos = 0
    for m in _TEMPLATE_ID.finditer(text):
        out.append(str(escape(text[pos:m.start()])))
        tid = m.group(0)
        out.append(f'<a href="#tpl-{tid}">{tid}</a>' if tid in known else str(escape(tid)))
        pos = m.end()
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def _axis_x(agg: Aggregate, rec: dict[str, Any]) -> float | None:
    return rec["_x_time"] if agg.by_time else float(rec["_x_line"])


def _anomalies(agg: Aggregate, shown: set[str]) -> tuple[list[dict[str, Any]], Marks, Marks]:
    recs = agg.anomaly_records()
    out: list[dict[str, Any]] = []
    score_marks, volume_marks = Marks(), Marks()
    axis = agg.time if agg.by_time else agg.line
    first_in_bucket: dict[int, str] = {}
    for i, r in enumerate(recs, 1):
        aid = f"anomaly-{i}"
        x = _axis_x(agg, r)
        if x is not None:
            score_marks.x.append(x)
            score_marks.y.append(float(r.get("score") or 0.0))
            score_marks.links.append(f"#{aid}")
            if axis.origin is not None:
                first_in_bucket.setdefault(int((x - axis.origin) // axis.width), aid)
        top = r.get("top") or []
        out.append({
            "id": aid, "group": r.get("group"), "source": r["_source"], "first": r.get("first_line"),
            "last": r.get("last_line"), "lines": r.get("lines"), "start": r.get("start"), "end": r.get("end"),
            "score": r.get("score"), "threshold": r.get("threshold"), "uncertainty": r.get("uncertainty"),
            "routed": r.get("routed"), "decided_by": r.get("decided_by") or "model",
            "model_anomaly": r.get("model_anomaly"), "method": r.get("method"),
            "reason": _linked(str(r.get("reason") or "(no reason given)"), shown),
            "top": [(_linked(str(e.get("what", "")), shown), e.get("weight")) for e in top if isinstance(e, dict)][:10],
            "excerpt": r.get("_lines") or [],
        })
    marks = (agg.marks[0] if agg.by_time else agg.marks[1])
    for k, v in _pairs(marks):
        if v:
            volume_marks.x.append(axis.start(k) + axis.width / 2)
            volume_marks.y.append(v)
            volume_marks.links.append(f"#{first_in_bucket[k]}" if k in first_in_bucket else None)
    return out, score_marks, volume_marks


def _pairs(series: Any) -> list[tuple[int, float]]:
    """A series' buckets at its axis' current width, as (index, value) pairs."""
    values = series.dense()
    return [(series.axis.lo + i, v) for i, v in enumerate(values)]


def _scores_chart(agg: Aggregate, marks: Marks) -> str:
    pts: list[tuple[float, float, bool]] = []
    step = None
    if agg.score_points is not None:
        for xt, xl, s, a in agg.score_points:
            x = xt if agg.by_time else float(xl)
            if x is not None:
                pts.append((x, s, a))
    else:
        axis = agg.time if agg.by_time else agg.line
        series = agg.score_max[0] if agg.by_time else agg.score_max[1]
        maxima = series.dense(empty=float("nan"))
        step = ([axis.start(axis.lo + i) for i in range(len(maxima))], maxima)
    return scores_svg(pts, sorted(agg.thresholds), by_time=agg.by_time, marks=marks, step=step)


def render(agg: Aggregate, *, title: str, model: Any = None, model_dir: str | None = None, grouping: Any = None,
           since: str | None = None, until: str | None = None, warnings: list[str] | None = None) -> str:
    """The whole page as one HTML string."""
    try:
        import jinja2
    except ImportError:
        raise DependencyError(MISSING) from None
    from logkit import __version__

    rows_all = sorted(agg.templates.values(), key=lambda t: (-t.count, t.template_id))
    rows = rows_all[:MAX_ROWS]
    shown = {t.template_id for t in rows}
    total = agg.lines or 1
    templates = [{
        "id": t.template_id, "template": t.template, "count": t.count, "share": t.count / total,
        "first": _when(agg, t.first_x, t.first_pos), "first_x": t.first_x if agg.by_time else t.first_pos,
        "last": _when(agg, t.last_x, t.last_pos), "last_x": t.last_x if agg.by_time else t.last_pos,
        "where": t.first_where, "spark": _spark(_series(agg, t)), "example": t.example, "types": t.type_text(),
        "new": agg.is_new(t), "rare": agg.is_rare(t),
    } for t in rows]
    anomalies, score_marks, volume_marks = _anomalies(agg, shown)
    volume = ""
    stacks_note = ""
    axis = agg.time if agg.by_time else agg.line
    if agg.lines and axis.span() is not None:
        stacks, stacks_note = _stacks(agg, rows_all)
        starts = [axis.start(k) for k in range(axis.lo, axis.hi + 1)]
        volume = volume_svg(starts, axis.width, stacks, by_time=agg.by_time,
                            marks=volume_marks if agg.scored else None)
    scores = _scores_chart(agg, score_marks) if agg.scored else ""
    if agg.by_time and agg.first_ts is not None and agg.last_ts is not None:
        span = (f"{_when(agg, agg.first_ts)} to {_when(agg, agg.last_ts)} "
                f"({_duration(agg.last_ts - agg.first_ts)})")
        bucket = _duration(axis.width)
    else:
        span = f"lines 1 to {agg.read:,} (no timestamps: the axis counts lines)" if agg.read else "no lines"
        bucket = f"{axis.width:g} lines"
    g = grouping or (model.grouping if model is not None else None)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = lambda v: f"{v:,}" if isinstance(v, int) else v
    template = env.from_string(resources.files("logkit.report").joinpath("page.html.j2").read_text("utf-8"))
    from markupsafe import Markup

    return template.render(
        title=title, version=__version__, made=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        agg=agg, inputs=agg.inputs, span=span, bucket=bucket, templates=templates,
        hidden=len(rows_all) - len(rows), new=sum(1 for t in templates if t["new"]),
        rare=sum(1 for t in templates if t["rare"]), volume=Markup(volume), stacks_note=stacks_note,
        scores=Markup(scores), anomalies=anomalies, model_dir=model_dir,
        method=", ".join(sorted(m for m in agg.methods if m)), grouping=g.describe() if g is not None else "",
        thresholds=", ".join(f"{t:g}" for t in sorted(agg.thresholds)),
        decided=", ".join(f"{k} {v:,}" for k, v in sorted(agg.decided.items())),
        since=since, until=until, warnings=warnings or [], by_time=agg.by_time,
    )
