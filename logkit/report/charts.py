"""The report's charts as inline SVG: matplotlib figures (volume, anomaly scores) and tiny sparklines.

matplotlib draws the two charts with text kept as text (``svg.fonttype: none``, so the page's own fonts
apply and the file stays small) and links on the anomaly marks (``set_urls``: each mark is an ``<a>`` to
its anomaly's section). A sparkline is one ``<polyline>`` written here: a matplotlib figure per template
row would cost tens of milliseconds and kilobytes each for the same line.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from logkit.errors import DependencyError

__all__ = ["Stack", "Marks", "volume_svg", "scores_svg", "sparkline_svg", "MISSING"]

MISSING = "logkit report needs matplotlib and jinja2: pip install 'logkit[report]'"
LEVEL_COLORS = {
    "TRACE": "#b0b7c3", "DEBUG": "#8fb8de", "INFO": "#3b78c2", "WARN": "#f0a030", "ERROR": "#d9453d",
    "FATAL": "#7a1020", "-": "#c9ced6", "no level": "#c9ced6", "OTHER": "#9a8fbf",
}
PALETTE = ["#3b78c2", "#5aa469", "#f0a030", "#9a6fb0", "#d9453d", "#3fb0b0", "#c07a40", "#7f8c8d", "#b5bd48"]
ANOMALY = "#d62728"
_RC = {
    "svg.fonttype": "none",  # text stays text: small, and drawn with the page's fonts
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#888888",
    "axes.labelcolor": "#333333",
    "xtick.color": "#555555",
    "ytick.color": "#555555",
}
_XML_HEAD = re.compile(r"^.*?(?=<svg)", re.S)


@dataclass
class Stack:
    """One band of the volume chart: a label and one count per bucket."""

    label: str
    values: list[float]


@dataclass
class Marks:
    """Points on a chart that link somewhere: x (axis units), y, and the link (``#id``) of each."""

    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)


def _mpl() -> Any:
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        raise DependencyError(MISSING) from None
    return matplotlib, Figure


def _svg(fig: Any, salt: str) -> str:
    """The figure as an ``<svg>`` element (no XML prolog); ``salt`` keeps its element ids unique on the page."""
    matplotlib, _ = _mpl()
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    return _XML_HEAD.sub("", buf.getvalue(), count=1).strip()


def _xs(starts: Sequence[float], by_time: bool) -> list[Any]:
    if not by_time:
        return list(starts)
    from logkit.report.aggregate import from_seconds

    return [from_seconds(x) for x in starts]


def _time_axis(ax: Any, by_time: bool) -> None:
    if by_time:
        import matplotlib.dates as mdates

        loc = mdates.AutoDateLocator(minticks=4, maxticks=9)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    else:
        ax.set_xlabel("line")


def volume_svg(starts: Sequence[float], width: float, stacks: Sequence[Stack], *, by_time: bool,
               marks: Marks | None = None, title: str = "") -> str:
    """Stacked bars of lines per bucket (``starts``: each bucket's start; ``width``: the bucket width in axis
    units), the anomaly marks above the bars."""
    matplotlib, Figure = _mpl()
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(10.5, 3.0), dpi=96)
        ax = fig.add_subplot()
        xs = _xs(starts, by_time)
        w: Any = width / 86400.0 if by_time else width  # matplotlib's dates count days
        bottom = [0.0] * len(starts)
        for i, s in enumerate(stacks):
            color = LEVEL_COLORS.get(s.label, PALETTE[i % len(PALETTE)])
            ax.bar(xs, s.values, width=w, bottom=bottom, align="edge", color=color, label=s.label, linewidth=0)
            bottom = [b + v for b, v in zip(bottom, s.values, strict=True)]
        top = max(bottom, default=0.0) or 1.0
        if marks is not None and marks.x:
            mx = _xs(marks.x, by_time)
            pts = ax.scatter(mx, [top * 1.08] * len(mx), marker="v", s=42, color=ANOMALY, zorder=3,
                             label="anomaly", clip_on=False)
            pts.set_urls(list(marks.links))
        ax.set_ylim(0, top * 1.15)
        ax.set_ylabel("lines per bucket")
        _time_axis(ax, by_time)
        if title:
            ax.set_title(title, loc="left", fontsize=9, color="#555555")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
        return _svg(fig, "logkit-volume")


def scores_svg(points: Sequence[tuple[float, float, bool]], thresholds: Sequence[float], *, by_time: bool,
               marks: Marks, step: tuple[Sequence[float], Sequence[float]] | None = None) -> str:
    """Scores over the axis: one dot per scored item (``points``: x, score, anomaly) or, when there were too
    many, the highest score per bucket (``step``: starts, maxima); the threshold as a dashed line; the
    anomalies in ``marks`` as red dots that link to their sections."""
    matplotlib, Figure = _mpl()
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(10.5, 2.6), dpi=96)
        ax = fig.add_subplot()
        if step is not None:
            sx, sy = step
            ax.step(_xs(sx, by_time), [0.0 if math.isnan(v) else v for v in sy], where="post", color="#7f8c8d",
                    linewidth=1, label="highest score per bucket")
        normal = [(x, s) for x, s, a in points if not a]
        if normal:
            ax.scatter(_xs([p[0] for p in normal], by_time), [p[1] for p in normal], s=8, color="#7f8c8d",
                       alpha=0.6, linewidths=0, label="normal")
        flagged = [(x, s) for x, s, a in points if a]
        if flagged:  # anomalies beyond those detailed on the page: red, without a link
            ax.scatter(_xs([p[0] for p in flagged], by_time), [p[1] for p in flagged], s=10, color=ANOMALY,
                       alpha=0.5, linewidths=0)
        if marks.x:
            pts = ax.scatter(_xs(marks.x, by_time), marks.y, s=22, color=ANOMALY, zorder=3, label="anomaly")
            pts.set_urls(list(marks.links))
        for t in sorted(set(thresholds)):
            ax.axhline(t, color="#444444", linestyle="--", linewidth=0.9, label=f"threshold {t:g}")
        ax.set_ylim(-0.03, 1.05)
        ax.set_ylabel("score")
        _time_axis(ax, by_time)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
        return _svg(fig, "logkit-scores")


def sparkline_svg(values: Sequence[float], *, width: int = 120, height: int = 22, color: str = "#3b78c2") -> str:
    """A tiny line of ``values`` (one per bucket), scaled to its own maximum."""
    n = len(values)
    top = max(values, default=0) or 1
    if n <= 1:
        pts = f"0,{height - 1} {width},{height - 1}"
    else:
        step = width / (n - 1)
        pts = " ".join(f"{i * step:.1f},{height - 1 - (v / top) * (height - 3):.1f}" for i, v in enumerate(values))
    return (f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img"><polyline fill="none" stroke="{color}" stroke-width="1.2" points="{pts}"/></svg>')
