"""The JSON text maker of the emit loop (what ``logkit parse -o x.jsonl`` writes) gives what ``record_json`` writes
for the records the record maker gives, byte for byte, with the same counts; the JSON timestamp reader agrees with
the plain one."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from logkit.cli import cli
from logkit.parse.api import Parser, Source, record_json
from logkit.parse.emit import record_maker
from logkit.parse.jsontext import JsonText
from logkit.parse.timestamps import Clock
from tests.test_parse_blocks import HEADER, _body

JSON_LOG = b'{"time": "2024-01-02T03:04:05Z", "level": "info", "msg": "user 12 logged in"}\n' * 3


def _both(paths: list[str], **options: object) -> tuple[list[str], Parser, list[str], Parser]:
    slow_parser = Parser(**options)  # type: ignore[arg-type]
    slow = [record_json(p) for b in slow_parser.parse_blocks(Source.paths(paths), record_maker) for p in b]
    fast_parser = Parser(**options)  # type: ignore[arg-type]
    fast = [line for block in fast_parser.parse_blocks(Source.paths(paths), JsonText().maker) for line in block]
    return slow, slow_parser, fast, fast_parser


@pytest.mark.parametrize("spec", [HEADER, "none", "auto", "<Content>"])
@pytest.mark.parametrize("ending", [b"", b"\n", b"\r\n", b"\n\n\n"])
def test_json_path_writes_what_the_record_path_writes(tmp_path: Path, spec: str, ending: bytes) -> None:
    path = tmp_path / "x.log"
    path.write_bytes(_body(random.Random(3), 700) + ending)
    slow, sp, fast, fp = _both([str(path)], format=spec)
    assert fast == slow
    assert len(fast) == len(path.read_bytes().split(b"\n")) - (1 if ending else 0)
    assert fp.stats.lines == sp.stats.lines == len(fast)
    assert fp.stats.unmatched == sp.stats.unmatched
    assert fp.stats.per_source == sp.stats.per_source
    assert fp.templates() == sp.templates()
    for line in fast:
        json.loads(line)


def test_json_path_over_several_files_keep_and_json_logs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.log", tmp_path / "b.log", tmp_path / "c.jsonl"
    a.write_bytes(_body(random.Random(4), 300))
    b.write_bytes(_body(random.Random(5), 200) + b"\n")
    c.write_bytes(JSON_LOG)
    slow, sp, fast, fp = _both([str(a), str(b)], format=HEADER, keep="OBA,LOI")
    assert fast == slow and len(fast) == 500
    assert fp.stats.per_source == sp.stats.per_source == {str(a): 300, str(b): 200}
    slow, _, fast, _ = _both([str(c)], format="auto")  # a JSON log: through the record path, same text
    assert fast == slow and len(fast) == 3 and json.loads(fast[0])["template"] == "user <*> logged in"


def test_json_path_with_a_small_template_bound_keeps_counts_like_the_record_path(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    path.write_bytes(_body(random.Random(6), 600))
    slow, sp, fast, fp = _both([str(path)], format=HEADER, max_templates=1)
    assert fast == slow
    assert fp.templates() == sp.templates() and len(fp.templates()) <= 4


def test_cli_jsonl_file_and_stdout_match_the_table_of_records(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    path.write_bytes(_body(random.Random(7), 400))
    runner = CliRunner()
    out = tmp_path / "x.jsonl"
    res = runner.invoke(cli, ["parse", str(path), "--format", HEADER, "-o", str(out)])
    assert res.exit_code == 0, res.output
    expected = [record_json(p) for p in Parser(format=HEADER).parse(Source.paths(str(path)))]
    # the writer encodes what UTF-8 cannot hold (the bytes of invalid input) as backslash escapes
    assert out.read_bytes() == ("\n".join(expected) + "\n").encode("utf-8", "backslashreplace")
    res = runner.invoke(cli, ["parse", str(path), "--format", HEADER, "--output-format", "jsonl"])
    assert res.exit_code == 0
    assert res.stdout_bytes == out.read_bytes()


@pytest.mark.parametrize("keys", [("Date", "Time"), ("Month", "Day", "Time"), ("Timestamp",)])
def test_timestamp_json_reader_agrees_with_the_reader(keys: tuple[str, ...]) -> None:
    rng = random.Random(len(keys))
    t = datetime(2023, 12, 31, 23, 58, 0)
    rows = []
    for _ in range(3000):
        t += timedelta(seconds=rng.choice([0, 0, 1, 2, 59, 3600]))
        if keys == ("Date", "Time"):
            row = {"Date": t.strftime("%Y-%m-%d"), "Time": t.strftime("%H:%M:%S")}
        elif keys == ("Month", "Day", "Time"):
            row = {"Month": t.strftime("%b"), "Day": str(t.day), "Time": t.strftime("%H:%M:%S")}
        else:
            row = {"Timestamp": t.strftime("%Y-%m-%dT%H:%M:%S") + rng.choice(["", ".123", "Z", "+02:00"])}
        k = rng.randrange(40)
        if k == 0:  # a clock that is no clock, and text that is no time at all
            row[keys[-1]] = row[keys[-1]].replace(row[keys[-1]][-8:-6], "24", 1)
        elif k == 1:
            row[keys[-1]] = "ab:cd:ef"
        rows.append(row)
    plain = Clock(datetime(2024, 6, 1)).reader(keys)
    as_json = Clock(datetime(2024, 6, 1)).json_reader(keys)
    by_pos = Clock(datetime(2024, 6, 1)).json_reader(keys, {k: i + 1 for i, k in enumerate(keys)})  # values at 1, 2..
    for row in rows:
        ts = plain(row)
        assert as_json(row) == json.dumps(None if ts is None else ts.isoformat())
        assert by_pos(("x", *(row[k] for k in keys))) == as_json(row)


def test_a_date_with_impossible_values_does_not_hide_later_dates_of_its_shape() -> None:
    clock = Clock()
    assert clock.parse_text("2024-13-45 10:00:00") is None  # month 13: no date
    clock._last = -1  # no notation has worked yet (a new log, say)
    assert clock.parse_text("2024-03-02 10:01:07") == datetime(2024, 3, 2, 10, 1, 7)
    clock.reference = datetime(2024, 7, 1)  # year-less dates take the year of the reference
    assert clock.parse_text("Xyz 14 10:00:00") is None  # no month: no date
    clock._last = -1
    assert clock.parse_text("Jun 14 10:00:00") == datetime(2024, 6, 14, 10, 0, 0)


@pytest.mark.parametrize("spec", ["auto", HEADER])
def test_parsing_leaves_no_cyclic_garbage(tmp_path: Path, spec: str) -> None:
    """The CLI parses with the cyclic collector held back (``acyclic_work``): that is only safe while a
    parse, on either path, makes no reference cycles, so nothing waits for the collector."""
    import gc

    log = tmp_path / "a.log"
    log.write_bytes(_body(random.Random(5), 3000))
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        p = Parser(format=spec)
        n_json = sum(len(b) for b in p.parse_blocks(Source.paths(str(log)), JsonText().maker))
        q = Parser(format=spec, keep="STC")
        n_rec = sum(1 for _ in q.parse(Source.paths(str(log))))
        del p, q
        gc.collect()
        left = list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert n_json == n_rec == 3000
    assert [type(o).__name__ for o in left] == []


def test_acyclic_work_raises_the_threshold_only_in_its_own_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    import logkit.cli as cli_module

    before = gc.get_threshold()
    with cli_module.acyclic_work():  # a library caller or a test: unchanged
        assert gc.get_threshold() == before
    monkeypatch.setattr(cli_module, "_OWN_PROCESS", [True])
    monkeypatch.setattr(gc, "freeze", lambda: None)  # the test process keeps collecting what it made
    with cli_module.acyclic_work():
        assert gc.get_threshold()[0] == cli_module._ACYCLIC_GEN0
    assert gc.get_threshold() == before


@pytest.mark.parametrize("room", ["none", "first file", "all"])
def test_json_text_is_the_same_whether_pass_one_kept_its_matches_or_not(
        tmp_path: Path, room: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from logkit.parse import api, sources

    a, b = tmp_path / "a.log", tmp_path / "b.log"
    # \r\r: one \r stays in the line's text (the example of a template that begins in a line without a header)
    a.write_bytes(b"\tat first.Frame(Main.java:1)\r\r\n" + _body(random.Random(6), 399).replace(b"\n", b"\r\r\n", 30)
                  + b"\n")
    b.write_bytes(_body(random.Random(7), 300))
    monkeypatch.setattr(sources, "CHUNK_SIZE", 2048)  # several blocks a file
    paths = [str(a), str(b), str(a)]  # a file named twice is read again the second time
    runs = {}
    for name, budget in (("kept", {"none": 0, "first file": len(a.read_bytes()) + 1, "all": 10 * 2**20}[room]),
                         ("read twice", 0)):
        monkeypatch.setattr(api, "KEEP_BYTES", budget)
        seen: list[tuple[str, int]] = []
        parser = Parser(format=HEADER, progress=lambda *x, seen=seen: seen.append(x))  # type: ignore[misc]
        parser.fit(Source.paths(paths))
        kept_files = sorted(parser._kept)
        text = [t for blk in parser.parse_blocks(Source.paths(paths), JsonText().maker) for t in blk]
        runs[name] = (text, parser, seen, kept_files)
    fast, fp, seen_fast, kept_files = runs["kept"]
    slow, sp, seen_slow, _ = runs["read twice"]
    assert fast == slow and len(fast) == 1100
    assert fp.templates() == sp.templates()
    assert any(t.example == "\tat first.Frame(Main.java:1)\r" for t in fp.templates())
    assert fp.stats.unmatched == sp.stats.unmatched > 0
    assert kept_files == {"none": [], "first file": [str(a)], "all": [str(a), str(b)]}[room]
    assert seen_fast[-1] == seen_slow[-1] == ("writing", 2 * sum(p.stat().st_size + (p == b) for p in (a, b, a)))
