"""`logkit demo` end to end in a temporary folder (small and fast)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from logkit.cli import cli


def test_demo_end_to_end(tmp_path) -> None:
    folder = tmp_path / "demo"
    res = CliRunner().invoke(cli, ["demo", str(folder), "--lines", "3000"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    out = res.stdout
    for word in ("Generated", "templates", "Variables by type", "error_burst", "login_storm", "oom_trace"):
        assert word in out, word
    for name in ("hdfs", "auth", "access", "app", "java"):
        parsed = list(folder.glob(f"{name}.parsed.jsonl"))
        assert parsed, name
        first = json.loads(parsed[0].read_text(encoding="utf-8").splitlines()[0])
        assert {"template_id", "template", "params", "line"} <= set(first)
    assert not list(folder.glob(".*.tmp"))
    detected = out[out.index("Detected anomalies"):]
    assert "caught" in detected.splitlines()[0]
    assert "error_burst" in detected and "login_storm" in detected
    assert (folder / "models" / "hdfs").is_dir()
    report = folder / "report.html"
    assert out.strip().splitlines()[-1] == f"Report: {report}"  # the demo ends with the page to open
    page = report.read_text(encoding="utf-8")
    assert 'id="anomaly-1"' in page and page.count('<tr id="tpl-') >= 20


def test_demo_default_folder_under_home(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LOGKIT_HOME", str(tmp_path / "home"))
    res = CliRunner().invoke(cli, ["demo", "--lines", "1000"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert (tmp_path / "home" / "demo" / "hdfs.parsed.jsonl").exists()


def test_demo_steps_are_a_list() -> None:
    from logkit.pipeline.demo import STEPS

    assert [name for name, _ in STEPS][:2] == ["generate", "parse"]
