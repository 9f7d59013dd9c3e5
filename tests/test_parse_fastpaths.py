"""The parse hot-path shortcuts give exactly what the plain code gives (timestamps, records, JSON)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from logkit.output import _json_line_encoder
from logkit.parse.formats import compile_format
from logkit.parse.timestamps import Clock, parse_timestamp
from logkit.records import RawLine


def test_timestamp_reader_agrees_with_parse_timestamp() -> None:
    rows = [
        {"Month": m, "Day": d, "Time": t}
        for m, d in (("Jun", "14"), ("Jun", "14"), ("Feb", "30"), ("Dec", "31"), ("Jan", "1"))
        for t in ("15:16:01", "15:16:02", "15:16:02", "5:16:03", "24:00:00", "23:59:60", "00:00:00", "x1:00:00")
    ]
    rows += [
        {"Date": "2024-01-01", "Time": t}
        for t in ("10:00:00", "10:00:01", "10:00:01.5", "10:00:02+01:00", "10:00:03Z", "10:00:04", "1:00:00")
    ]
    rows += [{"Date": "2024-02-30", "Time": "10:00:00"}, {"Date": "2024-02-29", "Time": "10:00:00"}]
    rows += [
        {"Timestamp": t}
        for t in ("Sun Dec 04 04:47:44 2005", "Sun Dec 04 04:47:45 2005", "Sun Dec 04 24:47:45 2005",
                  "Sun Dec 04 04:47:46 2006", "Sun Dec 04 04:47:46.5 2005", "20171223-22:15:29:606",
                  "20171223-22:15:30:606", "2024-01-01T10:00:00+02:00", "2024-01-01T10:00:01+02:00",
                  "04 Dec 2005 04:47:44", "04 Dec 2005 04:47:59", "04 Dec 2005 4:47:59")
    ]
    readers: dict[tuple[str, ...], Any] = {}
    for fields in rows:
        keys = tuple(fields)
        read = readers.setdefault(keys, Clock().reader(keys))
        assert read(fields) == parse_timestamp(fields), fields


def test_header_split_matches_groupdict() -> None:
    fmt = compile_format(r"(<<Pri:\d+>>)?<Month> <Day> <Time> <Host> <Component>(\[<Pid:\d+>\])?: <Content>")
    for line in (b"Jun 14 15:16:01 combo sshd[19939]: a b c\r", b"<3>Jun 14 15:16:01 combo su: x=1", b"junk"):
        rec = fmt.split(RawLine("f", 1, line))
        text = line.decode().rstrip("\r")
        m = fmt.regex.match(text)  # type: ignore[attr-defined]
        if m is None:
            assert rec.fields == {} and rec.content == text
            continue
        want = {k: v or "" for k, v in m.groupdict().items() if k != "Content"}
        assert dict(rec.fields) == want
        assert list(rec.fields) == list(want)
        assert rec.content == m.group("Content")
        assert rec.content_start == m.start("Content")


def test_json_line_encoder_is_the_plain_encoder() -> None:
    enc = _json_line_encoder()
    plain = json.JSONEncoder(ensure_ascii=False).encode
    rec: Any
    for rec in ({"a": 1.5, "b": None, "c": [{"x": "é\udc80\n\""}], "d": True, "e": {}, "f": 10**20}, [1, "x"]):
        assert enc(rec) == plain(rec)


def _lines() -> list[str]:
    base = [
        "session opened for user root by (uid=0)",
        "session closed for user root",
        "connection from 10.0.0.1 port 22",
        "connection from 10.0.0.2 port 22",
        "job 17 finished in 12ms status OK",
        "job 18 finished in 3ms status FAILED",
        "user alice logged in",
        "user bob logged in",
        "session opened for user bob by (uid=1000)",
    ]
    out = []
    for i in range(60):  # the same contents again and again while the templates still change
        out.append(base[(i * 7) % len(base)])
        out.append(f"worker {i % 5} took {i}.5 seconds")
    return out


def test_repeated_contents_give_what_the_uncached_miner_gives() -> None:
    from logkit.parse.miner import TemplateMiner

    lines = _lines()
    cached = TemplateMiner()
    plain = TemplateMiner()
    for line in lines:  # one pass, learning (streams)
        a = cached.add(line)
        plain._seen.clear()
        plain._done.clear()
        assert a == plain.add(line)
    for line in lines:  # learn, then match (files)
        cached.learn(line)
        plain._seen.clear()
        plain.learn(line)
    for line in lines:
        a = cached.match(line)
        plain._done.clear()
        assert a == plain.match(line)
    assert cached.templates() == plain.templates()


_SPACED_PIECES = ["Jun 14 15:16:01", "Sun Dec 04 04:47:44 2005", "2024-01-01 10:00:00", "10:00:0", "1:22:3",
                  "GET /a/b?c=1 HTTP/1.1", "POST /x HTTP/2", " EST/1", " UTC", " HTTP/", "/", ":", " AB/9", "x",
                  " ", "9", "Mon,", "2005", "Sat, Jun 18, 2005 02:08:10 EST 2005", "x2005-06-18 03:00:00",
                  ".2005-06-18 03:00:00Z", "\u0662\u0660\u0660\u0665-06-18 0\u0663:00:00", "Jun  18 02:08:10:",
                  "2005-06-18 3:00:00+02:00", "\u0663:\u0664\u0665:\u0666", "a:12:34:56", "Thu", "Nov 3"]


@given(st.lists(st.sampled_from(_SPACED_PIECES), max_size=8).map(" ".join))
@settings(max_examples=600, deadline=None)
def test_fill_dates_agrees_with_the_plain_patterns(text: str) -> None:
    # the plain form: one search for either kind of spaced variable, then each substitution tried, with the
    # date and clock patterns written as they read (fill_dates uses forms that search faster)
    import re

    from logkit.parse import masking

    day, mon, hms = masking._DAY, masking._MON, masking._HMS
    date_re = re.compile(
        rf"(?<![\w])(?:{day},?\s+)?{mon}\s+\d{{1,2}}(?:,?\s+\d{{4}})?\s+{hms}(?:\s+[A-Z]{{3,4}})?"
        rf"(?:\s+\d{{4}})?(?![\w:])"
        rf"|(?<![\w.])\d{{4}}-\d\d-\d\d\s+{hms}(?:Z|\s?[+-]\d\d:?\d\d)?(?![\w:])"
    )
    either = re.compile(r"\d:\d\d:\d| [A-Z]{2,}/\d").search
    plain = text
    if either(text) is not None:
        if re.search(r"\d:\d\d:\d", plain):
            plain = date_re.sub(masking._fill, plain)
        if "/" in plain:
            plain = masking._REQUEST_RE.sub(masking._fill_request, plain)
    assert masking.fill_dates(text) == plain
