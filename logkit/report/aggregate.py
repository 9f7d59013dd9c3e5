"""What ``logkit report`` keeps of a log: counts per template, per level and per bucket of time (or of lines).

One streaming pass in bounded memory: each line updates a few counters and is then forgotten. Buckets adapt:
an axis starts fine and doubles its bucket width whenever its span would need more than ``max_buckets``
buckets, so a minute of logs and a year of logs both end with at most that many. Each series remembers the
width it was counted at and is merged into the current width only when it is next touched (a shift of the
bucket index), so widening costs nothing per line. Nothing here depends on the order of lines except which
line becomes a template's example (the first one seen).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "Axis",
    "Series",
    "TemplateStats",
    "InputSummary",
    "Aggregate",
    "level_name",
    "to_seconds",
    "MAX_BUCKETS",
    "RARE_SHARE",
    "RARE_COUNT",
    "NEW_TAIL",
]

MAX_BUCKETS = 120  # buckets on the time (or line) axis: the volume chart's bars and each sparkline's points
EXAMPLE_CHARS = 300  # an example line is cut here
TYPE_SAMPLE = 64  # lines per template whose variable types are looked at
MAX_LEVELS = 12  # distinct level names kept; the rest count as OTHER
MAX_DETAILED = 200  # anomalies kept with their details (the highest scores)
MAX_POINTS = 4000  # scored items drawn one by one; beyond, the chart draws each bucket's highest score
RARE_SHARE = 0.001  # a template with less than this share of the lines is rare ...
RARE_COUNT = 2  # ... and so is one seen this many times or fewer
NEW_TAIL = 0.1  # a template first seen in the last tenth of the span is new
_EPOCH = datetime(1970, 1, 1)
# OpenTelemetry severity numbers (1-24) in groups of four -> one name per group
_SEVERITY_NAMES = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")


def to_seconds(ts: datetime) -> float:
    """A timestamp as seconds on one axis: aware ones as real epoch seconds, naive ones read as UTC."""
    if ts.tzinfo is None:
        return (ts - _EPOCH).total_seconds()
    return ts.timestamp()


def from_seconds(x: float) -> datetime:
    """Inverse of :func:`to_seconds` (a naive datetime, as the log wrote it or in UTC)."""
    return datetime.fromtimestamp(x, UTC).replace(tzinfo=None)


def level_name(text: str | None, number: int | None) -> str | None:
    """A level as one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL when its OpenTelemetry number is known, else
    the text upper-cased (``None`` when the line has no level)."""
    if number is not None and 1 <= number <= 24:
        return _SEVERITY_NAMES[(number - 1) // 4]
    if text is None:
        return None
    return text.strip("[]<>: ").upper()[:16] or None


class Axis:
    """Buckets of ``width * 2**shift`` units from ``origin``: bucket ``k`` holds ``[origin + k*w, origin + (k+1)*w)``.

    Doubling the width maps bucket ``k`` to ``k >> 1`` (a floor, negative ``k`` included), so counts taken at
    any earlier width merge exactly into the current one.
    """

    __slots__ = ("base", "origin", "shift", "lo", "hi", "max_buckets")

    def __init__(self, base: float = 1.0, max_buckets: int = MAX_BUCKETS) -> None:
        self.base = base
        self.origin: float | None = None
        self.shift = 0
        self.lo = 0
        self.hi = -1
        self.max_buckets = max_buckets

    @property
    def width(self) -> float:
        """The current bucket width in axis units."""
        return self.base * (1 << self.shift)

    def index(self, x: float) -> int:
        """The bucket of ``x``, widening the buckets first when ``x`` would make too many."""
        if self.origin is None:
            self.origin = x
        k = int((x - self.origin) // self.width)
        if k < self.lo or k > self.hi:
            if self.hi < self.lo:
                self.lo = self.hi = k
                return k
            lo, hi = min(self.lo, k), max(self.hi, k)
            while hi - lo + 1 > self.max_buckets:
                self.shift += 1
                lo >>= 1
                hi >>= 1
                k >>= 1
            self.lo, self.hi = lo, hi
        return k

    def start(self, k: int) -> float:
        """Where bucket ``k`` begins."""
        return (self.origin or 0.0) + k * self.width

    def span(self) -> tuple[float, float] | None:
        """The first bucket's start and the last bucket's end, or ``None`` before any value."""
        if self.origin is None or self.hi < self.lo:
            return None
        return self.start(self.lo), self.start(self.hi + 1)


class Series:
    """Counts per bucket of an :class:`Axis`, merged into the axis' current width when touched."""

    __slots__ = ("axis", "shift", "counts", "peak")

    def __init__(self, axis: Axis, *, peak: bool = False) -> None:
        self.axis = axis
        self.shift = axis.shift
        self.counts: dict[int, float] = {}
        self.peak = peak  # buckets keep a maximum (merged by max) rather than a sum

    def _catch_up(self) -> None:
        d = self.axis.shift - self.shift
        if d:
            merged: dict[int, float] = {}
            if self.peak:
                for k, v in self.counts.items():
                    j = k >> d
                    merged[j] = max(merged.get(j, v), v)
            else:
                for k, v in self.counts.items():
                    j = k >> d
                    merged[j] = merged.get(j, 0) + v
            self.counts = merged
            self.shift = self.axis.shift

    def add(self, k: int, n: float = 1) -> None:
        """Add ``n`` to bucket ``k`` (an index of the axis' current width)."""
        if self.shift != self.axis.shift:
            self._catch_up()
        c = self.counts
        c[k] = c.get(k, 0) + n

    def high(self, k: int, v: float) -> None:
        """Keep the larger of ``v`` and bucket ``k``'s value (a maximum rather than a sum)."""
        if self.shift != self.axis.shift:
            self._catch_up()
        c = self.counts
        if v > c.get(k, float("-inf")):
            c[k] = v

    def dense(self, empty: float = 0) -> list[float]:
        """One value per bucket of the axis, from its first to its last (``empty`` where nothing was counted)."""
        self._catch_up()
        return [self.counts.get(k, empty) for k in range(self.axis.lo, self.axis.hi + 1)]


