"""Multi-line records: stack traces join the header line before them."""

from __future__ import annotations

from collections.abc import Iterator

from logkit.parse import Parser, Source
from logkit.parse.formats import compile_format
from logkit.parse.multiline import join_blocks
from logkit.parse.source import Block

SPEC = r"<Date> <Time> <Level> \[<Thread>\] <Component>: <Content>"
TRACE = [
    "orphan line before any header",
    "2024-01-01 10:00:00,001 ERROR [main] com.x.Y: request failed",
    "java.lang.IllegalStateException: bad state",
    "\tat com.x.Y.run(Y.java:10)",
    "\tat java.base/java.lang.Thread.run(Thread.java:833)",
    "Caused by: java.io.IOException: closed\r",
    "\t... 3 more",
    "2024-01-01 10:00:01,001 INFO [main] com.x.Y: ok",
    "2024-01-01 10:00:02,001 WARN [main] com.x.Y: tail",
    "",
]


def _starts(spec: str = SPEC):  # type: ignore[no-untyped-def]
    match = compile_format(spec).match  # type: ignore[attr-defined]
    return lambda text: match(text) is not None


def test_java_stack_trace_is_one_record() -> None:
    parsed = list(Parser(format=SPEC, multiline=True).parse(Source.lines(TRACE, name="j.log")))
    assert [(p.record.raw.line_no, p.record.raw.n_lines) for p in parsed] == [(1, 1), (2, 6), (8, 1), (9, 2)]
    assert parsed[1].record.raw.data == "\n".join(TRACE[1:7]).encode()
    rec = parsed[1].record
    assert rec.fields["Level"] == "ERROR"
    assert rec.content.startswith("request failed\njava.lang.IllegalStateException")
    assert rec.content.endswith("\t... 3 more")
    assert rec.timestamp is not None and rec.timestamp.second == 0
    assert sum(p.record.raw.n_lines for p in parsed) == len(TRACE)


def test_a_record_across_blocks_keeps_its_numbers() -> None:
    """Block edges fall inside a trace: each record still has its first line's number and its line count."""
    for size in (1, 2, 3, 4, 10):
        blocks = [Block(TRACE[i : i + size], 7, i + 1) for i in range(0, len(TRACE), size)]
        out = list(join_blocks(blocks, _starts()))
        entries = []
        for b in out:
            n = b.first
            for text, span in zip(b.lines, b.spans or [1] * len(b.lines), strict=True):
                entries.append((n, span, text))
                n += span
        assert [(n, span) for n, span, _ in entries] == [(1, 1), (2, 6), (8, 1), (9, 2)], size
        assert entries[1][2] == "\n".join(TRACE[1:7])
        assert sum(b.size for b in out) == 7 * len(blocks)  # every block's bytes counted once (progress)


def test_without_header_every_line_stands_alone() -> None:
    lines = ["a", "b"]
    for fmt in ("none", SPEC):
        parsed = list(Parser(format=fmt if fmt == "none" else "none", multiline=True).parse(Source.lines(lines)))
        assert [(p.record.raw.line_no, p.record.raw.n_lines) for p in parsed] == [(1, 1), (2, 1)]
    out = list(join_blocks([Block(lines, 4, 1)], _starts()))
    assert [(b.lines, b.first, b.spans) for b in out] == [(["a", "b"], 1, [1, 1])]


def test_streams_lazily() -> None:
    seen: list[int] = []

    def gen() -> Iterator[Block]:
        for n, text in enumerate(["2024-01-01 10:00:00 INFO [m] a.B: one", "  more",
                                  "2024-01-01 10:00:01 INFO [m] a.B: two"], 1):
            seen.append(n)
            yield Block([text], len(text) + 1, n)

    it = join_blocks(gen(), _starts())
    first = next(b for b in it if b.lines)  # blocks with no record done yet carry their bytes only
    assert first.spans == [2] and seen == [1, 2, 3]
