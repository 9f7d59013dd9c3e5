"""``logkit bench detect``: errors in the routed share, out-of-fold scoring, the classic baselines, targets."""

from __future__ import annotations

from test_sessions_model import _sessions

from logkit.bench.detect import classic_rows, metrics, missed, out_of_fold
from logkit.detect.labels import Labels


def test_metrics_count_errors_and_those_routed() -> None:
    recs = [{"anomaly": True, "score": 0.9, "routed": False}, {"anomaly": True, "score": 0.6, "routed": True},
            {"anomaly": False, "score": 0.4, "routed": False}, {"anomaly": False, "score": 0.1, "routed": False}]
    m = metrics(recs, [1, 0, 1, 0])
    assert m["errors"] == 2 and m["errors_routed"] == 1


def test_out_of_fold_and_baselines_on_sessions() -> None:
    groups, y = _sessions(300, 0)
    labels = Labels("session", by_session={g.key: v for g, v in zip(groups, y, strict=True)})
    oof = out_of_fold(groups, y, labels, "stratified")
    assert oof["items"] == 300 and oof["f1"] > 0.9 and oof["errors_routed"] <= oof["errors"]
    test, truth = _sessions(100, 1)
    rows = classic_rows("s", groups, y, test, truth)
    assert [r["model"] for r in rows] == ["decision tree", "logistic regression", "PCA", "IsolationForest"]
    assert all(0.0 <= r["f1"] <= 1.0 for r in rows)
    windows = out_of_fold(groups, y, labels, "time")
    assert windows["items"] == 300
    forward = out_of_fold(groups, y, labels, "forward")  # the first fifth only trains: 4 of 5 scored
    assert forward["items"] == 240 and forward["anomalies"] == sum(y[60:])


def test_missed_targets_are_named() -> None:
    base = {"items": 1, "anomalies": 1, "precision": 1.0, "recall": 1.0, "roc_auc": 1.0}
    rows = [{**base, "data": "BGL", "model": "ours", "f1": 0.96, "routed": 0.05},
            {**base, "data": "BGL", "model": "decision tree", "f1": 0.99},
            {**base, "data": "BGL train 5-fold", "model": "ours (out of fold)", "f1": 0.9, "routed": 0.1,
             "errors": 4, "errors_routed": 1}]
    out = missed(rows)
    assert len(out) == 3 and "a baseline beats ours" in out[1] and "1 of 4 errors routed" in out[2]
    rows[0]["f1"], rows[1]["f1"], rows[2]["errors_routed"] = 0.99, 0.98, 2
    assert missed(rows) == []
