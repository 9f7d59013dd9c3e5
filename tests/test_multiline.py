"""Multi-line records: stack traces join the header line before them."""

from __future__ import annotations

from logkit.parse.formats import NoFormat, compile_format
from logkit.parse.multiline import join_multiline
from logkit.records import RawLine

SPEC = r"<Date> <Time> <Level> \[<Thread>\] <Component>: <Content>"


def _raws(lines: list[bytes]) -> list[RawLine]:
    return [RawLine("j.log", i, d) for i, d in enumerate(lines, 1)]


def test_java_stack_trace_is_one_record() -> None:
    lines = [
        b"orphan line before any header",
        b"2024-01-01 10:00:00,001 ERROR [main] com.x.Y: request failed",
        b"java.lang.IllegalStateException: bad state",
        b"\tat com.x.Y.run(Y.java:10)",
        b"\tat java.base/java.lang.Thread.run(Thread.java:833)",
        b"Caused by: java.io.IOException: closed\r",
        b"\t... 3 more",
        b"2024-01-01 10:00:01,001 INFO [main] com.x.Y: ok",
        b"2024-01-01 10:00:02,001 WARN [main] com.x.Y: tail",
        b"",
    ]
    fmt = compile_format(SPEC)
    out = list(join_multiline(iter(_raws(lines)), fmt))
    assert [(r.line_no, r.n_lines) for r in out] == [(1, 1), (2, 6), (8, 1), (9, 2)]
    assert out[1].data == b"\n".join(lines[1:7])
    rec = fmt.split(out[1])
    assert rec.fields["Level"] == "ERROR"
    assert rec.content.startswith("request failed\njava.lang.IllegalStateException")
    assert rec.content.endswith("\t... 3 more")
    assert rec.timestamp is not None and rec.timestamp.second == 0
    assert sum(r.n_lines for r in out) == len(lines)


def test_without_header_every_line_stands_alone() -> None:
    raws = _raws([b"a", b"b"])
    assert list(join_multiline(raws, NoFormat())) == raws
    fmt = compile_format(SPEC)
    assert list(join_multiline(raws, fmt)) == raws


def test_streams_lazily() -> None:
    fmt = compile_format(SPEC)
    seen: list[int] = []

    def gen():
        for r in _raws([b"2024-01-01 10:00:00 INFO [m] a.B: one", b"  more",
                        b"2024-01-01 10:00:01 INFO [m] a.B: two"]):
            seen.append(r.line_no)
            yield r

    it = join_multiline(gen(), fmt)
    first = next(it)
    assert first.n_lines == 2 and seen == [1, 2, 3]
