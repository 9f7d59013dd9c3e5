"""Timestamps from header fields in the common notations."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from logkit.parse.timestamps import parse_timestamp, parse_timestamp_text

UTC = timezone.utc


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"Date": "2015-10-18", "Time": "18:01:47,978"}, datetime(2015, 10, 18, 18, 1, 47, 978000)),
        ({"Timestamp": "2024-01-01T10:00:00Z"}, datetime(2024, 1, 1, 10, tzinfo=UTC)),
        ({"Timestamp": "2024-01-01 10:00:00.5+02:00"},
         datetime(2024, 1, 1, 10, 0, 0, 500000, tzinfo=timezone(timedelta(hours=2)))),
        ({"time": "2024-01-01T10:00:00.123456789-0530"},
         datetime(2024, 1, 1, 10, 0, 0, 123456, tzinfo=timezone(-timedelta(hours=5, minutes=30)))),
        ({"Date": "081109", "Time": "203615", "Pid": "148"}, datetime(2008, 11, 9, 20, 36, 15)),
        ({"Date": "17/06/09", "Time": "20:10:40"}, datetime(2017, 6, 9, 20, 10, 40)),
        ({"Time": "Sun Dec 04 04:47:44 2005", "Level": "notice"}, datetime(2005, 12, 4, 4, 47, 44)),
        ({"Label": "-", "Timestamp": "1117838570", "Date": "2005.06.03",
          "Time": "2005-06-03-15.42.50.675872"},
         datetime(2005, 6, 3, 15, 42, 50, 675872)),
        ({"Time": "20171223-22:15:29:606"}, datetime(2017, 12, 23, 22, 15, 29, 606000)),
        ({"Time": "20171223-22:16:0:119"}, datetime(2017, 12, 23, 22, 16, 0, 119000)),
        ({"ts": "1700000000"}, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        ({"timestamp": "1700000000123"}, datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)),
        ({"ts": "1700000000.25"}, datetime(2023, 11, 14, 22, 13, 20, 250000, tzinfo=UTC)),
        ({"@timestamp": "2024-03-05T07:08:09.000Z"}, datetime(2024, 3, 5, 7, 8, 9, tzinfo=UTC)),
        ({"time": "10/Oct/2000:13:55:36 -0700"},
         datetime(2000, 10, 10, 13, 55, 36, tzinfo=timezone(-timedelta(hours=7)))),
        ({"Month": "Jun", "Day": "14", "Year": "2024", "Time": "15:16:01"}, datetime(2024, 6, 14, 15, 16, 1)),
    ],
)
def test_notations(fields, expected) -> None:
    assert parse_timestamp(fields) == expected
    assert parse_timestamp(fields) == expected  # second call goes through the caches


def test_syslog_without_year_assumes_current_year() -> None:
    got = parse_timestamp({"Month": "Jun", "Date": "14", "Time": "15:16:01", "Level": "combo"})
    assert got is not None and (got.month, got.day, got.hour) == (6, 14, 15)
    now = datetime.now()
    assert got.year in (now.year, now.year - 1)
    assert got - now <= timedelta(days=1)  # never more than a day in the future


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"Level": "INFO", "Component": "x"},
        {"Time": "15:16:01"},  # a time without a date: unsure
        {"Pid": "1700000000"},  # epoch only in a field named like a timestamp
        {"Timestamp": "2024-13-45 10:00:00"},
        {"Timestamp": "not a time"},
        {"Timestamp": "9" * 200},
        {"ts": "12"},
        {"Date": None, "Time": object()},  # type: ignore[dict-item]
    ],
)
def test_unsure_gives_none(fields) -> None:
    assert parse_timestamp(fields) is None


def test_text_parser_and_epoch_switch() -> None:
    assert parse_timestamp_text("1700000000") is None
    assert parse_timestamp_text("1700000000", allow_epoch=True) is not None
    assert parse_timestamp_text("Dec  4 04:47:44") is not None
    assert parse_timestamp_text("2024/01/31 23:59:59") == datetime(2024, 1, 31, 23, 59, 59)


def test_fast_enough() -> None:
    import time

    fields = {"Date": "2015-10-18", "Time": "18:01:47,978", "Level": "INFO"}
    parse_timestamp(fields)
    t0 = time.perf_counter()
    for i in range(20000):
        parse_timestamp({"Date": "2015-10-18", "Time": f"18:01:{i % 60:02d},978", "Level": "INFO"})
    per_line = (time.perf_counter() - t0) / 20000
    assert per_line < 50e-6, per_line


def test_a_new_reference_time_forgets_year_less_dates_read_before() -> None:
    """Workers parse many files in one process: a date read against one file's mtime must not be reused for
    another file written in another year (neither from the shared cache nor from a reader's memory)."""
    from logkit.parse.timestamps import Clock

    fields = {"Month": "Mar", "Day": "1", "Time": "01:11:01"}
    clock = Clock()
    read = clock.reader(tuple(fields))
    years = []
    for year in (2019, 2021, 2019):
        clock.reference = datetime(year, 6, 1)
        years.append((read(fields).year, parse_timestamp(fields, clock=clock).year,  # type: ignore[union-attr]
                      parse_timestamp_text("Mar 1 01:11:02", clock=clock).year))  # type: ignore[union-attr]
    assert years == [(2019, 2019, 2019), (2021, 2021, 2021), (2019, 2019, 2019)]


def test_two_parsers_interleaved_keep_their_own_reference_year(tmp_path: Path) -> None:
    """Year-less dates take the year their file was written; two parsers read in turn (as a batch worker's
    threads do) must not lend each other their reference time."""
    import itertools
    import os

    from logkit.parse import Parser, Source

    logs = {}
    for year in (2005, 2020):
        path = tmp_path / f"y{year}.log"
        path.write_text("".join(f"Mar  {d} 0{d}:00:00 host app[1]: step {d} done\n" for d in range(1, 7)))
        when = datetime(year, 6, 1).timestamp()
        os.utime(path, (when, when))
        logs[year] = Parser().parse(Source.paths(str(path)))
    years: dict[int, list[int]] = {2005: [], 2020: []}
    for a, b in itertools.zip_longest(logs[2005], logs[2020]):  # one line of each in turn
        years[2005].append(a.record.timestamp.year)
        years[2020].append(b.record.timestamp.year)
    assert years == {2005: [2005] * 6, 2020: [2020] * 6}


def test_notations_are_tried_only_where_their_first_character_allows() -> None:
    """Each notation is compiled when a text it may match is first met, chosen by the text's first
    character; the choice must never skip a notation that would match. Texts built from every notation's
    pieces (weekday or not, month name or number) are read alike by the choice and by trying them all."""
    import itertools
    import re

    from logkit.parse import timestamps as ts

    days = ["", "Sun ", "Sunday, "]
    dates = ["2024-01-31", "2005.06.03", "20171223", "081109", "17/06/09", "12/31/2024", "31/12/2024",
             "Dec 04", "Jun 14 2024", "04 Dec 2005", "10/Oct/2000", "2005-06-03-15.42.50"]
    times = ["", " 10:00:00", "T10:00:00Z", "-22:15:29:606", " 203615", ":13:55:36 -0700", " 04:47:44 2005",
             "T100000Z", ".675872"]
    texts = [d + a + b for d, a, b in itertools.product(days, dates, times)]
    checked = 0
    for text in texts:
        matching = [i for i, (pattern, _, _) in enumerate(ts._NOTATION_TEXT) if re.fullmatch(pattern, text)]
        allowed = ts._LETTER_FIRST if text[0].isalpha() else ts._DIGIT_FIRST
        assert set(matching) <= set(allowed), text
        checked += bool(matching)
        clock = ts.Clock()  # nothing remembered
        by_choice = clock._parse_text(text, False)
        first = next((s for i in matching if (s := ts._build(re.fullmatch(ts._notation(i), text), i, clock.now))),
                     None)
        assert by_choice == first, text
    assert checked >= 40  # most of the built texts are timestamps in some notation
