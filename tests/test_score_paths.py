"""One scoring path: a file scored through ``logkit detect``, ``logkit run``, ``logkit batch detect`` and the
Python API gives the same records, sessions still open at the end of the input included."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import logkit
from logkit.cli import cli
from logkit.parse import Parser, Source, to_record
from logkit.records import DecidedBy, Score

STEPS = (0, 3, 7, 12)  # a session's four events, this many lines' time after its start


def write_interleaved(path: Path, n: int, seed: int, cut: int = 0) -> dict[str, int]:
    """Sessions of four events interleaved in time; ``cut``: the input ends before the last sessions do."""
    rng = random.Random(seed)
    events: list[tuple[int, int, str]] = []
    labels = {}
    for i in range(n):
        sid = f"job_{seed}{i:05d}"
        bad = rng.random() < 0.1
        labels[sid] = int(bad)
        steps = [("open", f"open {sid} for user u{i % 7}"), ("read", f"read {rng.randint(1, 900)} kB of {sid}"),
                 ("bad" if bad else "write", f"write failed on {sid} code {rng.randint(1, 9)}" if bad
                  else f"write {rng.randint(1, 900)} kB of {sid}"), ("close", f"close {sid} after {i % 50} ms")]
        for (_, text), at in zip(steps, STEPS, strict=True):
            events.append((2 * i + at, i, text))
    events.sort()
    last = 2 * (n - 1) - cut
    lines = []
    for k, (_at, _, text) in enumerate(e for e in events if e[0] <= last):
        level = "ERROR" if "failed" in text else "INFO"
        lines.append(f"2024-03-0{1 + k // 80_000} 10:{k // 3600 % 60:02d}:{k // 60 % 60:02d} {level} store: {text}")
    path.write_text("\n".join(lines) + "\n")
    return labels


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("score-paths")
    labels = write_interleaved(tmp / "train.log", 400, 1, cut=0)
    (tmp / "labels.csv").write_text("session,label\n" + "".join(f"{k},{v}\n" for k, v in labels.items()))
    r = CliRunner().invoke(cli, ["train", str(tmp / "train.log"), "--model", str(tmp / "m"), "--session",
                                 r"job_\d+", "--labels", str(tmp / "labels.csv")])
    assert r.exit_code == 0, r.output
    write_interleaved(tmp / "test.log", 150, 2, cut=10)
    return tmp


def _jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in text.splitlines() if x.strip()]


def test_every_entry_point_gives_the_same_records(folder: Path, tmp_path: Path) -> None:
    log, m = folder / "test.log", folder / "m"
    runner = CliRunner()
    r = runner.invoke(cli, ["detect", str(log), "--model", str(m), "--output-format", "jsonl"])
    assert r.exit_code == 0, r.output
    want = _jsonl(r.stdout)
    opened = [x for x in want if x["reason"] and "still open at the end of the input" in x["reason"]]
    assert opened, "the input ends inside some sessions: the open-session rule must apply"

    r = runner.invoke(cli, ["run", str(log), "--model", str(m)])
    assert r.exit_code == 0, r.output
    assert _jsonl(r.stdout) == want

    model = logkit.load_model(m)
    api = [s.to_dict() for s in model.score(str(log))]
    assert api == want
    # lines in memory and parsed lines score as the file does
    lines = log.read_text().splitlines()
    assert [s.to_dict() for s in model.score(lines)] == want
    parser = model.scorer().parser()
    parsed = list(parser.parse(Source.paths(str(log))))
    assert [s.to_dict() for s in model.score(parsed)] == want

    out = tmp_path / "batch"
    r = runner.invoke(cli, ["batch", "detect", str(log), "--out", str(out), "--model", str(m), "--workers", "1"])
    assert r.exit_code == 0, r.output
    import pyarrow.dataset as ds

    rows = ds.dataset(out / "scores", format="parquet", partitioning="hive").to_table().to_pylist()
    cols = list(want[0])
    got = {row["group"]: {c: row[c] for c in cols} for row in rows}
    assert len(got) == len(want)
    assert [got[x["group"]] for x in want] == want


def test_the_record_type_is_the_json(folder: Path) -> None:
    model = logkit.load_model(folder / "m")
    recs = list(model.score(str(folder / "test.log")))
    assert recs and all(isinstance(s, Score) and s.decided_by is DecidedBy.MODEL for s in recs)
    d = recs[0].to_dict()
    assert list(d) == ["group", "first_line", "last_line", "lines", "start", "end", "score", "threshold", "anomaly",
                       "uncertainty", "routed", "decided_by", "method", "reason"]
    assert d["decided_by"] == "model" and d["score"] == round(recs[0].score, 4)


def test_train_from_lines_and_records(folder: Path, tmp_path: Path) -> None:
    lines = (folder / "train.log").read_text().splitlines()
    labels = {}
    for row in (folder / "labels.csv").read_text().splitlines()[1:]:
        k, v = row.split(",")
        labels[k] = int(v)
    a = logkit.train(lines, tmp_path / "a", session=r"job_\d+", labels=labels)
    b = logkit.train(str(folder / "train.log"), tmp_path / "b", session=r"job_\d+", labels=folder / "labels.csv")
    test = (folder / "test.log").read_text().splitlines()
    sa = [s.to_dict() for s in a.score(test)]
    assert sa == [s.to_dict() for s in b.score(test)]
    assert sa == [s.to_dict() for s in logkit.load_model(tmp_path / "a").score(test)]
    # parse records (JSON objects) train too; without labels, normal behaviour only
    recs = [to_record(p) for p in Parser().parse(Source.lines(lines))]
    c = logkit.train(recs, tmp_path / "c", window=50)
    assert c.trained["input_kind"] == "parsed" and list(c.score(recs))
    with pytest.raises(logkit.LogkitError, match="session=REGEX"):
        logkit.train(lines, tmp_path / "d")
