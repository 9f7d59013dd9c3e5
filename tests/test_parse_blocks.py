"""Fitting over decoded blocks of text learns what each line's content teaches, on awkward inputs too."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest

from logkit.parse import sources
from logkit.parse.api import Parser, Source, record_json
from logkit.parse.formats import compile_format
from logkit.parse.sources import iter_raw_lines, iter_text_blocks
from logkit.records import Cp1252Text, byte_marked, decode

HEADER = "<Date> <Time> <Level> <Component>: <Content>"


def _body(rng: random.Random, n: int) -> bytes:
    """Header lines with varied contents, some not matching the header, CRLF, empty, invalid UTF-8, NULs."""
    out = []
    for i in range(n):
        k = rng.randrange(12)
        head = f"2024-03-0{1 + i % 9} 10:{i % 60:02d}:{(7 * i) % 60:02d} INFO svc.part{i % 3}: "
        if k == 0:
            out.append(b"")
        elif k == 1:
            out.append(head.encode() + f"request {i} done in {i % 97}ms\r".encode())
        elif k == 2:
            out.append(head.encode() + b"bad bytes \xff\xfe here \xe2\x82")  # ends inside a UTF-8 sequence
        elif k == 3:
            out.append(b"\tat com.example.Thing.run(Thing.java:" + str(i).encode() + b")")  # no header
        elif k == 4:
            out.append(head.encode() + b"nul\x00byte\x00 " + str(i).encode())
        elif k == 5:
            out.append(head.encode() + "caf\u00e9 user=\u00e9l\u00e8ve id=".encode() + str(i).encode())
        elif k == 6:
            out.append(b"\r")
        else:
            out.append(head.encode() + f"connection from 10.0.{i % 7}.{i % 250} port {1000 + i}".encode())
    return b"\n".join(out)


def _reference_learn(parser: Parser, path: str) -> None:
    """What fitting must amount to: every line's content (split line by line) learnt by the miner, in order."""
    fmt = compile_format(HEADER) if parser.format_spec == HEADER else None
    if fmt is None:
        parser.fit(Source.paths(path))  # only to choose the format the same way
        fmt = parser._formats[path]
        parser.miner = type(parser.miner)(max_templates=parser.max_templates)
    for raw in iter_raw_lines(path):
        content = fmt.split(raw).content
        # a line that is not UTF-8: the miner reads its bytes of 0x80 and above as surrogateescape writes them
        parser.miner.learn(byte_marked(content) if isinstance(decode(raw.data), Cp1252Text) else content)


CASES = {
    "final-newline": lambda b: b + b"\n",
    "no-final-newline": lambda b: b,
    "crlf": lambda b: b.replace(b"\n", b"\r\n") + b"\r\n",
    "empty-lines-at-end": lambda b: b + b"\n\n\n",
    "single-line": lambda b: b.split(b"\n")[1],
    "empty-file": lambda b: b"",
    "only-newlines": lambda b: b"\n\n",
}


@pytest.mark.parametrize("chunk", [7, 64, 1 << 20])
@pytest.mark.parametrize("case", sorted(CASES))
def test_text_blocks_are_the_raw_lines_decoded(tmp_path: Path, case: str, chunk: int,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    data = CASES[case](_body(random.Random(3), 300))
    path = tmp_path / "x.log"
    path.write_bytes(data)
    monkeypatch.setattr(sources, "CHUNK_SIZE", chunk)  # block edges inside lines and inside UTF-8 sequences
    want = [decode(r.data) for r in iter_raw_lines(str(path))]
    blocks = list(iter_text_blocks(str(path)))
    got = [t for block, _ in blocks for t in block]
    assert sum(size for _, size in blocks) == sum(len(r.data) + 1 for r in iter_raw_lines(str(path)))
    assert got == want
    assert len(want) == data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)


@pytest.mark.parametrize("compress", ["plain", "gz", "zst"])
@pytest.mark.parametrize("spec", [HEADER, "none", "auto"])
@pytest.mark.parametrize("case", ["final-newline", "no-final-newline", "crlf", "empty-lines-at-end"])
def test_fit_learns_each_lines_content(tmp_path: Path, case: str, spec: str, compress: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    data = CASES[case](_body(random.Random(5), 400))
    path = tmp_path / "x.log"
    if compress == "gz":
        data = gzip.compress(data)
    elif compress == "zst":
        zstandard = pytest.importorskip("zstandard")
        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)
    monkeypatch.setattr(sources, "CHUNK_SIZE", 4096)
    ref, fitted = Parser(format=spec), Parser(format=spec)
    _reference_learn(ref, str(path))
    fitted.fit(Source.paths(str(path)))
    assert fitted.miner.to_dict() == ref.miner.to_dict()
    assert len(ref.miner.to_dict()["clusters"]) > 3


@pytest.mark.parametrize("spec", [HEADER, "none", "auto"])
def test_parse_output_is_the_same_whether_pass_one_kept_the_lines_or_not(tmp_path: Path, spec: str,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from logkit.parse import api

    path = tmp_path / "x.log"
    path.write_bytes(_body(random.Random(9), 500).replace(b"\n", b"\r\n", 40))
    seen: list[tuple[str, int]] = []
    parser = Parser(format=spec, progress=lambda *a: seen.append(a))
    kept = [record_json(p) for p in parser.parse(Source.paths(str(path)))]
    monkeypatch.setattr(api, "KEEP_BYTES", 0)  # nothing kept: the emit pass reads the file again
    seen_plain: list[tuple[str, int]] = []
    plain = [record_json(p) for p in Parser(format=spec, progress=lambda *a: seen_plain.append(a))
             .parse(Source.paths(str(path)))]
    assert kept == plain
    assert len(kept) == 500
    # progress: the same byte counts at the end of each pass (the file has no final newline)
    ends = {phase: n for phase, n in seen}
    assert ends == {phase: n for phase, n in seen_plain}
    assert ends == {"mining": path.stat().st_size + 1, "writing": 2 * (path.stat().st_size + 1)}
