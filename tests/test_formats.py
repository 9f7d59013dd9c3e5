"""Header formats: Loghub notation, per-field patterns, JSON lines, timestamps, one-line errors."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from logkit.errors import FormatError
from logkit.parse.formats import (
    HeaderFormat,
    JsonFormat,
    NoFormat,
    compile_format,
    display_spec,
    resolve_format,
)
from logkit.records import RawLine


def _raw(text: str | bytes) -> RawLine:
    return RawLine("t.log", 1, text if isinstance(text, bytes) else text.encode())


def test_split_fields_content_and_timestamp() -> None:
    fmt = compile_format("<Date> <Time> <Pid> <Level> <Component>: <Content>")
    rec = fmt.split(_raw("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 done\r"))
    assert rec.fields == {"Date": "081109", "Time": "203615", "Pid": "148", "Level": "INFO",
                          "Component": "dfs.DataNode$PacketResponder"}
    assert rec.content == "PacketResponder 1 done"
    assert rec.timestamp == datetime(2008, 11, 9, 20, 36, 15)
    assert rec.content_start == len("081109 203615 148 INFO dfs.DataNode$PacketResponder: ")
    assert fmt.matches(_raw("081109 203615 148 INFO x: y"))


def test_unmatched_line_is_kept_whole() -> None:
    fmt = compile_format(r"\[<Time>\] \[<Level>\] <Content>")
    rec = fmt.split(_raw(b"no header here \xff"))
    # not UTF-8: read as cp1252
    assert rec.fields == {} and rec.content == "no header here \u00ff" and rec.timestamp is None
    assert not fmt.matches(_raw("no header"))


def test_optional_group_and_field_patterns() -> None:
    fmt = compile_format(r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>")
    rec = fmt.split(_raw("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure"))
    assert rec.fields["Component"] == "sshd(pam_unix)" and rec.fields["PID"] == "19939"
    rec = fmt.split(_raw("Jun 14 15:16:01 combo kernel: hello"))
    assert rec.fields["PID"] == "" and rec.content == "hello"
    strict = compile_format(r"<Pid:\d+> <Content>")
    assert strict.matches(_raw("123 go")) and not strict.matches(_raw("abc go"))
    assert display_spec(r"<Pid:\d+> <Level:(?i:info|warn)> <Content>") == "<Pid> <Level> <Content>"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("<Date> <Time> <Level>", "has no <Content>"),
        ("<Level> <Level> <Content>", "names Level twice"),
        ("<Level> ([ <Content>", "not a valid pattern"),
        ("json:", "names no message key"),
    ],
)
def test_format_errors_are_one_liners(spec, message) -> None:
    with pytest.raises(FormatError, match=message) as exc:
        compile_format(spec)
    assert "\n" not in str(exc.value)


def test_none_and_json_specs() -> None:
    assert isinstance(compile_format("none"), NoFormat)
    assert isinstance(compile_format(" NONE "), NoFormat)
    assert isinstance(compile_format("json"), JsonFormat)
    fmt = compile_format("json:text,msg")
    assert isinstance(fmt, JsonFormat) and fmt.spec == "json:text,msg"
    assert compile_format(fmt.spec).spec == fmt.spec  # round trip through a saved spec
    assert compile_format("json").spec == "json"


def test_json_lines() -> None:
    fmt = JsonFormat()
    rec = fmt.split(_raw('{"time": "2024-01-01T10:00:00Z", "level": "error", "msg": "disk full on /dev/sda1",'
                         ' "pid": 42, "ok": false, "extra": null, "ctx": {"a": 1}, "tags": [1]}'))
    assert rec.content == "disk full on /dev/sda1"
    assert rec.fields == {"time": "2024-01-01T10:00:00Z", "level": "error", "pid": "42", "ok": "false",
                          "extra": "null"}
    assert rec.timestamp == datetime(2024, 1, 1, 10, tzinfo=timezone.utc)
    assert rec.content_start == rec.raw.data.decode().index("disk full")
    rec = fmt.split(_raw('{"ts": 1700000000.5, "message": "a \\"quoted\\" word"}'))
    assert rec.content == 'a "quoted" word' and rec.timestamp is not None and rec.content_start == 0
    rec = fmt.split(_raw('{"level": "info", "n": 1}'))  # no message key: the whole line
    assert rec.content == '{"level": "info", "n": 1}' and rec.fields["level"] == "info"
    for bad in ("not json", "[1, 2]", '{"broken": '):
        rec = fmt.split(_raw(bad))
        assert rec.content == bad and rec.fields == {} and not fmt.matches(_raw(bad))


def test_resolve_given_spec_reports_matches() -> None:
    sample = [_raw("2024-01-01 10:00:00 INFO a: b"), _raw("junk"), _raw("")]
    fmt, reason = resolve_format("<Date> <Time> <Level> <Component>: <Content>", sample)
    assert isinstance(fmt, HeaderFormat)
    assert reason == "given: 1 of 2 lines match '<Date> <Time> <Level> <Component>: <Content>'"
    fmt, reason = resolve_format("none", sample)
    assert isinstance(fmt, NoFormat) and "none" in reason
    with pytest.raises(FormatError):
        resolve_format("<Level>", sample)
