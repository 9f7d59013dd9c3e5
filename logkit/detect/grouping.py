"""Grouping parsed lines into sessions (``--session REGEX``), count windows and time windows.

Input is either raw logs (through :class:`logkit.parse.api.Parser`) or ``logkit parse`` JSON Lines; both
become :class:`~logkit.records.Event` values, and :func:`group_events` turns them into closed
:class:`~logkit.records.Group` values lazily (the records themselves live in :mod:`logkit.records`).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from logkit.errors import InputError, UsageError
from logkit.records import MAX_EVENTS_PER_GROUP, Event, Group

__all__ = [
    "EventMaker",
    "Grouping",
    "parse_duration",
    "parse_grouping",
    "events_from_parsed",
    "event_from_record",
    "group_events",
    "session_gap",
    "mark_open",
]

MAX_OPEN_SESSIONS = 200_000  # the oldest open session closes when more are open
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


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
        """Inverse of :meth:`to_dict`; ``ValueError`` when ``data`` is not a grouping that can run."""
        g = cls(str(data["kind"]), data.get("session"), int(data.get("size", 0)), float(data.get("seconds", 0.0)))
        if not ((g.kind == "session" and isinstance(g.session, str) and g.session)
                or (g.kind == "count" and g.size >= 1) or (g.kind == "time" and g.seconds > 0)):
            raise ValueError(f"not a grouping: {data!r}")
        return g

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


class EventMaker:
    """Makes :class:`Event` objects from parsed lines or parse records, remembering what repeats (bounded):
    whether a field value describes a kind, one shared tuple per distinct kind (lines of a kind hold the same
    object), templates split at their variables, the latest timestamp text. One per input read."""

    __slots__ = ("_kind_value", "_kinds", "_pieces", "_stamp")

    def __init__(self) -> None:
        self._kind_value: dict[str, bool] = {}  # value -> whether it describes a kind (no digit)
        self._kinds: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = {}  # interned kind tuples
        self._pieces: dict[str, list[str]] = {}  # template -> its text between the <*>
        self._stamp: list[Any] = [None, None]  # the latest timestamp text and its datetime

    def split_fields(self, fields: Any) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
        """Header fields split in one pass: kinds (values without a digit; one shared tuple per distinct kind)
        and ids (values with one)."""
        kinds: list[tuple[str, str]] = []
        ids: list[tuple[str, str]] = []
        known = self._kind_value
        for kv in fields.items():  # the item tuples themselves are kept (no new pair per field)
            v = kv[1]
            ok = known.get(v)
            if ok is None:
                if not v:
                    continue
                ok = not _HAS_DIGIT(v)
                if len(known) < 50_000:
                    known[v] = ok
            if ok:
                kinds.append(kv)
            else:
                ids.append(kv)
        kind = tuple(kinds)
        shared = self._kinds.get(kind)
        if shared is None:
            if len(self._kinds) < 10_000:
                self._kinds[kind] = kind
            shared = kind
        return shared, tuple(ids)

    def from_parsed(self, p: Any) -> Event:
        """An :class:`Event` from a :class:`logkit.records.ParsedLine`."""
        rec = p.record
        kinds, ids = self.split_fields(rec.fields)
        return Event(rec.raw.line_no, p.template_id, p.template, rec.content, rec.timestamp, kinds, p.params, ids)

    def from_parsed_all(self, parsed: Iterable[Any]) -> Iterator[Event]:
        """:meth:`from_parsed` over a stream of parsed lines (one loop, no call per line)."""
        split = self.split_fields
        for p in parsed:
            rec = p.record
            kinds, ids = split(rec.fields)
            yield Event(rec.raw.line_no, p.template_id, p.template, rec.content, rec.timestamp, kinds, p.params,
                        ids)

    def _rebuild(self, template: str, params: list[Any]) -> str:
        pieces = self._pieces.get(template)
        if pieces is None:
            pieces = template.split("<*>")
            if len(self._pieces) >= 50_000:
                self._pieces.clear()
            self._pieces[template] = pieces
        if len(pieces) != len(params) + 1:
            return template + " " + " ".join(str(q.get("value", "")) for q in params)
        if len(pieces) == 1:
            return template
        out = [pieces[0]]
        for q, piece in zip(params, pieces[1:], strict=True):
            v = q.get("value", "")
            out.append(v if type(v) is str else str(v))
            out.append(piece)
        return "".join(out)

    def from_record(self, rec: dict[str, Any]) -> Event:
        """An :class:`Event` from a ``logkit parse`` JSON record (DESIGN.md 3.2); the content is rebuilt."""
        ts = rec.get("timestamp")
        when = None
        if ts:
            last = self._stamp
            if ts == last[0]:
                when = last[1]
            else:
                try:
                    when = datetime.fromisoformat(ts)
                except (TypeError, ValueError):
                    when = None
                last[0], last[1] = ts, when
        template = rec.get("template", "")
        if type(template) is not str:
            template = str(template)
        tid = rec.get("template_id", "")
        params = rec.get("params") or []
        kinds, ids = self.split_fields(rec.get("fields") or {})
        return Event(int(rec.get("line", 0)), tid if type(tid) is str else str(tid), template,
                     self._rebuild(template, params), when, kinds, params, ids)


def events_from_parsed(parsed: Iterable[Any]) -> Iterator[Event]:
    """Events of a stream of parsed lines (one :class:`EventMaker` for the stream)."""
    return EventMaker().from_parsed_all(parsed)


def event_from_record(rec: dict[str, Any]) -> Event:
    """An :class:`Event` from one parse record (for many, :class:`EventMaker`)."""
    return EventMaker().from_record(rec)


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
    findall = re.compile(pattern).findall
    open_: OrderedDict[str, Group] = OrderedDict()
    get, to_end = open_.get, open_.move_to_end
    cap = MAX_EVENTS_PER_GROUP
    last = 0
    for ev in events:
        last = ev.line
        ids = findall(ev.content)
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
        if len(ids) > 1:
            ids = list(dict.fromkeys(ids))  # a line naming the same id twice counts once
        ts = ev.timestamp
        for key in ids:
            sess = get(key)
            if sess is None:
                sess = Group(key, last, last, 1, ts, ts, [ev])
                open_[key] = sess
                if len(open_) > MAX_OPEN_SESSIONS:
                    yield open_.popitem(last=False)[1]
                continue
            to_end(key)
            # Group.add, inline (the hot loop of session grouping)
            sess.lines += 1
            sess.last_line = last
            if ts is not None:
                if sess.start is None:
                    sess.start = ts
                sess.end = ts
            if len(sess.events) < cap:
                sess.events.append(ev)
    if open_within is not None:
        mark_open(open_.values(), last, open_within)
    yield from open_.values()


def _count_window(n: int, evs: list[Event], lines: int, last: Event) -> Group:
    """Window ``n`` of ``lines`` lines whose kept events are ``evs`` (``last``: its last line's event)."""
    start = evs[0].timestamp
    if start is None:
        start = next((ev.timestamp for ev in evs if ev.timestamp is not None), None)
    end = last.timestamp
    if end is None and start is not None:
        end = next((ev.timestamp for ev in reversed(evs) if ev.timestamp is not None), None)
    return Group(f"w{n}", evs[0].line, last.line, lines, start, end, evs)


def _count_groups(events: Iterable[Event], size: int) -> Iterator[Group]:
    n = 0
    cap = MAX_EVENTS_PER_GROUP
    if size <= cap:  # every line of a window is kept: a window is a list filled up to ``size``
        buf: list[Event] = []
        append = buf.append
        for ev in events:
            append(ev)
            if len(buf) >= size:
                n += 1
                yield _count_window(n, buf, size, ev)
                buf = []
                append = buf.append
        if buf:
            n += 1
            tail = _count_window(n, buf, len(buf), buf[-1])
            tail.open = True  # fewer than ``size`` lines: the input ended inside it
            yield tail
        return
    g: Group | None = None
    for ev in events:
        ts = ev.timestamp
        if g is None:
            n += 1
            g = Group(f"w{n}", ev.line, ev.line, 1, ts, ts, [ev])
        else:
            g.add(ev)
        if g.lines >= size:
            yield g
            g = None
    if g is not None:
        g.open = True  # fewer than ``size`` lines: the input ended inside it
        yield g


NO_STAMP_LINES = 1000  # time windows: lines without any timestamp before the input is refused


def _no_stamps(seconds: float, lines: int) -> InputError:
    return InputError(
        f"--window {seconds:g}s needs timestamps, and none of the {lines} lines read has one; use --window N "
        "for windows of N lines, or --format SPEC naming the header's date and time fields"
    )


def _time_groups(events: Iterable[Event], seconds: float) -> Iterator[Group]:
    span = timedelta(seconds=seconds)
    g: Group | None = None
    opened: datetime | None = None
    stamped = False  # some line had a timestamp (lines without one join the window they follow)
    n = 0
    for ev in events:
        ts = ev.timestamp
        if not stamped:
            n += 1
            if ts is not None:
                stamped = True
            elif n >= NO_STAMP_LINES:  # one window of the whole input is not what time windows mean
                raise _no_stamps(seconds, n)
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
        if not stamped:
            raise _no_stamps(seconds, n)
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
