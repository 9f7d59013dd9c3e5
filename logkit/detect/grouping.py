"""Grouping parsed lines into sessions (``--session REGEX``), count windows and time windows.

Input is either raw logs (through :class:`logkit.parse.api.Parser`) or ``logkit parse`` JSON Lines; both
become :class:`Event` values, and :func:`group_events` turns them into closed :class:`Group` values lazily.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from logkit.errors import UsageError

__all__ = [
    "Event",
    "Group",
    "Grouping",
    "parse_duration",
    "parse_grouping",
    "event_from_parsed",
    "event_from_record",
    "group_events",
    "MAX_EVENTS_PER_GROUP",
    "session_gap",
    "mark_open",
]

MAX_EVENTS_PER_GROUP = 5_000  # events kept per group (later ones are counted, not kept)
MAX_OPEN_SESSIONS = 200_000  # the oldest open session closes when more are open
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


@dataclass(frozen=True, slots=True)
class Event:
    """One parsed line as detection sees it.

    ``fields`` are the header fields whose values hold no digit (level, component, type): they describe
    the kind of a line, not one occurrence of it. ``params`` are the variables (:class:`logkit.records.Param`)
    and ``ids`` the other header fields (hosts, nodes, pids): the entities of the graph method.
    """

    line: int
    template_id: str
    template: str
    content: str
    timestamp: datetime | None = None
    fields: tuple[tuple[str, str], ...] = ()
    params: tuple[Any, ...] = ()
    ids: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class Group:
    """A closed session or window: its key, line span, time span and its events (at most a bound).

    ``open`` marks an item cut by the end of the input (a session still active then, the last partial
    count window): what it holds is a beginning, not the whole.
    """

    key: str
    first_line: int
    last_line: int
    lines: int = 0
    start: datetime | None = None
    end: datetime | None = None
    events: list[Event] = field(default_factory=list)
    open: bool = False

    def add(self, ev: Event) -> None:
        """Append one event (kept while under :data:`MAX_EVENTS_PER_GROUP`)."""
        self.lines += 1
        self.last_line = ev.line
        if ev.timestamp is not None:
            if self.start is None:
                self.start = ev.timestamp
            self.end = ev.timestamp
        if len(self.events) < MAX_EVENTS_PER_GROUP:
            self.events.append(ev)


@dataclass(frozen=True, slots=True)
class Grouping:
    """How lines become items: ``kind`` is ``session``, ``count`` or ``time``."""

    kind: str
    session: str | None = None
    size: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form (saved in a model folder)."""
        return {"kind": self.kind, "session": self.session, "size": self.size, "seconds": self.seconds}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Grouping:
        """Inverse of :meth:`to_dict`."""
        return cls(str(data["kind"]), data.get("session"), int(data.get("size", 0)),
                   float(data.get("seconds", 0.0)))

    def describe(self) -> str:
        """The command-line flags that give this grouping."""
        if self.kind == "session":
            return f"--session {self.session!r}"
        if self.kind == "count":
            return f"--window {self.size}"
        return f"--window {self.seconds:g}s"


def parse_duration(text: str) -> float:
    """``"30s"``, ``"5m"``, ``"1h"``, ``"250ms"`` -> seconds; raises :class:`UsageError` otherwise."""
    m = _DURATION.match(text)
    if not m or float(m.group(1)) <= 0:
        raise UsageError(f"duration {text!r} is not understood; write it like 30s, 5m or 1h")
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_grouping(session: str | None, window: str | None) -> Grouping | None:
    """The grouping from ``--session`` / ``--window`` (``None`` when neither is given).

    Parameters
    ----------
    session : str or None
        A regular expression whose matches are session ids.
    window : str or None
        ``N`` (lines per window) or a duration (``30s``, ``5m``, ``1h``).
    """
    if session and window:
        raise UsageError("give either --session or --window, not both")
    if session:
        try:
            rx = re.compile(session)
        except re.error as exc:
            raise UsageError(f"--session {session!r} is not a valid regular expression ({exc})") from None
        if rx.groups > 1:
            raise UsageError("--session: use at most one capturing group (it names the session)")
        return Grouping("session", session=session)
    if window:
        w = window.strip()
        if w.isdigit():
            if int(w) < 1:
                raise UsageError("--window N needs N >= 1")
            return Grouping("count", size=int(w))
        return Grouping("time", seconds=parse_duration(w))
    return None


_HAS_DIGIT = re.compile(r"\d").search
_KIND_VALUE: dict[str, bool] = {}  # value -> whether it describes a kind (no digit); bounded


def _split_fields(fields: Any) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """Header fields split in one pass: kinds (values without a digit) and ids (values with one)."""
    kinds: list[tuple[str, str]] = []
    ids: list[tuple[str, str]] = []
    for k, v in fields.items():
        if not v:
            continue
        ok = _KIND_VALUE.get(v)
        if ok is None:
            ok = not _HAS_DIGIT(v)
            if len(_KIND_VALUE) < 50_000:
                _KIND_VALUE[v] = ok
        (kinds if ok else ids).append((k, v))
    return tuple(kinds), tuple(ids)


def event_from_parsed(p: Any) -> Event:
    """An :class:`Event` from a :class:`logkit.records.ParsedLine`."""
    rec = p.record
    kinds, ids = _split_fields(rec.fields)
    return Event(rec.raw.line_no, p.template_id, p.template, rec.content, rec.timestamp, kinds, p.params, ids)


