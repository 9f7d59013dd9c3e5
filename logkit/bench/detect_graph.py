"""``logkit bench detect --method graph``: the graph detector beside PCA and Isolation Forest baselines.

Same splits as the router benchmark (BGL windows, HDFS sessions), no labels given to any method. The
baselines (scikit-learn) see template-count vectors of the very same windows, with one extra column
counting templates never seen in training; their threshold: trained on the older 80 % of the training
items, the 95th percentile of their scores on the newer 20 %. The graph method uses its own (a window
whose surprise exceeds 2 log N nats for N training lines). ``best F1`` is the F1 at the best threshold on the
test items themselves: not reachable in use, it compares the rankings apart from the thresholds.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["run_graph_bench", "render_graph", "baseline_rows", "score_row", "best_f1"]

QUANTILE = 0.95
HOLDOUT = 0.2


def score_row(data: str, method: str, scores: Sequence[float], pred: Sequence[bool],
              truth: Sequence[int]) -> dict[str, Any]:
    """Precision, recall, F1 and ROC-AUC of one method on one data set."""
    from sklearn.metrics import roc_auc_score

    from logkit.bench.detect import prf

    prec, rec, f1 = prf(pred, truth)
    auc = float(roc_auc_score(truth, scores)) if 0 < sum(truth) < len(truth) else math.nan
    return {"data": data, "method": method, "items": len(truth), "anomalies": int(sum(truth)),
            "precision": prec, "recall": rec, "f1": f1, "roc_auc": auc, "best_f1": best_f1(scores, truth)}


def best_f1(scores: Sequence[float], truth: Sequence[int]) -> float:
    """The F1 of the best threshold on these very items (ties are decided together)."""
    positives = sum(1 for t in truth if t)
    best = 0.0
    tp = fp = 0
    ranked = sorted(zip(scores, truth, strict=True), key=lambda st: -st[0])
    for k, (s, t) in enumerate(ranked):
        tp += int(bool(t))
        fp += int(not t)
        if (k + 1 == len(ranked) or ranked[k + 1][0] != s) and tp:
            best = max(best, 2 * tp / (2 * tp + fp + positives - tp))
    return best


def _counts(groups: Sequence[Any], vocab: dict[str, int]) -> Any:
    import numpy as np

    x = np.zeros((len(groups), len(vocab) + 1))
    for r, g in enumerate(groups):
        for tid, c in Counter(ev.template_id for ev in g.events).items():
            x[r, vocab.get(tid, len(vocab))] += c
    return np.log1p(x)


def _fit_score(kind: str, train: Sequence[Any], test: Sequence[Any]) -> list[float]:
    """Fit one baseline on training groups; anomaly scores (higher is worse) of the test groups."""
    import numpy as np

    vocab = {t: i for i, t in enumerate(sorted({ev.template_id for g in train for ev in g.events}))}
    xtr, xte = _counts(train, vocab), _counts(test, vocab)
    if kind == "PCA":
        from sklearn.decomposition import PCA

        mean = xtr.mean(axis=0)
        ncomp = min(xtr.shape[0], xtr.shape[1])
        pca = PCA(n_components=0.95 if ncomp > 1 and xtr.std() > 0 else None, svd_solver="full",
                  random_state=0).fit(xtr - mean)
        proj = (xte - mean) @ pca.components_.T @ pca.components_
        return [float(v) for v in np.square(xte - mean - proj).sum(axis=1)]
    from sklearn.ensemble import IsolationForest

    forest = IsolationForest(n_estimators=100, random_state=0).fit(xtr)
    return [float(-v) for v in forest.score_samples(xte)]


def baseline_rows(data: str, train: Sequence[Any], test: Sequence[Any], truth: Sequence[int],
                  keep: Sequence[bool]) -> list[dict[str, Any]]:
    """PCA and Isolation Forest rows, thresholds set on the newest training items held out."""
    rows = []
    n_hold = max(int(len(train) * HOLDOUT), 1)
    for kind in ("PCA", "IsolationForest"):
        held = sorted(_fit_score(kind, train[:-n_hold], train[-n_hold:]))
        thr = held[min(len(held) - 1, int(QUANTILE * len(held)))]
        scores = [s for s, k in zip(_fit_score(kind, train, test), keep, strict=True) if k]
        rows.append(score_row(data, kind, scores, [s > thr for s in scores], truth))
    return rows


def _one(d: dict[str, Any], tmp: Path) -> list[dict[str, Any]]:
    from logkit.detect.api import detect, load_model, train
    from logkit.detect.grouping import group_events
    from logkit.detect.reading import read_events

    name = d["name"]
    tr, te = tmp / f"{name}_train.log", tmp / f"{name}_test.log"
    tr.write_bytes(b"\n".join(d["train"]) + b"\n")
    te.write_bytes(b"\n".join(d["test"]) + b"\n")
    t0 = time.perf_counter()
    train(str(tr), tmp / f"{name}_graph", grouping=d["grouping"], method="graph")
    t_train = time.perf_counter() - t0
    model = load_model(tmp / f"{name}_graph")
    t0 = time.perf_counter()
    records = list(detect(str(te), model))
    t_detect = time.perf_counter() - t0
    keep = [d["keep"] is None or bool(d["keep"](r)) for r in records]
    kept = [r for r, k in zip(records, keep, strict=True) if k]
    truth = [int(d["truth_of"](r)) for r in kept]
    row = score_row(name, "graph", [float(r["score"]) for r in kept], [bool(r["anomaly"]) for r in kept], truth)
    row.update(train_s=t_train, detect_lines_s=len(d["test"]) / t_detect if t_detect else 0.0)
    fmt = model.format_spec
    train_groups = list(group_events(read_events(str(tr), format=fmt), d["grouping"]))
    test_groups = list(group_events(read_events(str(te), format=fmt), d["grouping"]))
    if [g.key for g in test_groups] != [r["group"] for r in records]:  # pragma: no cover - a bug if it happens
        raise AssertionError("the baselines must see the windows the graph method scored")
    return [row, *baseline_rows(name, train_groups, test_groups, truth, keep)]


def run_graph_bench(root: Path) -> list[dict[str, Any]]:
    """BGL windows and HDFS sessions: one row per method (graph, PCA, IsolationForest) and data set."""
    from logkit.bench.detect import bgl_data, hdfs_data

    with tempfile.TemporaryDirectory(prefix="logkit-bench-graph-") as t:
        tmp = Path(t)
        return _one(bgl_data(root), tmp) + _one(hdfs_data(root), tmp)


def render_graph(rows: list[dict[str, Any]]) -> str:
    """A plain-text table of :func:`run_graph_bench` rows."""
    head = ["data", "method", "items", "anom", "P", "R", "F1", "AUC", "best F1", "train s", "lines/s"]
    table = [head]
    for r in rows:
        table.append([r["data"], r["method"], str(r["items"]), str(r["anomalies"]), f"{r['precision']:.3f}",
                      f"{r['recall']:.3f}", f"{r['f1']:.3f}", f"{r['roc_auc']:.3f}", f"{r['best_f1']:.3f}",
                      f"{r['train_s']:.1f}" if "train_s" in r else "",
                      f"{r['detect_lines_s']:,.0f}" if "detect_lines_s" in r else ""])
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(row, widths, strict=True))) for row in table)
