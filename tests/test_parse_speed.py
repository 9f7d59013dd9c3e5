"""The speed shortcuts of ``logkit parse`` build what the plain code builds (records, objects, JSON text)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from logkit.output import _json_line_encoder
from logkit.parse.api import Parser, Source, record_json, to_record
from logkit.parse.fastrec import new_log_record, new_param, new_parsed_line, new_raw_line
from logkit.records import LogRecord, Param, ParsedLine, RawLine, VarType


def test_fast_constructors_build_equal_objects() -> None:
    raw = new_raw_line("a.log", 3, b"x \xff", 1)
    plain = RawLine("a.log", 3, b"x \xff")
    assert raw == plain and type(raw) is RawLine and hash(raw) == hash(plain)
    rec = new_log_record(raw, {"Level": "INFO"}, "x", datetime(2024, 1, 2), 5)
    assert rec == LogRecord(raw, {"Level": "INFO"}, "x", datetime(2024, 1, 2), 5)
    par = new_param("42", VarType.OBA, 1, 3)
    assert par == Param("42", VarType.OBA, 1, 3)
    line = new_parsed_line(rec, "t1", "x <*>", (par,))
    assert line == ParsedLine(rec, "t1", "x <*>", (par,))
    assert repr(line) == repr(ParsedLine(rec, "t1", "x <*>", (par,)))
    from logkit.parse.miner import Match, _new_match

    assert _new_match("x <*>", (par,)) == Match("x <*>", (par,))


def test_record_json_with_repeated_contents_and_odd_field_names(tmp_path: Path) -> None:
    encode = _json_line_encoder()
    log = tmp_path / "a.log"
    lines = []
    for i in range(60):  # the same contents again (their params' text is remembered), new ones too
        lines.append(f"2024-05-01 10:00:{i % 60:02d} INFO [svc] user u{i % 4} \"q\" took {i % 3} ms")
        lines.append(f"2024-05-01 10:00:{i % 60:02d} WARN [svc] plain line")
        lines.append(f'{{"msg": "job {i % 5} done", "a%s": "%d", "b\\"%%": {i}, "ok": true, '
                     '"q": "a\\"b\\\\c\\u0001 %s"}')
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for spec in ("auto", "<Date> <Time> <Level> \\[<Component>\\] <Content>", "json", "none"):
        out = list(Parser(format=spec).parse(Source.paths([str(log)])))
        assert len(out) == len(lines)
        for p in out:
            assert record_json(p) == encode(to_record(p))
        # a second pass over the same records hits the remembered texts
        assert [record_json(p) for p in out] == [encode(to_record(p)) for p in out]


def test_words_that_differ_in_digits_mask_alike() -> None:
    import random

    from logkit.parse import masking

    rng = random.Random(11)
    alphabet = "0123456789" * 4 + "abcdefxXABCF._-:/=[](),$%+v\u00e9\u0663"
    words = {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14))) for _ in range(6000)}
    words |= {"10.0.0.1:8080", "0x1f", "2024-01-02T10:00:00Z", "HTTP/1.1", "blk_-123", "v1.2.3", "12:03:04.5",
              "Main.java:42", "aa:bb:cc:dd:ee:ff", "/var/log/x1.log", "id=42", "f00dbeef1", "AB12CD34", "1e10"}
    masker = masking.Masker()  # nothing remembered yet
    for w in sorted(words):
        assert masker.mask_word(w) == masking.mask_word(w), w
    assert len(masker._shapes) < len(words)


def test_cluster_prefilter_changes_no_template(monkeypatch: pytest.MonkeyPatch) -> None:
    import random

    from logkit.parse import miner

    rng = random.Random(4)
    verbs = ["opened", "closed", "failed", "started", "stopped", "reset", "moved"]
    nouns = ["session", "connection", "job", "file", "port", "disk", "user"]
    events = [[rng.choice(nouns if k % 2 else verbs) for k in range(rng.randint(4, 9))] for _ in range(40)]
    lines = []
    for _ in range(1500):  # events of the same lengths; some words vary (they merge), some lines are new
        words = list(rng.choice(events))
        if rng.random() < 0.5:
            words[rng.randrange(len(words))] = f"id={rng.randint(0, 99)}"
        if rng.random() < 0.3:
            words[rng.randrange(len(words))] = rng.choice(nouns + verbs)
        if rng.random() < 0.3:  # id-like words (letters and digits, not masked) differ without counting
            words[rng.randrange(len(words))] = f"web{rng.randint(10, 99)}"
        lines.append(" ".join(words))
        if rng.random() < 0.2:  # short messages around an id: one shared word is enough to join
            lines.append(f"{rng.choice(verbs)} web{rng.randint(10, 99)}")

    def mine() -> tuple[dict[str, Any], list[Any]]:
        m = miner.TemplateMiner()
        for text in lines:
            m.learn(text)
        return m.to_dict(), [m.match(t) for t in lines]

    fast = mine()
    monkeypatch.setattr(miner, "_could_join", lambda *a: True)  # every cluster compared word by word
    assert mine() == fast
    assert len(fast[0]["clusters"]) > 20


def test_timestamp_reader_same_day_path_agrees() -> None:
    from logkit.parse.timestamps import Clock, parse_timestamp

    clocks = [f"{h:02d}:{m:02d}:{s:02d}" for h in (0, 9, 23, 24) for m in (0, 7, 59, 60) for s in (0, 31, 59, 60)]
    clocks += ["1:02:03", "12:3:04", "\u0661\u0662:00:00", "12:00:00.5", "12-00-00", "120000", "12:00:00Z"]
    rows = [{"Month": mo, "Day": d, "Time": c} for mo, d in (("Mar", "3"), ("Mar", "4"), ("Dec", "31")) for c in clocks]
    rows += [{"Date": "2024-03-03", "Time": c} for c in clocks]
    for when in (datetime(2020, 6, 1), None):
        readers: dict[tuple[str, ...], Any] = {}
        clock = Clock(when)
        for fields in rows + rows[::-1]:
            read = readers.setdefault(tuple(fields), clock.reader(tuple(fields)))
            assert read(fields) == parse_timestamp(fields, clock=Clock(when)), fields


def test_remembered_matches_equal_fresh_ones_when_slot_types_vary(monkeypatch: pytest.MonkeyPatch) -> None:
    from logkit.parse import miner

    values = ["42", "/var/tmp/a.log", "10.0.0.7", "true", "12ms", "blk_-17", "0x1f", "3 KB", "alice"]
    lines = [f"request {i % 3} sent to {values[i % len(values)]} with code {i % 4}" for i in range(200)]
    lines += [f"worker {values[i % 5]} done" for i in range(50)]

    def run() -> list[Any]:
        m = miner.TemplateMiner()
        for text in lines:
            m.learn(text)
        out = [m.match(text) for text in lines + lines]
        return [(x.template, [(p.value, p.type, p.start, p.end) for p in x.params]) for x in out]

    remembered = run()
    monkeypatch.setattr(miner, "MAX_SEEN_CHARS", -1)  # nothing remembered: every line computed afresh
    fresh = run()
    assert remembered == fresh
    assert len({t for row in remembered for _, t, _, _ in row[1]}) >= 4  # the slots' types do vary


def test_classify_memo_gives_the_computed_type() -> None:
    from logkit.parse import vartypes

    contents = ["connect to port 8080 from 10.0.0.1:22 took 12 ms", "  user  alice  logged in (uid=0) ",
                "x" * 60 + " status 404 size 1024 " + "y" * 60, "error 13 (Permission denied) on /var/x",
                "job_17 finished: 3 of 4 tasks, 2.5 GB read", "a=1 b=true c=/tmp d=0x1f",
                "q" * 20 + "x" * 50 + " status 404 size 1024 " + "y" * 60]  # the same windows as the third
    typer = vartypes.Typer()
    for content in contents + contents:  # the second round answers from the memo
        for start in range(len(content)):
            for end in range(start + 1, min(len(content), start + 12) + 1):
                assert typer.classify(content, start, end) == vartypes.classify(content, start, end)
    assert typer._known
