"""The report's streaming aggregation: adaptive buckets, templates, flags, filters, anomalies kept, excerpts."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from logkit.report.aggregate import MAX_DETAILED, Aggregate, Axis, Series, level_name, to_seconds
from logkit.report.api import EXCERPT_LINES, Excerpts, parse_bound

T0 = datetime(2024, 3, 11, 8, 0, 0)


def _feed(agg: Aggregate, rows: list[tuple[int, datetime | None, str]], level: str | None = "INFO") -> None:
    inp = agg.start_input("x.log", "log")
    for n, when, tid in rows:
        agg.add_line(inp, n, when, level, tid, f"template {tid} <*>", ["OID"], f"line {n} of {tid}")


def test_axis_widens_and_keeps_every_count_exact() -> None:
    axis = Axis(1.0, max_buckets=50)
    series = Series(axis)
    values = list(range(10_000))
    random.Random(1).shuffle(values)  # order does not matter
    for v in values:
        series.add(axis.index(v))
    dense = series.dense()
    assert len(dense) <= 50
    assert sum(dense) == 10_000
    w = axis.width
    assert w == 256  # 1 doubled until 10,000 values fit in 50 buckets
    for i, c in enumerate(dense):  # each bucket holds exactly the values of its range
        lo = axis.start(axis.lo + i)
        assert c == sum(1 for v in range(10_000) if lo <= v < lo + w)


def test_peak_series_merges_by_maximum() -> None:
    axis = Axis(1.0, max_buckets=4)
    peak = Series(axis, peak=True)
    for x, score in [(0, 0.2), (1, 0.9), (2, 0.1), (3, 0.3)]:
        peak.high(axis.index(x), score)
    peak.high(axis.index(7), 0.5)  # widens to buckets of 2
    assert peak.dense() == [0.9, 0.3, 0.0, 0.5]


def test_templates_counts_times_and_flags() -> None:
    agg = Aggregate()
    rows = [(i + 1, T0 + timedelta(seconds=i), "tcommon") for i in range(1000)]
    rows.append((1001, T0 + timedelta(seconds=995), "tlate"))  # first seen in the last tenth of the span
    rows.append((1002, T0 + timedelta(seconds=10), "tearly"))
    _feed(agg, rows)
    common, late, early = agg.templates["tcommon"], agg.templates["tlate"], agg.templates["tearly"]
    assert (common.count, late.count, early.count) == (1000, 1, 1)
    assert common.first_x == to_seconds(T0) and common.last_x == to_seconds(T0 + timedelta(seconds=999))
    assert agg.by_time
    assert agg.is_new(late) and not agg.is_new(early) and not agg.is_new(common)
    assert agg.is_rare(late) and agg.is_rare(early) and not agg.is_rare(common)
    assert common.type_text() == "OID" and common.example == "line 1 of tcommon"
    assert sum(agg.levels_time["INFO"].dense()) == 1002
    assert sum(common.by_time.dense()) == 1000  # type: ignore[union-attr]


def test_lines_without_timestamps_use_the_line_axis() -> None:
    agg = Aggregate()
    _feed(agg, [(i, None, "ta" if i <= 90 else "tb") for i in range(1, 101)], level=None)
    assert not agg.by_time
    assert agg.is_new(agg.templates["tb"]) and not agg.is_new(agg.templates["ta"])
    assert sum(agg.templates["ta"].by_line.dense()) == 90  # type: ignore[union-attr]
    assert agg.leveled == 0 and sum(agg.levels_line["-"].dense()) == 100


def test_a_line_without_time_joins_the_one_before_it_and_bounds_filter() -> None:
    agg = Aggregate(since=to_seconds(T0 + timedelta(seconds=10)), until=to_seconds(T0 + timedelta(seconds=20)))
    rows: list[tuple[int, datetime | None, str]] = []
    for i in range(30):
        rows.append((2 * i + 1, T0 + timedelta(seconds=i), "tstamped"))
        rows.append((2 * i + 2, None, "tcontinued"))  # e.g. a stack trace line
    _feed(agg, rows)
    assert agg.templates["tstamped"].count == 11  # seconds 10..20
    assert agg.templates["tcontinued"].count == 11  # each follows its stamped line in or out
    assert agg.skipped == 60 - 22 and agg.read == 60
    assert agg.stamped == 11


def test_parse_bound_iso_and_duration() -> None:
    now = datetime(2024, 3, 11, 12, 0, 0)
    assert parse_bound("2024-03-11T10:00:00", "--since") == to_seconds(datetime(2024, 3, 11, 10))
    assert parse_bound("2h", "--since", now=now) == to_seconds(datetime(2024, 3, 11, 10))
    assert parse_bound(None, "--until") is None


def test_level_names() -> None:
    assert level_name("warning", 13) == "WARN" and level_name("E", 17) == "ERROR"
    assert level_name("[notice]", None) == "NOTICE" and level_name(None, None) is None


def _rec(i: int, score: float, anomaly: bool, group: str | None = None) -> dict[str, object]:
    return {"group": group or f"w{i}", "first_line": 10 * i + 1, "last_line": 10 * i + 10, "lines": 10,
            "start": (T0 + timedelta(minutes=i)).isoformat(), "end": (T0 + timedelta(minutes=i, seconds=9)).isoformat(),
            "score": score, "threshold": 0.5, "anomaly": anomaly, "uncertainty": 0.1, "routed": False,
            "decided_by": "model", "method": "router", "reason": "template t0123456789 never seen" if anomaly else None}


def test_scores_keep_the_highest_anomalies_and_count_all() -> None:
    agg = Aggregate()
    inp = agg.start_input("x.log", "log")
    n = MAX_DETAILED + 50
    for i in range(n):
        agg.add_score(inp, _rec(i, 0.5 + 0.4 * (i % 7) / 7, True), line_offset=100)
    for i in range(n, n + 20):
        agg.add_score(inp, _rec(i, 0.1, False))
    assert agg.scored == n + 20 and agg.anomalies == n and inp.anomalies == n
    kept = agg.anomaly_records()
    assert len(kept) == MAX_DETAILED
    lowest_kept = min(float(r["score"]) for r in kept)  # type: ignore[arg-type]
    assert all(0.5 + 0.4 * (i % 7) / 7 <= lowest_kept + 1e-9 for i in range(n)
               if not any(r["first_line"] == 10 * i + 1 for r in kept)), "a higher score was dropped"
    assert [r["_x_time"] for r in kept] == sorted(r["_x_time"] for r in kept)
    assert kept[0]["_x_line"] == kept[0]["first_line"] + 100
    assert sum(agg.marks[0].dense()) == n


def test_excerpts_windows_take_their_first_lines_sessions_their_own() -> None:
    window = _rec(0, 0.9, True)  # lines 1-10
    window["last_line"] = 40
    session = _rec(1, 0.9, True, group="req_7")  # lines 11-20
    ex = Excerpts([window, session], pattern=r"req_\d+")
    for n in range(1, 41):
        content = f"step {n} for req_{7 if n % 2 else 8}"
        ex.see(n, content, content.encode())
    assert [n for n, _ in window["_lines"]] == list(range(1, EXCERPT_LINES + 1))  # type: ignore[attr-defined]
    assert [n for n, _ in session["_lines"]] == [11, 13, 15, 17, 19]  # type: ignore[attr-defined]
    assert session["_lines"][0][1] == "step 11 for req_7"  # type: ignore[index]
    assert ex.idle
