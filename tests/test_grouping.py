"""Grouping: sessions (several ids per line), count windows, time windows, idle close, JSONL = raw."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from logkit.detect.grouping import group_events, parse_duration, parse_grouping
from logkit.detect.reading import read_events
from logkit.errors import InputError, UsageError
from logkit.records import Event


def ev(line: int, text: str, ts: datetime | None = None) -> Event:
    return Event(line, "t1", "x <*>", text, ts)


def test_sessions_multi_ids_and_unmatched_lines() -> None:
    g = parse_grouping(r"blk_-?\d+", None)
    assert g is not None
    events = [ev(1, "open blk_1"), ev(2, "nothing here"), ev(3, "copy blk_1 to blk_-2"),
              ev(4, "close blk_-2")]
    groups = {x.key: x for x in group_events(events, g)}
    assert set(groups) == {"blk_1", "blk_-2"}
    assert (groups["blk_1"].first_line, groups["blk_1"].last_line, groups["blk_1"].lines) == (1, 3, 2)
    assert (groups["blk_-2"].first_line, groups["blk_-2"].last_line, groups["blk_-2"].lines) == (3, 4, 2)


def test_count_windows() -> None:
    g = parse_grouping(None, "3")
    out = list(group_events([ev(i, f"l{i}") for i in range(1, 8)], g))  # type: ignore[arg-type]
    assert [(w.key, w.first_line, w.last_line, w.lines) for w in out] == [
        ("w1", 1, 3, 3), ("w2", 4, 6, 3), ("w3", 7, 7, 1)]


def test_time_windows_line_without_timestamp_joins_open_window() -> None:
    t0 = datetime(2024, 1, 1, 10, 0, 10)
    events = [ev(1, "a", t0), ev(2, "b", None), ev(3, "c", t0 + timedelta(minutes=4)),
              ev(4, "d", t0 + timedelta(minutes=6))]
    out = list(group_events(events, parse_grouping(None, "5m")))  # type: ignore[arg-type]
    assert [(w.key, w.lines) for w in out] == [("2024-01-01T10:00:00", 3), ("2024-01-01T10:05:00", 1)]


def test_time_windows_without_any_timestamp_are_one_error_line() -> None:
    g = parse_grouping(None, "5m")
    assert g is not None
    with pytest.raises(InputError, match="needs timestamps.*--window N"):
        list(group_events([ev(i, f"x {i}") for i in range(1, 4)], g))
    # an endless stream without timestamps is refused after NO_STAMP_LINES lines, not read for ever
    from logkit.detect import grouping

    def endless():  # type: ignore[no-untyped-def]
        i = 0
        while True:
            i += 1
            yield ev(i, f"x {i}")

    with pytest.raises(InputError, match=f"none of the {grouping.NO_STAMP_LINES} lines"):
        next(iter(group_events(endless(), g)))
    # one stamped line is enough: the others join the windows they follow
    t0 = datetime(2024, 1, 1, 10, 0, 0)
    out = list(group_events([ev(1, "a"), ev(2, "b", t0), ev(3, "c")], g))
    assert [x.lines for x in out] == [3]


def test_idle_closes_sessions_early() -> None:
    t0 = datetime(2024, 1, 1)
    events = [ev(1, "s1 id=a", t0), ev(2, "id=b", t0 + timedelta(seconds=100)),
              ev(3, "id=b", t0 + timedelta(seconds=500))]
    out = group_events(events, parse_grouping(r"id=(\w)", None), idle=300)  # type: ignore[arg-type]
    first = next(out)
    assert first.key == "a" and first.lines == 1


def test_bad_grouping_flags() -> None:
    with pytest.raises(UsageError):
        parse_grouping("x", "3")
    with pytest.raises(UsageError):
        parse_grouping("(", None)
    with pytest.raises(UsageError):
        parse_duration("5 parsecs")
    assert parse_duration("250ms") == 0.25 and parse_duration("1h") == 3600


def test_raw_and_parse_jsonl_give_same_groups(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from logkit.parse.api import Parser, Source, to_record

    lines = [f"2024-01-01 10:00:{i:02d} INFO svc: task blk_{i % 3} step {i}" for i in range(20)]
    raw = tmp_path / "a.log"
    raw.write_text("\n".join(lines) + "\n")
    recs = [to_record(p) for p in Parser().parse(Source.paths(str(raw)))]
    js = tmp_path / "a.jsonl"
    js.write_text("".join(json.dumps(r) + "\n" for r in recs))
    g = parse_grouping(r"blk_\d+", None)
    a = [(x.key, x.first_line, x.last_line, x.lines, [e.template_id for e in x.events])
         for x in group_events(read_events(str(raw)), g)]  # type: ignore[arg-type]
    b = [(x.key, x.first_line, x.last_line, x.lines, [e.template_id for e in x.events])
         for x in group_events(read_events(str(js)), g)]  # type: ignore[arg-type]
    assert a == b and len(a) == 3
