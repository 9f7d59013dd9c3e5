"""``logkit bench detect --method graph``: the graph detector beside PCA and Isolation Forest baselines.

Same splits as the router benchmark (BGL windows, HDFS sessions), no labels given to any method. The
baselines (scikit-learn) see template-count vectors of the very same windows, with one extra column
counting templates never seen in training; their threshold: trained on the older 80 % of the training
items, the 95th percentile of their scores on the newer 20 %. The graph method uses its own (a window
whose surprise exceeds 2 log N nats for N training lines). ``best F1`` is the F1 at the best threshold on the
test items themselves: not reachable in use, it compares the rankings apart from the thresholds.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from logkit.bench.detect_common import baseline_rows, bgl_data, hdfs_data, score_row

__all__ = ["run_graph_bench", "render_graph"]


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
