"""The parse library API: one record per line, exact rebuild, stable ids, state, --keep."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logkit.errors import FormatError, StateError, UsageError
from logkit.parse.api import Parser, Source, load_state, parse_lines, template_id, to_record
from logkit.records import RawLine, VarType, decode

HDFS_FORMAT = "<Date> <Time> <Pid> <Level> <Component>: <Content>"


def _check_exact(parsed) -> None:
    for p in parsed:
        assert p.rebuild() == p.record.content
        for q in p.params:
            assert p.record.content[q.start : q.end] == q.value
        assert p.template.count("<*>") >= len(p.params)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=80).map(lambda b: b.replace(b"\n", b" ")), max_size=25))
def test_any_bytes_one_record_per_line_and_exact_rebuild(lines: list[bytes]) -> None:
    parsed = parse_lines(lines, format="none")
    assert [p.record.raw.line_no for p in parsed] == list(range(1, len(lines) + 1))
    _check_exact(parsed)
    for p, raw in zip(parsed, lines, strict=True):
        text = decode(raw)
        assert p.record.content == (text[:-1] if text.endswith("\r") else text)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\n"), max_size=60), max_size=20))
def test_any_text_with_auto_format_rebuilds(lines: list[str]) -> None:
    parsed = parse_lines(lines)
    assert len(parsed) == len(lines)
    _check_exact(parsed)


def test_hard_lines_one_record_each(tmp_path) -> None:
    big = b"x=" + b"9" * (1 << 20)
    data = b"a b\r\nnul\x00byte here\n\n\xff\xfe bad utf8\n" + big + b"\nlast line no newline"
    path = tmp_path / "hard.log"
    path.write_bytes(data)
    parsed = list(Parser(format="none").parse(Source.paths(str(path))))
    assert [p.record.raw.line_no for p in parsed] == [1, 2, 3, 4, 5, 6]
    assert parsed[0].record.content == "a b" and parsed[0].record.raw.data == b"a b\r"
    assert parsed[2].template == "" and parsed[2].params == ()
    assert parsed[5].record.content == "last line no newline"
    _check_exact(parsed)
    rec = to_record(parsed[3])
    assert json.loads(json.dumps(rec))["line"] == 4


def test_template_ids_follow_text() -> None:
    assert template_id("a <*> b") == template_id("a <*> b")
    assert template_id("a <*> b") != template_id("a <*> c")
    lines = [f"connection from 10.0.0.{i} port {1000 + i} closed" for i in range(20)]
    parsed = parse_lines(lines, format="none")
    assert len({p.template_id for p in parsed}) == 1
    assert parsed[0].template_id == template_id(parsed[0].template)


def test_keep_stc_splits_templates_by_status() -> None:
    lines = [f"GET /index{i}.html returned status {s} in {i}ms" for i, s in enumerate([404, 500, 404, 200] * 5)]
    plain = {p.template for p in parse_lines(lines, format="none")}
    kept = parse_lines(lines, format="none", keep="STC")
    assert len(plain) == 1
    templates = {p.template for p in kept}
    assert len(templates) == 3
    assert any("404" in t for t in templates)
    for p in kept:
        assert all(q.type is not VarType.STC for q in p.params)


def test_keep_rejects_unknown_type() -> None:
    with pytest.raises(UsageError):
        Parser(keep="STATUS")


def test_state_resumes_with_same_ids(tmp_path) -> None:
    log1 = tmp_path / "a.log"
    log2 = tmp_path / "b.log"
    log1.write_text("".join(f"user u{i} logged in from 10.0.0.{i}\n" for i in range(10)))
    log2.write_text("".join(f"user w{i} logged in from 10.1.0.{i}\n" for i in range(5)))
    state = tmp_path / "state.json"
    p1 = Parser(format="none", state=state)
    ids1 = {p.template_id for p in p1.parse(Source.paths(str(log1)))}
    p1.save_state()
    data = json.loads(state.read_text())
    assert data["kind"] == "logkit-parse-state" and data["version"] == 1
    p2 = Parser(format="none", state=state)
    ids2 = {p.template_id for p in p2.parse(Source.paths(str(log2)))}
    assert ids1 == ids2
    p2.save_state()
    (info,) = load_state(state)
    assert info.count == 15


def test_bad_state_is_a_clear_error(tmp_path) -> None:
    bad = tmp_path / "s.json"
    bad.write_text('{"kind": "logkit-parse-state", "version": 99}')
    with pytest.raises(StateError, match="version"):
        Parser(state=bad)
    bad.write_text("not json")
    with pytest.raises(StateError):
        Parser(state=bad)


def test_wrong_format_that_matches_nothing_is_an_error(tmp_path) -> None:
    path = tmp_path / "x.log"
    path.write_text("hello world\nsecond line\n")
    with pytest.raises(FormatError, match="matches none"):
        list(Parser(format="<Date> <Time> [<Level>] <Content>").parse(Source.paths(str(path))))


def test_unmatched_lines_are_kept_and_counted(tmp_path) -> None:
    path = tmp_path / "x.log"
    path.write_text("081109 203615 148 INFO dfs.X: hello 1\nstack line\n081109 203616 148 INFO dfs.X: hello 2\n")
    parser = Parser(format=HDFS_FORMAT)
    parsed = list(parser.parse(Source.paths(str(path))))
    assert len(parsed) == 3
    assert parsed[1].record.fields == {} and parsed[1].record.content == "stack line"
    assert parser.stats.unmatched == 1


def test_stream_gives_one_record_per_line() -> None:
    parser = Parser(format="none")
    raws = [RawLine("-", i, f"job {i} finished in {i}s".encode()) for i in range(1, 8)]
    out = list(parser.parse(Source.lines(r.data for r in raws)))
    assert [p.record.raw.line_no for p in out] == list(range(1, 8))
    _check_exact(out)


def test_multiline_joins_stack_traces(tmp_path) -> None:
    path = tmp_path / "j.log"
    path.write_text(
        "2024-01-01 10:00:00,001 ERROR [main] com.x.Y: boom\n"
        "java.lang.RuntimeException: bad\n"
        "\tat com.x.Y.run(Y.java:10)\n"
        "2024-01-01 10:00:01,001 INFO [main] com.x.Y: ok\n"
    )
    spec = "<Date> <Time> <Level> \\[<Thread>\\] <Component>: <Content>"
    out = list(Parser(format=spec, multiline=True).parse(Source.paths(str(path))))
    assert len(out) == 2
    assert out[0].record.raw.n_lines == 3
    assert "RuntimeException" in out[0].record.content
    assert [p.record.raw.line_no for p in out] == [1, 4]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(max_size=60), min_size=1, max_size=8))
def test_record_json_is_the_generic_encoding(lines: list[str]) -> None:
    from logkit.output import _json_line_encoder
    from logkit.parse.api import record_json

    encode = _json_line_encoder()
    header = [f"2024-05-01 10:00:0{i % 10} INFO [svc] {t}" for i, t in enumerate(lines)]
    for text in lines + header + ['{"msg": "x \\u00e9", "level": 3, "ok": true}']:
        for p in Parser().parse(Source.lines(iter([text]), name="s\u00e9.log")):
            assert record_json(p) == encode(to_record(p))


def test_parse_cli_jsonl_fast_path_matches_records(tmp_path) -> None:
    from click.testing import CliRunner

    from logkit.cli import cli

    log = tmp_path / "a.log"
    log.write_bytes(b"2024-05-01T10:00:00Z ERROR disk \xff full on /dev/sda1\nplain caf\xc3\xa9 line 42\n")
    res = CliRunner().invoke(cli, ["parse", str(log), "--output-format", "jsonl"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    expected = [to_record(p) for p in Parser().parse(Source.paths([str(log)]))]
    assert rows == json.loads(json.dumps(expected, ensure_ascii=False))


def test_progress_reports_both_passes(tmp_path) -> None:
    log = tmp_path / "p.log"
    data = b"".join(b"2024-05-01 10:00:00 INFO job %d done in %d ms\n" % (i, i % 7) for i in range(20_000))
    log.write_bytes(data)
    seen: list[tuple[str, int]] = []
    parser = Parser(progress=lambda phase, done: seen.append((phase, done)))
    assert sum(1 for _ in parser.parse(Source.paths([str(log)]))) == 20_000
    phases = [p for p, _ in seen]
    assert phases[0] == "mining" and phases[-1] == "writing"
    assert seen[-1][1] == 2 * len(data)
    assert [d for _, d in seen] == sorted(d for _, d in seen)


def test_progress_bar_is_silent_off_a_terminal() -> None:
    from logkit.cli.console import UI

    ui = UI(verbosity=0, color="never")
    with ui.bytes_progress(100, "x") as update:
        update("x", 50)  # no terminal: nothing drawn, nothing raised


def test_year_less_dates_take_the_year_the_file_was_written(tmp_path) -> None:
    import os
    from datetime import datetime

    log = tmp_path / "messages"
    log.write_text("Dec 31 23:59:58 host app[1]: tick 1\nJan  1 00:00:02 host app[1]: tick 2\n")
    written = datetime(2006, 1, 1, 0, 5).timestamp()
    os.utime(log, (written, written))
    stamps = [to_record(p)["timestamp"] for p in Parser().parse(Source.paths([str(log)]))]
    assert stamps == ["2005-12-31T23:59:58", "2006-01-01T00:00:02"]


def test_format_error_names_the_fields_not_their_patterns(tmp_path) -> None:
    path = tmp_path / "x.log"
    path.write_text("hello world\nsecond line\n")
    spec = r"<Date:\d{4}-\d\d-\d\d|\d{8}> <Time:\d\d:\d\d:\d\d> <Level:(?i:info|warn|error)> <Content>"
    with pytest.raises(FormatError) as err:
        list(Parser(format=spec).parse(Source.paths(str(path))))
    assert "'<Date> <Time> <Level> <Content>' matches none of the first 2 lines" in str(err.value)
