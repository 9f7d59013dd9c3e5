"""``logkit bench parse``: the library on a tiny synthetic folder, the CLI, and the real data (floors)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from logkit.bench.parse import average, bench_parse
from logkit.cli import cli
from logkit.errors import InputError


def make_folder(root: Path) -> Path:
    base = root / "loghub-2k"
    (base / "Toy").mkdir(parents=True)
    (base / "formats.json").write_text(json.dumps({"Toy": "<Level> <Content>"}))
    rows = [
        ("INFO", "user root logged in from 10.0.0.1", "user <*> logged in from <*>"),
        ("INFO", "user fred logged in from 10.0.0.2", "user <*> logged in from <*>"),
        ("WARN", "disk 3 is 91% full", "disk <*> is <*> full"),
        ("WARN", "disk 4 is 95% full", "disk <*> is <*> full"),
    ]
    (base / "Toy" / "Toy_2k.log").write_text("\n".join(f"{lv} {c}" for lv, c, _ in rows))
    lines = ["LineId,Level,Content,EventId,EventTemplate"]
    lines += [f'{i},{lv},"{c}",E1,"{t}"' for i, (lv, c, t) in enumerate(rows, 1)]
    (base / "Toy" / "Toy_2k.log_structured_corrected.csv").write_text("\n".join(lines) + "\n")
    return base


def test_bench_on_synthetic_folder(tmp_path: Path) -> None:
    base = make_folder(tmp_path)
    res = bench_parse(base)
    assert [r.parser for r in res] == ["logkit", "drain3"]
    ours = res[0].scores
    assert (ours.ga, ours.pa, ours.fga, ours.fta) == (1.0, 1.0, 1.0, 1.0)
    assert average(res, "logkit")["pa"] == 1.0


def test_cli_json_and_table(tmp_path: Path) -> None:
    base = make_folder(tmp_path)
    runner = CliRunner()
    r = runner.invoke(cli, ["bench", "parse", str(base), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["average"]["logkit"]["ga"] == 1.0
    assert {row["parser"] for row in doc["systems"]} == {"logkit", "drain3"}
    r = runner.invoke(cli, ["bench", "parse", str(base)])
    assert r.exit_code == 0 and "average" in r.output and "drain3" in r.output


def test_no_data_is_an_input_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LOGKIT_DATA", raising=False)
    with pytest.raises(InputError, match="no benchmark data"):
        bench_parse(None)
    with pytest.raises(InputError, match="no benchmark data"):
        bench_parse(tmp_path)


@pytest.mark.data
def test_real_data_floors(data_dir: Path) -> None:
    # measured: HDFS GA 1.000 PA 1.000 FTA 1.000; Linux GA 0.998 PA 0.982 FTA 0.878
    res = bench_parse(data_dir / "loghub-2k", with_drain3=False, systems=["HDFS", "Linux"])
    got = {r.system: r.scores for r in res}
    assert got["HDFS"].ga >= 0.97 and got["HDFS"].pa >= 0.97 and got["HDFS"].fta >= 0.9
    assert got["Linux"].ga >= 0.96 and got["Linux"].pa >= 0.95 and got["Linux"].fta >= 0.83
