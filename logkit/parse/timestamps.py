"""Timestamps from a line's header fields, in the common log notations; fast (cached) and never raising.

Syslog-style dates carry no year: they get the current year (the previous one when that would put them
more than a day in the future, as rsyslog does for December lines read in January).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

__all__ = ["parse_timestamp", "parse_timestamp_text"]

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_MON = r"(?P<mon>[A-Za-z]{3})[a-z]*"
_DOW = r"(?:[A-Za-z]{3}[a-z]*,?\s+)"
_HMS = r"(?P<H>\d{1,2}):(?P<M>\d\d?)(?::(?P<S>\d\d?)(?:[.,:](?P<frac>\d{1,9}))?)?"
_TZ = r"(?:\s*(?P<tz>Z|UTC|GMT|[+-]\d\d(?::?\d\d)?))?"

# (regex, how to read the year) in the order they are tried for a new shape
_NOTATIONS: list[tuple[re.Pattern[str], str]] = [
    # ISO-8601 with T or space, comma or dot fraction, Z or offset; also 2024/01/31 and 2005.06.03
    (re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d\d)[-/.](?P<d>\d\d)(?:[T ]+" + _HMS + r")?" + _TZ), "y"),
    # 2005-06-03-15.42.50.675872
    (re.compile(r"(?P<y>\d{4})-(?P<m>\d\d)-(?P<d>\d\d)-(?P<H>\d\d)\.(?P<M>\d\d)\.(?P<S>\d\d)"
                r"(?:\.(?P<frac>\d{1,9}))?"), "y"),
    # 20171223-22:15:29:606 and 20240101T100000Z
    (re.compile(r"(?P<y>\d{4})(?P<m>\d\d)(?P<d>\d\d)[-T ]" + _HMS + _TZ), "y"),
    (re.compile(r"(?P<y>\d{4})(?P<m>\d\d)(?P<d>\d\d)T?(?P<H>\d\d)(?P<M>\d\d)(?P<S>\d\d)"
                r"(?:[.,](?P<frac>\d{1,9}))?" + _TZ), "y"),
    # 081109 203615 (yymmdd hhmmss)
    (re.compile(r"(?P<y>\d\d)(?P<m>\d\d)(?P<d>\d\d)[ -]?(?P<H>\d\d)(?P<M>\d\d)(?P<S>\d\d)"), "yy"),
    # 17/06/09 20:10:40 (yy/mm/dd, the log4j default)
    (re.compile(r"(?P<y>\d\d)/(?P<m>\d\d)/(?P<d>\d\d)[ -]+" + _HMS + _TZ), "yy"),
    # 12/31/2024 10:00:00 (US order; day first when the first number is above 12)
    (re.compile(r"(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})(?:[ :T-]+" + _HMS + r")?" + _TZ), "mdY"),
    # Sun Dec 04 04:47:44 2005 (ctime, Apache)
    (re.compile(_DOW + "?" + _MON + r"\s+(?P<d>\d{1,2})\s+" + _HMS + _TZ + r"\s+(?P<y>\d{4})"), "y"),
    # Jun 14 15:16:01 / Jun 14 2024 15:16:01 (syslog)
    (re.compile(_DOW + "?" + _MON + r"\s+(?P<d>\d{1,2}),?(?:\s+(?P<y>\d{4}))?\s+" + _HMS + _TZ), "opt"),
    # 04 Dec 2005 04:47:44 (RFC 2822) and 10/Oct/2000:13:55:36 -0700 (common log format)
    (re.compile(_DOW + r"?(?P<d>\d{1,2})[ /-]" + _MON + r"[ /-](?P<y>\d{4})[ :]+" + _HMS + _TZ), "y"),
]
_EPOCH = re.compile(r"(?P<int>\d{9,19})(?:\.(?P<frac>\d{1,9}))?")

# field names (lower case) that name a whole timestamp, most telling first
_STAMP_NAMES = ("timestamp", "@timestamp", "datetime", "date_time", "time", "ts", "t", "asctime",
                "logtime", "log_time", "eventtime", "event_time", "time_local", "created", "date")
_EPOCH_NAMES = frozenset(("timestamp", "@timestamp", "ts", "time", "epoch", "created", "unixtime",
                          "unix_time", "t", "datetime", "logtime", "log_time", "eventtime", "event_time"))
_SHAPE = str.maketrans("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
                       "9999999999" + "a" * 52)
_CACHE_MAX = 4096
_plans: dict[frozenset[str], list[tuple[tuple[str, ...], bool]]] = {}
_shapes: dict[str, int] = {}  # text shape -> index into _NOTATIONS, -1 none, -2 epoch


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


def _build(m: re.Match[str], year_mode: str) -> datetime | None:
    g = m.groupdict()
    if year_mode == "mdY":
        a, b = int(g["a"]), int(g["b"])
        month, day = (b, a) if a > 12 else (a, b)
    else:
        mon = g.get("mon")
        if mon is not None:
            month = _MONTHS.get(mon.lower(), 0)
            if not month:
                return None
        else:
            month = int(g["m"])
        day = int(g["d"])
    hour = int(g["H"]) if g.get("H") else 0
    minute = int(g["M"]) if g.get("M") else 0
    second = int(g["S"]) if g.get("S") else 0
    frac = g.get("frac")
    micro = int((frac + "000000")[:6]) if frac else 0
    tz = _tzinfo(g.get("tz"))
    y = g.get("y")
    try:
        if year_mode == "yy":
            year = 2000 + int(y) if y is not None else 0
        elif year_mode == "opt" and y is None:
            now = datetime.now(tz)
            stamp = datetime(now.year, month, day, hour, minute, second, micro, tzinfo=tz)
            if stamp - now > timedelta(days=1):
                stamp = stamp.replace(year=now.year - 1)
            return stamp
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


def parse_timestamp_text(text: str, *, allow_epoch: bool = False) -> datetime | None:
    """Parse one timestamp string in any known notation; ``None`` when it is not one (never raises).

    The notation that fits a string's shape (digits and letters masked) is remembered, so a log of one
    notation costs one regex match per line.
    """
    text = text.strip()
    if not text or len(text) > 64:
        return None
    shape = text.translate(_SHAPE)
    idx = _shapes.get(shape)
    if idx is not None:
        if idx == -1:
            return None
        if idx == -2:
            return _epoch(text) if allow_epoch else None
        m = _NOTATIONS[idx][0].fullmatch(text)
        return _build(m, _NOTATIONS[idx][1]) if m is not None else None
    if len(_shapes) >= _CACHE_MAX:
        _shapes.clear()
    for i, (rx, mode) in enumerate(_NOTATIONS):
        m = rx.fullmatch(text)
        if m is not None:
            stamp = _build(m, mode)
            if stamp is not None:
                _shapes[shape] = i
                return stamp
    if _EPOCH.fullmatch(text):
        _shapes[shape] = -2
        return _epoch(text) if allow_epoch else None
    _shapes[shape] = -1
    return None


def _plan(keys: frozenset[str]) -> list[tuple[tuple[str, ...], bool]]:
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


def parse_timestamp(fields: Mapping[str, str]) -> datetime | None:
    """The timestamp of a line from its header fields, or ``None`` when unsure (never raises).

    Understands ISO-8601 (``T`` or space, ``,``/``.`` fractions, ``Z``/offsets), ``081109 203615``,
    ``17/06/09 20:10:40``, syslog ``Jun 14 15:16:01`` (current year assumed), ctime ``Sun Dec 04
    04:47:44 2005``, ``2005-06-03-15.42.50.675872``, ``20171223-22:15:29:606``, the common log format,
    and epoch seconds/millis/micros/nanos in a field named like a timestamp (``ts``, ``timestamp``...,
    returned in UTC). Fields are combined as Month+Day+Time, Date+Time, then single fields.

    Parameters
    ----------
    fields
        Header fields of one line (``Content`` is ignored).

    Returns
    -------
    datetime or None
        Aware when the text has an offset (or is an epoch), naive otherwise.
    """
    if not fields:
        return None
    try:
        keys = frozenset(fields)
        plan = _plans.get(keys)
        if plan is None:
            if len(_plans) >= _CACHE_MAX:
                _plans.clear()
            plan = _plans[keys] = _plan(keys)
        for names, allow_epoch in plan:
            text = fields[names[0]] if len(names) == 1 else " ".join(fields[n] for n in names)
            if not isinstance(text, str):
                text = str(text)
            stamp = parse_timestamp_text(text, allow_epoch=allow_epoch)
            if stamp is not None:
                return stamp
    except Exception:  # a timestamp is optional: never let it fail a parse
        return None
    return None

