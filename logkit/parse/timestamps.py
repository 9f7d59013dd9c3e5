"""Timestamps from a line's header fields, in the common log notations; fast (cached) and never raising.

Syslog-style dates carry no year: they get the year of the reference time (the previous one when that
would put them more than a day after it, as rsyslog does for December lines read in January). The
reference is the current time, or, while a file is parsed, the time the file was last written, so a file
gives the same timestamps whenever it is parsed. It and every memory of the reading live on a :class:`Clock`,
one per parser.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from operator import itemgetter
from typing import Any

__all__ = ["Clock", "parse_timestamp", "parse_timestamp_text"]

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_MON = r"(?P<mon>[A-Za-z]{3})[a-z]*"
_DOW = r"(?:[A-Za-z]{3}[a-z]*,?\s+)"
_HMS = r"(?P<H>\d{1,2}):(?P<M>\d\d?)(?::(?P<S>\d\d?)(?:[.,:](?P<frac>\d{1,9}))?)?"
_TZ = r"(?:\s*(?P<tz>Z|UTC|GMT|[+-]\d\d(?::?\d\d)?))?"

# (pattern, how to read the year, what its first character is: "9" a digit, "a" a letter, "9a" either) in
# the order they are tried for a new shape; each is compiled when a text that may be written in it is first
# met (most logs use one or two notations: the others cost nothing)
_NOTATION_TEXT: list[tuple[str, str, str]] = [
    # ISO-8601 with T or space, comma or dot fraction, Z or offset; also 2024/01/31 and 2005.06.03
    (r"(?P<y>\d{4})[-/.](?P<m>\d\d)[-/.](?P<d>\d\d)(?:[T ]+" + _HMS + r")?" + _TZ, "y", "9"),
    # 2005-06-03-15.42.50.675872
    (r"(?P<y>\d{4})-(?P<m>\d\d)-(?P<d>\d\d)-(?P<H>\d\d)\.(?P<M>\d\d)\.(?P<S>\d\d)"
     r"(?:\.(?P<frac>\d{1,9}))?", "y", "9"),
    # 20171223-22:15:29:606 and 20240101T100000Z
    (r"(?P<y>\d{4})(?P<m>\d\d)(?P<d>\d\d)[-T ]" + _HMS + _TZ, "y", "9"),
    (r"(?P<y>\d{4})(?P<m>\d\d)(?P<d>\d\d)T?(?P<H>\d\d)(?P<M>\d\d)(?P<S>\d\d)"
     r"(?:[.,](?P<frac>\d{1,9}))?" + _TZ, "y", "9"),
    # 081109 203615 (yymmdd hhmmss)
    (r"(?P<y>\d\d)(?P<m>\d\d)(?P<d>\d\d)[ -]?(?P<H>\d\d)(?P<M>\d\d)(?P<S>\d\d)", "yy", "9"),
    # 17/06/09 20:10:40 (yy/mm/dd, the log4j default)
    (r"(?P<y>\d\d)/(?P<m>\d\d)/(?P<d>\d\d)[ -]+" + _HMS + _TZ, "yy", "9"),
    # 12/31/2024 10:00:00 (US order; day first when the first number is above 12)
    (r"(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})(?:[ :T-]+" + _HMS + r")?" + _TZ, "mdY", "9"),
    # Sun Dec 04 04:47:44 2005 (ctime, Apache)
    (_DOW + "?" + _MON + r"\s+(?P<d>\d{1,2})\s+" + _HMS + _TZ + r"\s+(?P<y>\d{4})", "y", "a"),
    # Jun 14 15:16:01 / Jun 14 2024 15:16:01 (syslog)
    (_DOW + "?" + _MON + r"\s+(?P<d>\d{1,2}),?(?:\s+(?P<y>\d{4}))?\s+" + _HMS + _TZ, "opt", "a"),
    # 04 Dec 2005 04:47:44 (RFC 2822) and 10/Oct/2000:13:55:36 -0700 (common log format)
    (_DOW + r"?(?P<d>\d{1,2})[ /-]" + _MON + r"[ /-](?P<y>\d{4})[ :]+" + _HMS + _TZ, "y", "9a"),
]
_EPOCH = re.compile(r"(?P<int>\d{9,19})(?:\.(?P<frac>\d{1,9}))?")

# field names (lower case) that name a whole timestamp, most telling first
_STAMP_NAMES = ("timestamp", "@timestamp", "datetime", "date_time", "time", "ts", "t", "asctime",
                "logtime", "log_time", "eventtime", "event_time", "time_local", "created", "date")
_EPOCH_NAMES = frozenset(("timestamp", "@timestamp", "ts", "time", "epoch", "created", "unixtime",
                          "unix_time", "t", "datetime", "logtime", "log_time", "eventtime", "event_time"))
_SHAPE = str.maketrans("0123456789", "9999999999")  # digits alike; letters stay (month names, T, Z)
_CACHE_MAX = 4096
_RECENT_MAX = 1024


def _tzinfo(tz: str | None) -> timezone | None:
    if not tz:
        return None
    if tz in ("Z", "UTC", "GMT"):
        return timezone.utc
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4]) if len(digits) >= 4 else 0
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


_GROUPS = ("y", "m", "d", "mon", "H", "M", "S", "frac", "tz", "a", "b")
# the notations a text may be written in, by its first character
_LETTER_FIRST = tuple(i for i, n in enumerate(_NOTATION_TEXT) if "a" in n[2])
_DIGIT_FIRST = tuple(i for i, n in enumerate(_NOTATION_TEXT) if "9" in n[2])


@functools.cache
def _notation_of(i: int) -> tuple[re.Pattern[str], tuple[int, ...]]:
    """Notation ``i``'s regex, compiled the first time it is wanted, and the group number of each name in
    ``_GROUPS`` (0 where the notation has no such group)."""
    rx = re.compile(_NOTATION_TEXT[i][0])
    return rx, tuple(rx.groupindex.get(name, 0) for name in _GROUPS)


def _notation(i: int) -> re.Pattern[str]:
    return _notation_of(i)[0]


def _build(m: re.Match[str], idx: int, clock_now: Callable[[], datetime]) -> datetime | None:
    g = (None,) + m.groups()
    iy, im, id_, imon, ih, imin, isec, ifrac, itz, ia, ib = _notation_of(idx)[1]
    mode = _NOTATION_TEXT[idx][1]
    if mode == "mdY":
        a, b = int(g[ia]), int(g[ib])  # type: ignore[arg-type]
        month, day = (b, a) if a > 12 else (a, b)
    else:
        if imon:
            month = _MONTHS.get(g[imon].lower(), 0)  # type: ignore[union-attr]
            if not month:
                return None
        else:
            month = int(g[im])  # type: ignore[arg-type]
        day = int(g[id_])  # type: ignore[arg-type]
    hour = int(g[ih]) if ih and g[ih] else 0  # type: ignore[arg-type]
    minute = int(g[imin]) if imin and g[imin] else 0  # type: ignore[arg-type]
    second = int(g[isec]) if isec and g[isec] else 0  # type: ignore[arg-type]
    frac = g[ifrac] if ifrac else None
    micro = int((frac + "000000")[:6]) if frac else 0
    tz = _tzinfo(g[itz]) if itz else None
    y = g[iy] if iy else None
    try:
        if mode == "yy":
            year = 2000 + int(y) if y is not None else 0
        elif mode == "opt" and y is None:
            now = clock_now()
            stamp = datetime(now.year, month, day, hour, minute, second, micro)
            if stamp - now > timedelta(days=1):
                stamp = stamp.replace(year=now.year - 1)
            return stamp.replace(tzinfo=tz) if tz is not None else stamp
        else:
            year = int(y) if y is not None else 0
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    except ValueError:
        return None


def _epoch(text: str) -> datetime | None:
    m = _EPOCH.fullmatch(text)
    if m is None:
        return None
    digits = m.group("int")
    n = len(digits)
    scale = {10: 1, 9: 1, 13: 1_000, 16: 1_000_000, 19: 1_000_000_000}.get(n)
    if scale is None:
        return None
    value = int(digits) / scale
    if m.group("frac") and scale == 1:
        value += float("0." + m.group("frac"))
    if not 1e8 <= value <= 4.2e9:  # 1973..2103: anything else is probably not a time
        return None
    try:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


class Clock:
    """Reads timestamps for one parser: the reference time of year-less dates and every memory of the reading.

    Syslog-style dates carry no year: they get the year of the reference (the previous one when that would
    put them more than a day after it). The reference is :attr:`reference` when set (a parser sets the time
    its file was last written, so a file gives the same timestamps whenever it is parsed), else the current
    local time, read at most once a minute. Two parsers with their own clocks never see each other's
    reference, however their reading interleaves.
    """

    __slots__ = ("_reference", "_now_at", "_now", "generation", "_recent", "_shapes", "_last", "_plans")

    def __init__(self, reference: datetime | None = None) -> None:
        self._reference = reference
        self._now_at = -1e9
        self._now = datetime.now()
        self.generation = 0  # bumped when the reference changes: readers drop the dates they remember
        self._recent: dict[tuple[str, bool], datetime | None] = {}  # texts seen lately (lines of one second)
        self._shapes: dict[str, int] = {}  # text shape -> index into _NOTATION_TEXT, -1 none, -2 epoch
        self._last = -1  # the notation that parsed the latest text
        self._plans: dict[tuple[str, ...], list[tuple[tuple[str, ...], bool]]] = {}

    @property
    def reference(self) -> datetime | None:
        """The time year-less dates are read against (None: the current time)."""
        return self._reference

    @reference.setter
    def reference(self, when: datetime | None) -> None:
        if when != self._reference:  # dates read against the old one are forgotten (their year may differ)
            self._recent.clear()
            self.generation += 1
        self._reference = when

    def now(self) -> datetime:
        """The reference time, else the current local time (refreshed at most once a minute)."""
        ref = self._reference
        if ref is not None:
            return ref
        mono = time.monotonic()
        if mono - self._now_at > 60:
            self._now_at = mono
            self._now = datetime.now()
        return self._now

    def parse_text(self, text: str, *, allow_epoch: bool = False) -> datetime | None:
        """Parse one timestamp string in any known notation; ``None`` when it is not one (never raises).

        The notation that fits a string's shape (its digits masked) is remembered, so a log of one notation
        costs one regex match per line.
        """
        key = (text, allow_epoch)
        recent = self._recent
        if key in recent:
            return recent[key]
        if len(recent) >= _RECENT_MAX:
            recent.clear()
        stamp = self.parse_fresh(text, allow_epoch)
        recent[key] = stamp
        return stamp

    def parse_fresh(self, text: str, allow_epoch: bool) -> datetime | None:
        """:meth:`parse_text` without its memo of recent texts (the readers remember their own)."""
        if len(text) > 80:
            return None
        return self._parse_text(text.strip(), allow_epoch)

    def _parse_text(self, text: str, allow_epoch: bool) -> datetime | None:
        if not text or len(text) > 64:
            return None
        last = self._last
        now = self.now
        if last >= 0:  # most logs use one notation: try the last one that worked first
            m = _notation(last).fullmatch(text)
            if m is not None:
                return _build(m, last, now)
        shape = text.translate(_SHAPE)
        shapes = self._shapes
        idx = shapes.get(shape)
        if idx is not None:
            if idx == -1:
                return None
            if idx == -2:
                return _epoch(text) if allow_epoch else None
            m = _notation(idx).fullmatch(text)
            if m is None:
                return None
            self._last = idx
            return _build(m, idx, now)
        if len(shapes) >= _CACHE_MAX:
            shapes.clear()
        # The notations' patterns tell digits apart only as digits, so whether one matches follows from the
        # shape; whether its values make a date (month 13?) does not: a shape is remembered as no timestamp
        # only when no notation matched it.
        matched = False
        first = text[0]
        for i in _LETTER_FIRST if first.isalpha() else _DIGIT_FIRST if first.isdigit() else ():
            m = _notation(i).fullmatch(text)
            if m is not None:
                stamp = _build(m, i, now)
                if stamp is not None:
                    shapes[shape] = self._last = i
                    return stamp
                matched = True
        if _EPOCH.fullmatch(text):
            if not matched:
                shapes[shape] = -2
            return _epoch(text) if allow_epoch else None
        if not matched:
            shapes[shape] = -1
        return None

    def parse_fields(self, fields: Mapping[str, str]) -> datetime | None:
        """The timestamp of a line from its header fields, or ``None`` when unsure (never raises); see
        :func:`parse_timestamp`."""
        if not fields:
            return None
        try:
            keys = tuple(fields)
            plan = self._plans.get(keys)
            if plan is None:
                if len(self._plans) >= _CACHE_MAX:
                    self._plans.clear()
                plan = self._plans[keys] = _plan(keys)
            for names, allow_epoch in plan:
                text = fields[names[0]] if len(names) == 1 else " ".join(fields[n] for n in names)
                if not isinstance(text, str):
                    text = str(text)
                stamp = self.parse_text(text, allow_epoch=allow_epoch)
                if stamp is not None:
                    return stamp
        except Exception:  # a timestamp is optional: never let it fail a parse
            return None
        return None

    def reader(self, keys: Sequence[str]) -> Callable[[Mapping[str, str]], datetime | None]:
        """:meth:`parse_fields` for lines whose fields always have these ``keys`` (a header format's).

        The field combinations to try are worked out once, and the latest text is remembered: lines
        written in the same second cost one string comparison.
        """
        return _reader(self, tuple(keys), as_json=False)

    def json_reader(self, keys: Sequence[str], index: Mapping[str, int] | None = None) -> Callable[[Any], str]:
        """Like :meth:`reader`, giving the JSON text of the timestamp: ``"null"`` or its ISO text in quotes
        (as ``json.dumps(ts.isoformat())`` writes it). Lines of one day cost no ``isoformat`` call.

        With ``index`` (field name -> position), the reader takes a sequence of values (a regex match's
        ``groups()``) instead of a mapping of field names.
        """
        return _reader(self, tuple(keys), as_json=True, index=index)


def parse_timestamp_text(text: str, *, allow_epoch: bool = False, clock: Clock | None = None) -> datetime | None:
    """Parse one timestamp string (see :meth:`Clock.parse_text`); year-less dates are read against ``clock``
    (default: a new clock, the current time)."""
    return (clock or Clock()).parse_text(text, allow_epoch=allow_epoch)


def _plan(keys: tuple[str, ...]) -> list[tuple[tuple[str, ...], bool]]:
    """Which field combinations to try for a set of field names: [(names to join, epoch allowed)]."""
    lower = {k.lower(): k for k in keys}
    plan: list[tuple[tuple[str, ...], bool]] = []
    month = lower.get("month") or lower.get("mon")
    day = lower.get("day") or lower.get("date")
    time = lower.get("time")
    year = lower.get("year")
    if month and day and time:
        plan.append(((month, day, year, time) if year else (month, day, time), False))
    date = lower.get("date")
    if date and time:
        plan.append(((date, time), False))
    if year and month and day and not time:
        plan.append(((year, month, day), False))
    for name in _STAMP_NAMES:
        if name in lower and name not in ("date",):
            plan.append(((lower[name],), False))
    if date:
        plan.append(((date,), False))
    for name in _STAMP_NAMES:
        if name in lower and name in _EPOCH_NAMES:
            plan.append(((lower[name],), True))
    return plan


def parse_timestamp(fields: Mapping[str, str], *, clock: Clock | None = None) -> datetime | None:
    """The timestamp of a line from its header fields, or ``None`` when unsure (never raises).

    Understands ISO-8601 (``T`` or space, ``,``/``.`` fractions, ``Z``/offsets), ``081109 203615``,
    ``17/06/09 20:10:40``, syslog ``Jun 14 15:16:01`` (the year of ``clock``'s reference, by default the
    current one), ctime ``Sun Dec 04 04:47:44 2005``, ``2005-06-03-15.42.50.675872``,
    ``20171223-22:15:29:606``, the common log format, and epoch seconds/millis/micros/nanos in a field named
    like a timestamp (``ts``, ``timestamp``..., returned in UTC). Fields are combined as Month+Day+Time,
    Date+Time, then single fields.

    Parameters
    ----------
    fields
        Header fields of one line (``Content`` is ignored).
    clock
        The :class:`Clock` whose reference and memory to use (default: a new one).

    Returns
    -------
    datetime or None
        Aware when the text has an offset (or is an epoch), naive otherwise.
    """
    return (clock or Clock()).parse_fields(fields)


def _json_text(stamp: datetime | None) -> str:
    return "null" if stamp is None else '"' + stamp.isoformat() + '"'


def _reader(owner: Clock, keys: tuple[str, ...], as_json: bool, index: Mapping[str, int] | None = None) -> Any:
    plan: list[tuple[tuple[Any, ...], bool]] = list(_plan(keys))
    if index is not None:
        plan = [(tuple(index[n] for n in names), epoch) for names, epoch in plan]
    if not plan:
        return _no_stamp_json if as_json else _no_stamp
    parse_fresh = owner.parse_fresh
    names0, epoch0 = plan[0]
    rest = plan[1:]
    memo: list[Any] = [None] * len(rest)  # per later combination: its latest (text, what it gave)
    pick = itemgetter(*names0)  # one name: its value; several: a tuple of them
    single = len(names0) == 1
    out = _json_text if as_json else None
    hhmm, ss = _clock_sets()
    # the first combination's latest values and what they gave; the text before and after a trailing hh:mm:ss and
    # its day (see _day_of; day None: no such text yet, or too close to now for a year-less date to be sure)
    last_values: Any = None  # the latest values of the first combination's fields
    last_value: Any = None
    pos, head, tail, day = 0, "", "", None
    # when the day's hh:mm:ss is the whole last field: the other fields' values (a line with the same ones and
    # a valid clock there is of that day), else None
    day_head: Any = None
    seen_generation = owner.generation

    def read(fields: Any) -> Any:
        nonlocal last_values, last_value, pos, head, tail, day, day_head, seen_generation
        if seen_generation != owner.generation:  # another reference time: a remembered year-less date may be wrong
            last_values, last_value, day, day_head, seen_generation = None, None, None, None, owner.generation
            memo[:] = [None] * len(rest)
        try:
            values = pick(fields)
            if values == last_values:  # a line of the same second
                return last_value
            text: str | None = None
            if day_head is not None and values[:-1] == day_head:  # the same day, its clock the last field
                clock = values[-1]
            else:
                text = values if single else " ".join(values)
                # only the hh:mm:ss differs from the remembered text?
                same_day = day is not None and len(text) == pos + 8 + len(tail) and text.startswith(head) \
                    and text.endswith(tail)
                clock = text[pos : pos + 8] if same_day else ""
            if clock[:6] in hhmm and clock[6:] in ss:
                # the JSON text needs no datetime: the day's text and the clock as written
                last_values = values
                last_value = (
                    day[1] + clock + '"' if as_json  # type: ignore[index]
                    else day[0] + _SECOND * (int(clock[:2]) * 3600 + int(clock[3:5]) * 60 + int(clock[6:]))  # type: ignore[index]
                )
                return last_value
            if text is None:
                text = values if single else " ".join(values)
            stamp = parse_fresh(text, epoch0)
            if stamp is not None:
                last_values = values
                last_value = out(stamp) if out is not None else stamp
                pos, head, tail, day = _day_of(text, stamp, owner.now())
                day_head = (values[:-1] if day is not None and not single and not tail and len(values[-1]) == 8
                            and pos == len(text) - 8 else None)
                return last_value
            for k, (names, allow_epoch) in enumerate(rest):
                text = fields[names[0]] if len(names) == 1 else " ".join([fields[n] for n in names])
                seen = memo[k]
                if seen is not None and seen[0] == text:
                    value = seen[1]
                else:
                    stamp = parse_fresh(text, allow_epoch)
                    value = None if stamp is None else out(stamp) if out is not None else stamp
                    memo[k] = (text, value)
                if value is not None:
                    return value
        except Exception:  # a timestamp is optional: never let it fail a parse
            pass
        return "null" if as_json else None

    return read


def _no_stamp_json(fields: Mapping[str, str]) -> str:
    return "null"


def _no_stamp(fields: Mapping[str, str]) -> None:
    return None


_CLOCK = re.compile(r"(?<![\d:])(\d\d):(\d\d):(\d\d)(?!\d)")
_SECOND = timedelta(seconds=1)


@functools.cache
def _clock_sets() -> tuple[frozenset[str], frozenset[str]]:
    """Every valid ``hh:mm:`` and every valid ``ss``: two set lookups check the text of a clock (built when a
    reader is first made, not at import)."""
    two = [f"{n:02d}" for n in range(60)]
    return frozenset(f"{h}:{m}:" for h in two[:24] for m in two), frozenset(two)


def _day_of(text: str, stamp: datetime, now: datetime) -> tuple[int, str, str, tuple[datetime, str] | None]:
    """Where the ``hh:mm:ss`` of ``text`` begins, the text before and after it, and its day (midnight and
    the start of its JSON text) when later texts of that day may reuse it; else a day of None."""
    none = (0, "", "", None)
    if stamp.tzinfo is not None or stamp.microsecond:
        return none
    m = _CLOCK.search(text)
    if m is None or (int(m[1]), int(m[2]), int(m[3])) != (stamp.hour, stamp.minute, stamp.second):
        return none
    if abs((stamp - now).days) <= 2:  # a year-less date near today: its year may depend on the time
        return none
    midnight = stamp.replace(hour=0, minute=0, second=0)
    return m.start(), text[: m.start()], text[m.end() :], (midnight, '"' + midnight.date().isoformat() + "T")