@dataclass(slots=True)
class TemplateStats:
    """One template: how often and when it was seen, an example and the types of its variables."""

    template_id: str
    template: str
    count: int = 0
    first_x: float | None = None  # on the time axis (seconds)
    last_x: float | None = None
    first_pos: int = 0  # on the line axis (ordinal of the line over all inputs)
    last_pos: int = 0
    first_where: str = ""  # "source:line" of the first line seen
    example: str = ""
    types: list[set[str]] = field(default_factory=list)
    by_time: Series | None = None
    by_line: Series | None = None

    def type_text(self) -> str:
        """The variable types per position, e.g. ``OID LOI|OTP``."""
        return " ".join("|".join(sorted(s)) for s in self.types)


@dataclass(slots=True)
class InputSummary:
    """One input as the summary shows it."""

    path: str
    kind: str
    lines: int = 0
    format: str = ""
    unmatched: int = 0
    stamped: int = 0
    scored: int = 0
    anomalies: int = 0
    note: str = ""


class Aggregate:
    """The report's data, filled one line and one detection record at a time.

    Lines go in through :meth:`add_line`; detection records (DESIGN.md 3.4) through :meth:`add_score`. Memory
    is bounded by the number of templates times :data:`MAX_BUCKETS`, plus :data:`MAX_DETAILED` anomalies.
    """

    def __init__(self, *, since: float | None = None, until: float | None = None,
                 max_buckets: int = MAX_BUCKETS) -> None:
        self.since = since
        self.until = until
        self.time = Axis(1.0, max_buckets)
        self.line = Axis(1.0, max_buckets)
        self.templates: dict[str, TemplateStats] = {}
        self.levels_time: dict[str, Series] = {}
        self.levels_line: dict[str, Series] = {}
        self.inputs: list[InputSummary] = []
        self.lines = 0
        self.read = 0  # lines read, those --since/--until leave out included: the line axis
        self.stamped = 0
        self.skipped = 0  # lines outside --since/--until
        self.first_ts: float | None = None
        self.last_ts: float | None = None
        self.leveled = 0
        # detection
        self.scored = 0
        self.anomalies = 0
        self.thresholds: set[float] = set()
        self.methods: set[str] = set()
        self.decided: dict[str, int] = {}
        # (time or None, line, score, anomaly) of each scored item while they are few
        self.score_points: list[tuple[float | None, int, float, bool]] | None = []
        self.score_max = Series(self.time, peak=True), Series(self.line, peak=True)
        self.marks = Series(self.time), Series(self.line)  # anomalies per bucket
        self.detailed: list[tuple[float, int, dict[str, Any]]] = []  # heap of (score, seq, record)
        self._seq = 0
        self._last_ts: dict[str, float] = {}  # source -> its latest timestamp (a line without one takes it)
        self._last_when: Any = None
        self._last_x = 0.0

    # -- lines --------------------------------------------------------------------------------------
    def start_input(self, path: str, kind: str) -> InputSummary:
        """Begin the summary row of one input."""
        s = InputSummary(path, kind)
        self.inputs.append(s)
        return s

    def add_line(
        self,
        inp: InputSummary,
        line_no: int,
        when: datetime | None,
        level: str | None,
        template_id: str,
        template: str,
        types: Iterable[str],
        text: str,
    ) -> bool:
        """Count one line; returns False when ``--since``/``--until`` leave it out."""
        self.read += 1
        x: float | None
        if when is not None:
            if when is self._last_when:
                x = self._last_x
            else:
                x = to_seconds(when)
                self._last_when, self._last_x = when, x
            own = True
            self._last_ts[inp.path] = x
        else:
            x = self._last_ts.get(inp.path)  # a line without a time joins the one before it
            own = False
        if (self.since is not None or self.until is not None) and not self._inside(x):
            self.skipped += 1
            return False
        self.lines += 1
        inp.lines += 1
        pos = self.read
        kl = self.line.index(pos)
        t = self.templates.get(template_id)
        if t is None:
            t = self.templates[template_id] = TemplateStats(
                template_id, template, first_pos=pos, first_where=f"{inp.path}:{line_no}",
                example=text[:EXAMPLE_CHARS], by_time=Series(self.time), by_line=Series(self.line))
        t.count += 1
        t.last_pos = pos
        if t.count <= TYPE_SAMPLE:
            self._note_types(t, types)
        t.by_line.add(kl)  # type: ignore[union-attr]
        kt = None
        if x is not None:
            kt = self.time.index(x)
            t.by_time.add(kt)  # type: ignore[union-attr]
            if t.first_x is None or x < t.first_x:
                t.first_x = x
            if t.last_x is None or x > t.last_x:
                t.last_x = x
            if own:
                self.stamped += 1
                inp.stamped += 1
            if self.first_ts is None or x < self.first_ts:
                self.first_ts = x
            if self.last_ts is None or x > self.last_ts:
                self.last_ts = x
        if level is not None:
            self.leveled += 1
        name = level or "-"
        series = self.levels_line.get(name)
        if series is None:
            if len(self.levels_line) >= MAX_LEVELS + 1:
                name = "OTHER"
                series = self.levels_line.get(name)
            if series is None:
                series = self.levels_line[name] = Series(self.line)
                self.levels_time[name] = Series(self.time)
        series.add(kl)
        if kt is not None:
            self.levels_time[name].add(kt)
        return True

    @staticmethod
    def _note_types(t: TemplateStats, types: Iterable[str]) -> None:
        for i, ty in enumerate(types):
            if i >= len(t.types):
                t.types.append(set())
            t.types[i].add(ty)

    def _inside(self, x: float | None) -> bool:
        if x is None:  # before the first time of its input: kept only when no bound is given
            return False
        return (self.since is None or x >= self.since) and (self.until is None or x <= self.until)

    # -- detection records --------------------------------------------------------------------------
    def add_score(self, inp: InputSummary, rec: Mapping[str, Any], line_offset: int = 0) -> bool:
        """Count one detection record; ``line_offset`` places its lines on the line axis (earlier inputs' lines).

        Returns False when ``--since``/``--until`` leave it out.
        """
        x_time = _record_time(rec.get("start"))
        end_time = _record_time(rec.get("end")) if rec.get("end") else x_time
        if self.since is not None or self.until is not None:
            if x_time is None or end_time is None:
                return False
            if (self.until is not None and x_time > self.until) or (self.since is not None and end_time < self.since):
                return False
        score = float(rec.get("score") or 0.0)
        anomaly = bool(rec.get("anomaly"))
        first = int(rec.get("first_line") or 0) + line_offset
        self.scored += 1
        inp.scored += 1
        self.thresholds.add(float(rec.get("threshold", 0.5)))
        self.methods.add(str(rec.get("method") or ""))
        by = str(rec.get("decided_by") or "model")
        self.decided[by] = self.decided.get(by, 0) + 1
        kl = self.line.index(first) if first > 0 else None
        kt = self.time.index(x_time) if x_time is not None else None
        if kt is not None:
            self.score_max[0].high(kt, score)
        if kl is not None:
            self.score_max[1].high(kl, score)
        pts = self.score_points
        if pts is not None:
            if len(pts) >= MAX_POINTS:
                self.score_points = None
            else:
                pts.append((x_time, first, score, anomaly))
        if anomaly:
            self.anomalies += 1
            inp.anomalies += 1
            if kt is not None:
                self.marks[0].add(kt)
            if kl is not None:
                self.marks[1].add(kl)
            self._seq += 1
            kept = dict(rec)
            kept["_source"] = inp.path
            kept["_x_time"] = x_time
            kept["_x_line"] = first
            item = (score, -self._seq, kept)
            if len(self.detailed) < MAX_DETAILED:
                heapq.heappush(self.detailed, item)
            elif item[:2] > self.detailed[0][:2]:
                heapq.heapreplace(self.detailed, item)
        return True

    # -- views --------------------------------------------------------------------------------------
    @property
    def by_time(self) -> bool:
        """Whether the page's axis is time: at least half the lines carry a timestamp (or, with no lines,
        the detection records do)."""
        if self.lines:
            return self.stamped * 2 >= self.lines and self.time.span() is not None
        return self.time.span() is not None

    def anomaly_records(self) -> list[dict[str, Any]]:
        """The detailed anomalies in the order of the axis (time, else line)."""
        recs = [r for _, _, r in self.detailed]
        key = "_x_time" if self.by_time else "_x_line"
        recs.sort(key=lambda r: (r[key] if r[key] is not None else float("inf"), r["_x_line"]))
        return recs

    def is_new(self, t: TemplateStats) -> bool:
        """First seen in the last :data:`NEW_TAIL` of the span (by time, else by line)."""
        if self.by_time:
            if t.first_x is None or self.first_ts is None or self.last_ts is None or self.last_ts <= self.first_ts:
                return False
            return t.first_x >= self.last_ts - NEW_TAIL * (self.last_ts - self.first_ts)
        return self.read >= 10 and t.first_pos >= self.read - NEW_TAIL * (self.read - 1)

    def is_rare(self, t: TemplateStats) -> bool:
        """Seen at most :data:`RARE_COUNT` times, or on less than :data:`RARE_SHARE` of the lines."""
        return t.count <= RARE_COUNT or t.count < RARE_SHARE * self.lines


def _record_time(value: Any) -> float | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return to_seconds(value)
    try:
        return to_seconds(datetime.fromisoformat(str(value)))
    except ValueError:
        return None
