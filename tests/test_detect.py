"""``logkit train`` / ``logkit detect`` end to end on a small synthetic log; router and bench metrics."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import write_session_log as write_log

from logkit.cli import cli
from logkit.cli.detect import command as detect_command
from logkit.cli.train import command as train_command
from logkit.detect.router import Router, parse_budget
from logkit.errors import UsageError

KEYS = ["group", "first_line", "last_line", "lines", "start", "end", "score", "threshold", "anomaly",
        "uncertainty", "routed", "decided_by", "method", "reason"]


@pytest.fixture()
def trained(tmp_path):  # type: ignore[no-untyped-def]
    labels = write_log(tmp_path / "train.log", 300, 0.15, 1)
    (tmp_path / "labels.csv").write_text("session,label\n" + "".join(f"{k},{v}\n" for k, v in labels.items()))
    r = CliRunner().invoke(train_command, [str(tmp_path / "train.log"), "--model", str(tmp_path / "m"),
                                           "--session", r"req_\d+", "--labels", str(tmp_path / "labels.csv")])
    assert r.exit_code == 0, r.output
    return tmp_path


def test_detect_records_follow_the_contract(trained) -> None:  # type: ignore[no-untyped-def]
    truth = write_log(trained / "test.log", 80, 0.2, 2)
    r = CliRunner().invoke(detect_command, [str(trained / "test.log"), "--model", str(trained / "m"),
                                            "--output-format", "jsonl"])
    assert r.exit_code == 0, r.output
    recs = [json.loads(x) for x in r.output.splitlines()]
    assert len(recs) == 80
    assert all(list(x) == KEYS for x in recs)
    assert all(x["reason"] for x in recs if x["anomaly"])
    # a normal item says nothing, unless the end of the input cut it
    assert all(x["reason"] is None or x["reason"].startswith("still open at the end of the input")
               for x in recs if not x["anomaly"])
    right = sum(x["anomaly"] == bool(truth[x["group"]]) for x in recs)
    assert right >= 78
    assert sum(x["routed"] for x in recs) <= 8 + 1


def test_fail_on_anomaly_and_parse_jsonl_input(trained) -> None:  # type: ignore[no-untyped-def]
    write_log(trained / "test.log", 40, 0.3, 3)
    runner = CliRunner()
    r = runner.invoke(detect_command, [str(trained / "test.log"), "--model", str(trained / "m"),
                                       "--output-format", "jsonl", "--fail-on-anomaly"])
    assert r.exit_code == 3
    parsed = runner.invoke(cli, ["parse", str(trained / "test.log"), "--output-format", "jsonl"])
    assert parsed.exit_code == 0
    (trained / "test.jsonl").write_text(parsed.output)
    r2 = runner.invoke(detect_command, [str(trained / "test.jsonl"), "--model", str(trained / "m"),
                                        "--output-format", "jsonl"])
    assert r2.exit_code == 0
    a = [json.loads(x)["group"] for x in r.output.splitlines()]
    b = [json.loads(x)["group"] for x in r2.output.splitlines()]
    assert a == b


def test_window_training_without_labels(tmp_path) -> None:  # type: ignore[no-untyped-def]
    write_log(tmp_path / "a.log", 100, 0.0, 4)
    r = CliRunner().invoke(train_command, [str(tmp_path / "a.log"), "--model", str(tmp_path / "m"),
                                           "--window", "10"])
    assert r.exit_code == 0, r.output
    write_log(tmp_path / "b.log", 20, 1.0, 5)
    r = CliRunner().invoke(detect_command, [str(tmp_path / "b.log"), "--model", str(tmp_path / "m"),
                                            "--output-format", "jsonl"])
    recs = [json.loads(x) for x in r.output.splitlines()]
    assert recs[0]["group"] == "w1" and all(x["anomaly"] for x in recs)
    assert "never seen in training" in recs[0]["reason"]


def test_errors_are_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from logkit.detect.api import load_model
    from logkit.errors import StateError

    with pytest.raises(StateError, match="logkit train"):
        load_model(tmp_path)


def test_budget_and_router() -> None:
    assert parse_budget("10%").percent == 10 and parse_budget("25").count == 25
    with pytest.raises(UsageError):
        parse_budget("lots")
    router = Router(parse_budget("20%"), min_uncertainty=0.5)
    routed = [router.route(1.0) for _ in range(50)]
    assert sum(routed) == 10
    router = Router(parse_budget("3"))
    assert sum(router.route(0.9) for _ in range(10)) == 3 and not Router(parse_budget("3")).route(0.1)


def test_bench_metrics() -> None:
    from logkit.bench.detect import expected_calibration_error, metrics

    recs = [{"anomaly": True, "score": 0.9, "routed": False}, {"anomaly": True, "score": 0.6, "routed": True},
            {"anomaly": False, "score": 0.1, "routed": False}]
    m = metrics(recs, [1, 0, 0])
    assert m["precision"] == 0.5 and m["recall"] == 1.0 and m["f1_routed_correct"] == 1.0
    assert abs(expected_calibration_error([0.9, 0.1], [1, 0]) - 0.1) < 1e-9


def test_route_batch_gives_the_budget_to_the_most_uncertain_and_asks_a_pattern_once() -> None:
    router = Router(parse_budget("20%"), min_uncertainty=0.5)
    out = router.route_batch([0.6, 0.9, 0.1, 0.7, 0.95, 0.55, 0.8, 0.2, 0.3, 0.4])
    assert out == [False, True, False, False, True, False, False, False, False, False]
    keyed = Router(parse_budget("30%"))
    out = keyed.route_batch([0.9, 0.9, 0.8, 0.7, 0.6, 0.1, 0.1, 0.1, 0.1, 0.1], ["a", "a", "b", "c", "d"] + ["e"] * 5)
    assert out == [True, False, True, True] + [False] * 6 and keyed.asked("a") and not keyed.asked("d")
    assert Router(parse_budget("3")).route_batch([0.9]) == [True]


def test_f1_ceiling_of_items_a_detector_cannot_tell_apart() -> None:
    from logkit.bench.detect import f1_ceiling

    assert f1_ceiling(["a", "a", "b", "c"], [1, 0, 1, 0]) == pytest.approx(0.8)  # flag b, then a
    assert f1_ceiling(["x"] * 10, [1] + [0] * 9) == pytest.approx(2 / 11)  # all alike: flag all or none
    assert f1_ceiling(["a", "b"], [0, 1]) == 1.0 and f1_ceiling(["a"], [0]) == 0.0
