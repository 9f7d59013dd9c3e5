"""The graph method (issue 12): window graphs, the torch model, save/load, CLI train -> detect, no-torch error."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from logkit.cli import cli
from logkit.errors import DependencyError, StateError
from logkit.models.base import Detector, load_detector
from logkit.models.graphs import GraphSpec, Vocab, build_graph
from logkit.records import Event, Group, Param, VarType

torch = pytest.importorskip("torch")

from logkit.models.graph import CONFIG_FILE, GraphDetector  # noqa: E402

FAST = {"dim": 16, "epochs": 8, "max_steps": 60, "batch": 32}
NORMAL = [("t1", "connect from <*> to <*>", ("LOI", "LOI")), ("t2", "read block <*>", ("OID",)),
          ("t3", "close session <*>", ("OID",))]
BAD = ("t9", "disk failure on <*>", ("LOI",))


def _window(k: int, line: int, rng: random.Random, bad: bool = False) -> Group:
    g = Group(f"w{k}", line, line)
    for n in range(10):
        if bad and n == 5:
            tid, tpl, types = BAD
        else:
            tid, tpl, types = NORMAL[n % 3]
        params = tuple(Param(f"10.0.0.{rng.randint(1, 3)}" if t == "LOI" else f"blk_{rng.randint(1, 5)}",
                             VarType(t), 0, 0) for t in types)
        g.add(Event(line + n, tid, tpl, tpl, None, (("Level", "ERROR" if bad and n == 5 else "INFO"),), params,
                    (("Host", f"node{rng.randint(1, 2)}"),)))
    return g


def _windows(n: int, seed: int = 0, bad: frozenset[int] = frozenset()) -> list[Group]:
    rng = random.Random(seed)
    return [_window(k, 1 + 10 * k, rng, k in bad) for k in range(n)]


def test_graph_construction() -> None:
    g = build_graph(_windows(1, bad=frozenset({0}))[0], GraphSpec())
    assert g.events == ["t1", "t2", "t3", "t9"]
    assert sum(g.event_counts) == 10 and g.event_counts[3] == 1
    assert all(e.startswith(("LOI:", "OID:", "Host=")) for e in g.entities)
    assert any(k.startswith("Host=") for k in g.entities)  # header ids are entities by default
    # every link joins an event node to an entity node the event's line named
    assert all(0 <= i < len(g.events) and 0 <= j < len(g.entities) for i, j in g.links)
    assert (0, 1) in g.steps and (1, 2) in g.steps and sum(g.steps.values()) == 9
    only_oid = build_graph(_windows(1)[0], GraphSpec(entity_types=("OID",), entity_fields=()))
    assert only_oid.entities and all(e.startswith("OID:") for e in only_oid.entities)
    from logkit.detect.grouping import event_from_record

    rec = {"line": 7, "template_id": "t2", "template": "read block <*> via <*>", "fields": {"Host": "node1",
           "Level": "INFO"}, "params": [{"value": "blk_9", "type": "OID"}, {"value": "x", "type": "NOPE"}]}
    grp = Group("w", 7, 7)
    grp.add(event_from_record(rec))
    from_json = build_graph(grp, GraphSpec())  # parse JSONL input: variables and header ids are entities too
    assert from_json.entities == ["OID:blk_9", "Host=node1"] and from_json.kinds == [(("Level", "INFO"),)]
    v = Vocab.build(__import__("collections").Counter({"a": 3, "b": 1, "c": 2}), 3)
    assert v.keys == ["<unknown>", "a", "c"] and v.index("b") == 0 and v.index("a") == 1


def test_anomalous_window_scores_above_normal() -> None:
    det = GraphDetector(**FAST).fit(_windows(60))
    test = _windows(20, seed=1, bad=frozenset({7, 15}))
    scores = det.score(test)
    bad = [scores[7].score, scores[15].score]
    normal = [s.score for k, s in enumerate(scores) if k not in (7, 15)]
    assert min(bad) > max(normal)
    assert all(0.0 <= s.score <= 1.0 and 0.0 <= s.uncertainty <= 1.0 for s in scores)
    top = scores[7].top
    assert top and "t9" in top[0]["what"] and 0.0 < top[0]["weight"] <= 1.0
    assert "t9" in scores[7].reason and "never seen" in scores[7].reason


def _with_new_event(g: Group, level: str) -> Group:
    """``g`` with its sixth line replaced by a template never seen in training, logged at ``level``."""
    out = Group(g.key, g.first_line, g.first_line)
    for n, ev in enumerate(g.events):
        if n == 5:
            ev = Event(ev.line, "t8", "cache warmed in <*> ms", "cache warmed in 3 ms", None, (("Level", level),))
        out.add(ev)
    return out


def test_unseen_event_of_a_rare_kind_costs_more_and_normal_windows_stay_below_threshold() -> None:
    det = GraphDetector(**FAST).fit(_windows(60))
    base = _windows(3, seed=3)
    scores = det.score([base[0], _with_new_event(base[1], "INFO"), _with_new_event(base[2], "FATAL")])
    normal, new_info, new_fatal = (s.score for s in scores)
    assert normal < 0.5 <= new_fatal  # rarity threshold: log(training lines) nats
    assert normal < new_info < new_fatal  # novelty priced by how rare its kind (level) was in training


def test_an_event_rare_in_training_stays_surprising() -> None:
    train = _windows(60, bad=frozenset({10, 40}))  # the bad event twice among 600 lines: known, but rare
    scores = GraphDetector(**FAST).fit(train).score(_windows(10, seed=4, bad=frozenset({6})))
    assert scores[6].score > max(s.score for k, s in enumerate(scores) if k != 6)
    plain = GraphDetector(**FAST, base_rate=False).fit(train).score(_windows(10, seed=4, bad=frozenset({6})))
    assert scores[6].score >= plain[6].score


def test_training_is_deterministic_and_round_trips(tmp_path: Path) -> None:
    train = _windows(40)
    a = GraphDetector(**FAST).fit(train)
    b = GraphDetector(**FAST).fit(train)
    test = _windows(8, seed=2, bad=frozenset({3}))
    sa = [s.score for s in a.score(test)]
    assert sa == [s.score for s in b.score(test)]
    a.save(tmp_path)
    back = GraphDetector.load(tmp_path)
    assert [round(s.score, 6) for s in back.score(test)] == [round(s.score, 6) for s in a.score(test)]
    meta = json.loads((tmp_path / CONFIG_FILE).read_text())
    meta["version"] = 99
    (tmp_path / CONFIG_FILE).write_text(json.dumps(meta))
    with pytest.raises(StateError, match="version"):
        GraphDetector.load(tmp_path)


def test_a_score_depends_on_what_was_scored_before_only_in_a_stream() -> None:
    det = GraphDetector(**FAST).fit(_windows(40))
    test = _windows(6, seed=2, bad=frozenset({3}))
    alone = [s.score for s in det.score(test)]
    det.score(_windows(9, seed=7, bad=frozenset({1, 5})))  # scoring something else in between changes nothing
    assert [s.score for s in det.score(test)] == alone
    assert isinstance(det, Detector) and load_detector is not None
    # a stream carries its context from batch to batch: two halves with one context score as one call
    ctx = det.new_context()
    halves = [s.score for s in det.score(test[:3], ctx)] + [s.score for s in det.score(test[3:], ctx)]
    assert [round(x, 9) for x in halves] == [round(x, 9) for x in alone]
    fresh = [s.score for s in det.score(test[3:])]
    assert fresh != alone[3:]  # without the context, the first windows of the second half read no history


def test_cuda_refused_without_gpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    GraphDetector(**FAST).fit(_windows(20)).save(tmp_path)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(Exception, match="no GPU"):
        GraphDetector.load(tmp_path, device="cuda")


def _log(path: Path, n_windows: int, seed: int, bad: frozenset[int] = frozenset()) -> None:
    rng = random.Random(seed)
    lines = []
    for k in range(n_windows):
        for n in range(10):
            ts = f"2024-01-01 10:{(k * 10 + n) // 60 % 60:02d}:{(k * 10 + n) % 60:02d}"
            host = f"10.0.0.{rng.randint(1, 3)}"
            if k in bad and n == 4:
                lines.append(f"{ts} ERROR disk: controller failure on /dev/sd{rng.choice('ab')} port {host}")
            elif n % 2:
                lines.append(f"{ts} INFO net: connection from {host} accepted id {rng.randint(1, 9)}")
            else:
                lines.append(f"{ts} INFO store: read blk_{rng.randint(100, 105)} bytes {rng.randint(1, 999)}")
    path.write_text("\n".join(lines) + "\n")


def test_cli_train_detect_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    train, test, model = tmp_path / "train.log", tmp_path / "test.log", tmp_path / "m"
    _log(train, 40, 0)
    _log(test, 12, 1, frozenset({5}))
    monkeypatch.setattr(GraphDetector.__init__, "__kwdefaults__",
                        {**(GraphDetector.__init__.__kwdefaults__ or {}), **FAST})
    runner = CliRunner()
    res = runner.invoke(cli, ["train", str(train), "--method", "graph", "--model", str(model), "--window", "10"])
    assert res.exit_code == 0, res.output
    assert json.loads((model / "model.json").read_text())["method"] == "graph"
    res = runner.invoke(cli, ["detect", str(test), "--model", str(model), "--output-format", "jsonl"])
    assert res.exit_code == 0, res.output
    recs = [json.loads(x) for x in res.stdout.splitlines() if x.strip()]
    assert len(recs) == 12
    keys = {"group", "first_line", "last_line", "lines", "start", "end", "score", "threshold", "anomaly",
            "uncertainty", "routed", "decided_by", "method", "reason", "top"}
    assert all(keys <= set(r) for r in recs)
    assert all(r["method"] == "graph" and isinstance(r["top"], list) for r in recs)
    assert max(recs, key=lambda r: r["score"])["group"] == "w6"
    assert all(r["reason"] for r in recs if r["anomaly"]) and all(r["reason"] is None for r in recs
                                                                    if not r["anomaly"])
    assert all(set(t) == {"what", "weight"} for r in recs for t in r["top"])


def test_missing_torch_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from logkit.detect.api import train
    from logkit.detect.grouping import Grouping

    log = tmp_path / "a.log"
    _log(log, 3, 0)
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.delitem(sys.modules, "logkit.models.graph", raising=False)
    with pytest.raises(DependencyError, match=r"pip install 'logkit\[graph\]'"):
        train(str(log), tmp_path / "m", grouping=Grouping("count", size=10), method="graph")
    res = CliRunner().invoke(cli, ["train", str(log), "--method", "graph", "--model", str(tmp_path / "m2"),
                                   "--window", "10"])
    assert res.exit_code == 1 and "logkit[graph]" in res.output and len(res.output.strip().splitlines()) == 1


def test_follow_scores_each_window_as_it_closes(tmp_path: Path) -> None:
    import threading
    import time

    from logkit.detect.api import detect, load_model, train
    from logkit.detect.grouping import Grouping

    log, live = tmp_path / "train.log", tmp_path / "live.log"
    _log(log, 30, 0)
    train(str(log), tmp_path / "m", grouping=Grouping("count", size=10), method="graph", params=FAST)
    model = load_model(tmp_path / "m")
    _log(live, 2, 1)
    flag = {"stop": False}
    out: list[dict[str, object]] = []
    t = threading.Thread(target=lambda: out.extend(
        detect(str(live), model, follow=True, stop=lambda: flag["stop"])))
    seen: list[int] = []

    def wait(n: int) -> None:
        for _ in range(200):
            if len(out) >= n:
                return
            time.sleep(0.05)

    t.start()
    try:
        wait(2)
        seen.append(len(out))
        extra = tmp_path / "more.log"
        _log(extra, 3, 2, frozenset({2}))
        with live.open("a") as fh:
            fh.write(extra.read_text())
        wait(5)
        seen.append(len(out))
    finally:
        flag["stop"] = True
        t.join(10)
    assert seen == [2, 5]  # the first two windows came out before more lines were written
    assert [r["group"] for r in out] == ["w1", "w2", "w3", "w4", "w5"]
    assert max(out, key=lambda r: float(r["score"]))["group"] == "w5"  # type: ignore[arg-type]
    assert all("top" in r for r in out)
