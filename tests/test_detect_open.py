"""Items cut by the end of the input (``open``): marked by the grouping, not judged as if complete."""

from __future__ import annotations

import json
from pathlib import Path

from logkit.detect.api import detect, load_model, train
from logkit.detect.grouping import group_events, parse_grouping, session_gap
from logkit.models.small import SmallDetector
from logkit.records import Event, Group


def _ev(line: int, text: str) -> Event:
    return Event(line, "t" + text.split()[0], text.split()[0] + " <*>", text)


def test_sessions_active_at_the_end_are_open_and_the_last_partial_window_too() -> None:
    evs = [_ev(1, "start a"), _ev(2, "start b"), _ev(3, "done a"), _ev(50, "start c"), _ev(52, "step b"),
           _ev(53, "step c")]
    groups = {g.key: g for g in group_events(evs, parse_grouping(r"\b[abc]$", None), open_within=5)}
    assert not groups["a"].open and groups["b"].open and groups["c"].open
    assert not any(g.open for g in group_events(evs, parse_grouping(r"\b[abc]$", None)))
    windows = list(group_events(evs, parse_grouping(None, "4")))
    assert [w.open for w in windows] == [False, True]
    assert session_gap([groups["b"]]) == 50 and session_gap([]) == 0


def _session(key: str, first: int, steps: list[str], step: int = 3) -> list[tuple[int, str]]:
    return [(first + i * step, f"{s} {key}") for i, s in enumerate(steps)]


def test_a_cut_session_is_not_held_missing_what_may_still_come(tmp_path: Path) -> None:
    full = ["start", "query", "reply", "done"]
    lines: list[tuple[int, str]] = []
    for i in range(60):
        lines += _session(f"req_{i:03d}", 1 + 2 * i, full)
    body = [text for _, text in sorted(lines)]
    (tmp_path / "train.log").write_text("\n".join(body) + "\n")
    model = train(str(tmp_path / "train.log"), tmp_path / "m", grouping=parse_grouping(r"req_\d+", None),
                  format="none")
    assert model.trained["open_within_lines"] >= 1
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["trained"]["open_within_lines"] == model.trained["open_within_lines"]
    # a session that stopped after two steps long ago (anomalous), and one still running at the end
    test = ["start req_900", "query req_900"] + [f"{s} req_{i:03d}" for i in range(100, 120) for s in full]
    test += ["start req_901", "query req_901"]
    (tmp_path / "test.log").write_text("\n".join(test) + "\n")
    recs = {r["group"]: r for r in detect(str(tmp_path / "test.log"), load_model(tmp_path / "m"))}
    stopped, running = recs["req_900"], recs["req_901"]
    assert stopped["score"] > 0.3 and stopped["uncertainty"] >= 0.5  # missing two steps: suspicious
    assert running["score"] == 0.0 and not running["anomaly"]  # the same two lines, but may go on
    # ... said so, and less sure than a whole session: half of it is still to come, which no reader of
    # the same two lines (the LLM) knows either, so it is not routed; the stopped one is
    assert running["reason"] == ("still open at the end of the input: judged on its first 2 lines; whole ones "
                                 "in training have about 4")
    assert running["uncertainty"] == 0.5 and not running["routed"] and stopped["routed"]
    whole = [r for k, r in recs.items() if k not in ("req_900", "req_901")]
    assert all(r["reason"] is None and r["uncertainty"] < running["uncertainty"] for r in whole)
    assert not any(r["anomaly"] for k, r in recs.items() if k not in ("req_900", "req_901"))


def test_open_is_a_feature_of_the_supervised_model() -> None:
    def grp(key: str, line: int, templates: list[str], open_: bool) -> Group:
        g = Group(key, line, line, open=open_)
        for i, t in enumerate(templates):
            g.add(Event(line + i, "t" + t, t + " <*>", t + " 1"))
        return g

    groups = [grp(f"s{i}", 10 * i, ["start", "query"], i % 2 == 0) for i in range(80)]
    labels = [int(i % 2 == 1 and i % 4 == 1) for i in range(80)]  # only closed short sessions are bad
    det = SmallDetector().fit(groups, labels)
    closed, cut = det.score([grp("x", 1, ["start", "query"], False), grp("y", 1, ["start", "query"], True)])
    assert closed.score > cut.score and cut.score < 0.5
    assert "still open at the end of the input" not in closed.reason
    assert "still open at the end of the input" in det._reason(grp("y", 1, ["start"], True), [], 0.0, "", 0, [], "")


