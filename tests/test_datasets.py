"""Datasets: the data folder lookup, the Loghub reader, the synthetic generator (determinism, anomalies)."""

from __future__ import annotations

import json

import pytest

from logkit.datasets import ANOMALY_KINDS, data_home, generate, iter_synthetic_lines, list_loghub, load_loghub
from logkit.errors import InputError, UsageError


def test_data_home_explicit_then_env(tmp_path) -> None:
    assert data_home(tmp_path, env={}) == tmp_path
    assert data_home(None, env={"LOGKIT_DATA": str(tmp_path)}) == tmp_path
    with pytest.raises(InputError, match="LOGKIT_DATA"):
        data_home(None, env={})
    with pytest.raises(InputError, match="not a folder"):
        data_home(tmp_path / "missing", env={})


def test_data_home_never_reads_the_current_folder(tmp_path, monkeypatch) -> None:
    (tmp_path / "loghub-2k").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LOGKIT_DATA", raising=False)
    with pytest.raises(InputError):
        data_home()


def test_load_loghub(data_dir) -> None:
    names = list_loghub(data_dir)
    assert "HDFS" in names and "BGL" in names
    ds = load_loghub("hdfs", data_dir)
    assert ds.name == "HDFS"
    assert ds.format == "<Date> <Time> <Pid> <Level> <Component>: <Content>"
    assert len(ds) == 2000 == sum(1 for _ in ds.lines())
    assert ds.structured["LineId"].tolist()[:3] == [1, 2, 3]
    assert {"Content", "EventId", "EventTemplate"} <= set(ds.structured.columns)
    assert all(isinstance(x, str) for x in ds.structured["Pid"].head())
    assert set(ds.ground_truth) <= set(ds.templates["EventTemplate"])
    with pytest.raises(InputError, match="choose one of"):
        load_loghub("NoSuchSystem", data_dir)


def test_load_loghub_small_folder(tmp_path) -> None:
    """A hand-made folder in the Loghub layout (no shared data needed)."""
    root = tmp_path / "loghub-2k"
    (root / "Mini").mkdir(parents=True)
    (root / "formats.json").write_text(json.dumps({"Mini": "<Level> <Content>"}))
    (root / "Mini" / "Mini_2k.log").write_bytes(b"INFO a 1\nINFO a 2\nWARN b")
    (root / "Mini" / "Mini_2k.log_structured_corrected.csv").write_text(
        "LineId,Level,Content,EventId,EventTemplate\n"
        "1,INFO,a 1,E1,a <*>\n2,INFO,a 2,E1,a <*>\n3,WARN,b,E2,b\n"
    )
    templates = root / "Mini" / "Mini_2k.log_templates_corrected.csv"
    templates.write_text("EventId,EventTemplate\nE1,a <*>\nE2,b\n")
    ds = load_loghub("mini", tmp_path)
    assert list(ds.lines()) == [b"INFO a 1", b"INFO a 2", b"WARN b"]
    assert ds.ground_truth == ["a <*>", "a <*>", "b"]
    assert list_loghub(root) == ["Mini"]


def test_generate_is_deterministic(tmp_path) -> None:
    a = generate(tmp_path / "a", lines=2000, seed=7)
    b = generate(tmp_path / "b", lines=2000, seed=7)
    c = generate(tmp_path / "c", lines=2000, seed=8)
    for fa, fb, fc in zip(a.files, b.files, c.files, strict=True):
        assert fa.path.read_bytes() == fb.path.read_bytes()
        assert fa.path.read_bytes() != fc.path.read_bytes()
    assert a.anomalies == b.anomalies
    assert 1900 <= a.lines <= 2100  # about the number asked for (records are not cut)


def test_generate_anomalies_present(tmp_path) -> None:
    gen = generate(tmp_path, lines=3000, seed=1)
    assert {a.kind for a in gen.anomalies} == set(ANOMALY_KINDS)
    names = {f.path.name: f for f in gen.files}
    assert set(names) == {"hdfs.log", "auth.log", "access.log", "app.jsonl", "java.log"}
    for a in gen.anomalies:
        text = names[a.file].path.read_text(encoding="utf-8").split("\n")
        assert all(1 <= n <= names[a.file].lines for n in a.lines)
        first = text[a.lines[0] - 1]
        want = {"error_burst": "blk_", "login_storm": "203.0.113.", "http_5xx_burst": "/api/v1/payments",
                "unseen_event": "circuit breaker", "oom_trace": "Report daily-sales failed"}[a.kind]
        assert want in first, (a.kind, first)
    java = names["java.log"].path.read_text(encoding="utf-8").split("\n")
    assert any(line.startswith("\tat ") for line in java)  # multi-line stack traces
    oom = next(a for a in gen.anomalies if a.kind == "oom_trace")
    assert java[oom.lines[0]].startswith("java.lang.OutOfMemoryError")
    for line in names["app.jsonl"].path.read_text(encoding="utf-8").splitlines():
        assert "msg" in json.loads(line)


def test_generate_options(tmp_path) -> None:
    gen = generate(tmp_path, lines=1000, seed=0, anomalies=False, services=["auth", "app"])
    assert [f.service for f in gen.files] == ["auth", "app"] and gen.anomalies == []
    with pytest.raises(UsageError):
        generate(tmp_path, anomalies=["nope"])
    with pytest.raises(UsageError):
        generate(tmp_path, services=["nope"])


def test_iter_synthetic_lines() -> None:
    lines = list(iter_synthetic_lines(20_000, seed=3))
    assert len(lines) == 20_000 and all(isinstance(x, bytes) and b"\n" not in x for x in lines)
    assert lines == list(iter_synthetic_lines(20_000, seed=3))
    assert lines != list(iter_synthetic_lines(20_000, seed=4))
    shapes = {x.split(b": ", 1)[1].split(b" ")[0] + x.split(b": ", 1)[1].split(b" ")[2] for x in lines}
    assert 20 <= len(shapes) <= 300