def _rebuild(template: str, params: list[Any]) -> str:
    pieces = template.split("<*>")
    if len(pieces) != len(params) + 1:
        return template + " " + " ".join(str(q.get("value", "")) for q in params)
    out = [pieces[0]]
    for q, piece in zip(params, pieces[1:], strict=True):
        out.append(str(q.get("value", "")))
        out.append(piece)
    return "".join(out)


def event_from_record(rec: dict[str, Any]) -> Event:
    """An :class:`Event` from a ``logkit parse`` JSON record (DESIGN.md 3.2); the content is rebuilt."""
    ts = rec.get("timestamp")
    when = None
    if ts:
        try:
            when = datetime.fromisoformat(ts)
        except ValueError:
            when = None
    template = str(rec.get("template", ""))
    params = list(rec.get("params") or [])
    kinds, ids = _split_fields(rec.get("fields") or {})
    return Event(int(rec.get("line", 0)), str(rec.get("template_id", "")), template,
                 _rebuild(template, params), when, kinds, _params_of(params), ids)


def _params_of(params: list[Any]) -> tuple[Any, ...]:
    """:class:`logkit.records.Param` values of a JSON record's params (an unknown type reads as OTP)."""
    from logkit.records import Param, VarType

    out = []
    for q in params:
        if isinstance(q, dict):
            try:
                vt = VarType(str(q.get("type", "")))
            except ValueError:
                vt = VarType.OTP
            out.append(Param(str(q.get("value", "")), vt, 0, 0))
    return tuple(out)


def session_gap(groups: Iterable[Group], quantile: float = 0.99) -> int:
    """How many input lines a session may stay quiet between two of its lines (a high quantile of the
    gaps seen), so that a session quiet for fewer lines when the input ends counts as still open."""
    gaps = sorted(b.line - a.line for g in groups for a, b in zip(g.events, g.events[1:], strict=False))
    if not gaps:
        return 0
    return max(int(gaps[min(len(gaps) - 1, int(quantile * len(gaps)))]), 1)


def mark_open(groups: Iterable[Group], last_line: int, open_within: int) -> None:
    """Mark the sessions whose last line is at most ``open_within`` lines before the input's last line."""
    for g in groups:
        g.open = last_line - g.last_line <= open_within


def _session_groups(events: Iterable[Event], pattern: str, idle: float | None,
                    open_within: int | None) -> Iterator[Group]:
    rx = re.compile(pattern)
    open_: OrderedDict[str, Group] = OrderedDict()
    last = 0
    for ev in events:
        last = ev.line
        ids = rx.findall(ev.content)
        if not ids:
            continue
        if idle is not None and ev.timestamp is not None:  # close sessions quiet for longer than idle
            limit = ev.timestamp - timedelta(seconds=idle)
            while open_:
                key, g = next(iter(open_.items()))
                if g.end is not None and g.end < limit:
                    del open_[key]
                    yield g
                else:
                    break
        for key in dict.fromkeys(ids):  # a line naming the same id twice counts once
            sess = open_.get(key)
            if sess is None:
                sess = Group(key, ev.line, ev.line)
                open_[key] = sess
                if len(open_) > MAX_OPEN_SESSIONS:
                    yield open_.popitem(last=False)[1]
            else:
                open_.move_to_end(key)
            sess.add(ev)
    if open_within is not None:
        mark_open(open_.values(), last, open_within)
    yield from open_.values()


def _count_groups(events: Iterable[Event], size: int) -> Iterator[Group]:
    n = 0
    g: Group | None = None
    for ev in events:
        if g is None:
            n += 1
            g = Group(f"w{n}", ev.line, ev.line)
        g.add(ev)
        if g.lines >= size:
            yield g
            g = None
    if g is not None:
        g.open = True  # fewer than ``size`` lines: the input ended inside it
        yield g


def _time_groups(events: Iterable[Event], seconds: float) -> Iterator[Group]:
    span = timedelta(seconds=seconds)
    g: Group | None = None
    opened: datetime | None = None
    for ev in events:
        ts = ev.timestamp
        if g is not None and ts is not None and opened is not None and not (opened <= ts < opened + span):
            yield g
            g = None
        if g is None:
            opened = _floor(ts, seconds) if ts is not None else None
            g = Group(opened.isoformat() if opened is not None else f"line {ev.line}", ev.line, ev.line)
        elif opened is None and ts is not None:
            opened = _floor(ts, seconds)
        g.add(ev)
    if g is not None:
        yield g


def _floor(ts: datetime, seconds: float) -> datetime:
    """The start of the window holding ``ts``: aligned to multiples of the window length."""
    base = datetime(1970, 1, 1, tzinfo=ts.tzinfo)
    n = (ts - base).total_seconds() // seconds
    return base + timedelta(seconds=n * seconds)


def group_events(
    events: Iterable[Event], grouping: Grouping, *, idle: float | None = None, open_within: int | None = None
) -> Iterator[Group]:
    """Closed groups, in the order they close.

    Parameters
    ----------
    events : iterable of Event
        Parsed lines in input order.
    grouping : Grouping
        Sessions, count windows or time windows.
    idle : float, optional
        Sessions whose last line is older than this (by the lines' timestamps) close early; used with
        ``--follow`` so memory stays bounded on an endless stream.
    open_within : int, optional
        Sessions whose last line is at most this many lines before the end of the input are marked
        ``open`` (cut by the end of the input; see :func:`session_gap`).
    """
    if grouping.kind == "session":
        assert grouping.session is not None
        return _session_groups(events, grouping.session, idle, open_within)
    if grouping.kind == "count":
        return _count_groups(events, grouping.size)
    return _time_groups(events, grouping.seconds)
