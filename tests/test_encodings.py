"""Bytes in, valid text out: a line that is not UTF-8 is read as cp1252 (or as --encoding says); every record,
CSV, Parquet, state and model file is valid UTF-8; archives keep the exact bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from logkit.cli import cli
from logkit.parse import Parser, Source
from logkit.records import Cp1252Text, decode, encode

LATIN = "".join(f"2024-03-0{1 + i % 9} 10:00:{i % 60:02d} INFO auth: user Jos\xe9 {i} logged in from caf\xe9-{i % 3}\n"
                for i in range(60)).encode("latin-1")
MIXED = b"plain ascii line 1\nutf8 caf\xc3\xa9 line 2\nlatin caf\xe9 line 3\r\nctl \x81\x8d\x80\x9f line 4\n"


@pytest.mark.parametrize("data", [b"Jos\xe9", b"\x81\x8d\x8f\x90\x9d\x80\xff", b"caf\xc3\xa9", b"\xed\xa0\x80 x",
                                  bytes(range(256))])
def test_decode_is_valid_text_and_gives_the_bytes_back(data: bytes) -> None:
    text = decode(data)
    text.encode("utf-8")  # strict: no lone surrogates
    assert encode(text) == data
    assert (text.__class__ is str) == (data == b"caf\xc3\xa9")


def test_records_hold_cp1252_text_and_the_exact_bytes(tmp_path: Path) -> None:
    log = tmp_path / "m.log"
    log.write_bytes(MIXED)
    recs = list(Parser(format="none").parse(Source.paths(str(log))))
    assert [r.record.content for r in recs] == ["plain ascii line 1", "utf8 caf\xe9 line 2", "latin caf\xe9 line 3",
                                                "ctl \x81\x8d\u20ac\u0178 line 4"]
    assert b"\n".join(r.record.raw.data for r in recs) + b"\n" == MIXED
    assert isinstance(decode(b"latin caf\xe9 line 3\r"), Cp1252Text)
    for r in recs:
        assert r.rebuild() == r.record.content


def test_cli_outputs_are_strict_utf8(tmp_path: Path) -> None:
    log = tmp_path / "latin.log"
    log.write_bytes(LATIN)
    runner = CliRunner()
    for name in ("x.jsonl", "x.csv", "x.parquet"):
        res = runner.invoke(cli, ["parse", str(log), "--state", str(tmp_path / "s.json"), "-o", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in (tmp_path / "x.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 60 and len({r["template_id"] for r in rows}) == 1
    values = {p["value"] for r in rows for p in r["params"]}
    assert "Jos\xe9" in values or any("Jos\xe9" in r["template"] for r in rows)
    assert "\\udc" not in (tmp_path / "x.jsonl").read_text(encoding="utf-8")
    assert "Jos\xe9" in (tmp_path / "x.csv").read_text(encoding="utf-8")
    json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "x.parquet")
    assert any("Jos\xe9" in (p["value"] for p in ps) for ps in table.column("params").to_pylist())


def test_train_and_detect_on_a_latin1_log(tmp_path: Path) -> None:
    log = tmp_path / "latin.log"
    log.write_bytes(LATIN)
    runner = CliRunner()
    res = runner.invoke(cli, ["train", str(log), "--model", str(tmp_path / "m"), "--window", "20"])
    assert res.exit_code == 0, res.output
    for f in (tmp_path / "m").iterdir():
        if f.suffix == ".json":
            json.loads(f.read_text(encoding="utf-8"))
    res = runner.invoke(cli, ["detect", str(log), "--model", str(tmp_path / "m"), "-o", str(tmp_path / "d.jsonl")])
    assert res.exit_code == 0, res.output
    assert len((tmp_path / "d.jsonl").read_text(encoding="utf-8").splitlines()) == 3


def test_encoding_option_decodes_every_line(tmp_path: Path) -> None:
    log = tmp_path / "sjis.log"
    log.write_bytes("\u30ed\u30b0 user 1 ok\n\u30ed\u30b0 user 2 ok\n".encode("shift_jis"))
    runner = CliRunner()
    res = runner.invoke(cli, ["parse", str(log), "--format", "none", "--encoding", "shift_jis", "-o",
                              str(tmp_path / "x.jsonl")])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in (tmp_path / "x.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows[0]["template"] == "\u30ed\u30b0 user <*> ok"
    res = runner.invoke(cli, ["parse", str(log), "--encoding", "no-such-codec"])
    assert res.exit_code == 2 and "no text encoding" in res.output


def test_archive_of_a_latin1_log_is_byte_exact(tmp_path: Path) -> None:
    log = tmp_path / "latin.log"
    log.write_bytes(LATIN + MIXED)
    runner = CliRunner()
    res = runner.invoke(cli, ["compress", str(log)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["decompress", str(log) + ".lkz", "-o", str(tmp_path / "back")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "back").read_bytes() == LATIN + MIXED