def test_the_model_keeps_its_parser_state_and_detect_reuses_its_template_ids(tmp_path: Path) -> None:
    users = ["alice", "bob", "carol", "dave", "erin"]
    body = [f"{s} request req_{i:03d} for user {users[i % 5]} on the main shard now" for i in range(40)
            for s in ("start", "reply", "done")]
    (tmp_path / "train.log").write_text("\n".join(body) + "\n")
    train(str(tmp_path / "train.log"), tmp_path / "m", grouping=parse_grouping(r"req_\d+", None), format="none")
    state = json.loads((tmp_path / "m" / "parser_state.json").read_text())
    trained_ids = {t["template_id"] for t in state["templates"]}
    assert len(trained_ids) == 3
    # a short test file: mined alone, "alice" would stay a constant; with the state it is the known template
    (tmp_path / "test.log").write_text("".join(f"{s} request req_900 for user alice on the main shard now\n"
                                               for s in ("start", "reply", "done")))
    recs = list(detect(str(tmp_path / "test.log"), load_model(tmp_path / "m")))
    assert len(recs) == 1 and not recs[0]["anomaly"] and recs[0]["reason"] is None
    from logkit.detect.reading import read_events

    ids = {ev.template_id for ev in read_events(str(tmp_path / "test.log"), format="none",
                                                    state=tmp_path / "m" / "parser_state.json")}
    assert ids == trained_ids
    alone = {ev.template_id for ev in read_events(str(tmp_path / "test.log"), format="none")}
    assert alone.isdisjoint(trained_ids)  # what detect saw before models kept their parser state


def test_device_cuda_with_the_router_method_says_it_runs_on_the_cpu(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from logkit.cli import cli

    (tmp_path / "a.log").write_text("".join(f"start request req_{i} now\n" for i in range(30)))
    train(str(tmp_path / "a.log"), tmp_path / "m", grouping=parse_grouping(None, "10"), format="none")
    r = CliRunner().invoke(cli, ["detect", str(tmp_path / "a.log"), "--model", str(tmp_path / "m"),
                                 "--device", "cuda", "--output-format", "jsonl"])
    assert r.exit_code == 0, r.output
    assert "--device cuda is ignored" in r.stderr and len(r.stdout.splitlines()) == 3


def test_parse_records_become_events_with_their_content_rebuilt() -> None:
    from datetime import datetime

    from logkit.detect.grouping import EventMaker

    event_from_record = EventMaker().from_record  # one per input: it shares what repeats

    def rec(line: int, ts: str | None, values: list[object]) -> dict[str, object]:
        return {"line": line, "timestamp": ts, "fields": {"Level": "INFO", "Pid": "12"}, "template_id": "t1",
                "template": "open <*> in <*> ms", "params": [{"value": v, "type": "OTP"} for v in values]}

    a = event_from_record(rec(1, "2024-01-02T03:04:05", ["a.txt", 7]))
    b = event_from_record(rec(2, "2024-01-02T03:04:05", ["b.txt", "8"]))
    c = event_from_record(rec(3, "not a time", ["c.txt", "9"]))
    d = event_from_record(rec(4, None, ["x"]))  # params that do not fit the template: kept after it
    assert (a.content, b.content, c.content) == ("open a.txt in 7 ms", "open b.txt in 8 ms", "open c.txt in 9 ms")
    assert a.timestamp == b.timestamp == datetime(2024, 1, 2, 3, 4, 5) and c.timestamp is None
    assert d.content == "open <*> in <*> ms x" and d.timestamp is None
    assert a.fields == (("Level", "INFO"),) and a.fields is b.fields  # one shared tuple per kind
