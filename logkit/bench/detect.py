"""``logkit bench detect``: HDFS sessions and BGL windows, scored the way DESIGN.md 3.1 fixes.

Columns: precision, recall, F1 (final decisions, no LLM), ROC-AUC, the share of items routed, expected
calibration error, and F1 had every routed item been decided correctly (the most a perfect LLM adds).
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from logkit.errors import InputError

__all__ = ["run_bench", "prf", "bench_hdfs", "bench_bgl", "hdfs_data", "bgl_data", "metrics",
           "expected_calibration_error", "f1_ceiling", "render", "command"]


def expected_calibration_error(scores: Sequence[float], truth: Sequence[int], bins: int = 10) -> float:
    """ECE: the gap between mean score and anomaly rate per score bin, weighted by the bin's items."""
    n = len(scores)
    if not n:
        return 0.0
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, s in enumerate(scores) if lo <= s < hi or (b == bins - 1 and s == 1.0)]
        if idx:
            conf = sum(scores[i] for i in idx) / len(idx)
            acc = sum(truth[i] for i in idx) / len(idx)
            total += len(idx) / n * abs(conf - acc)
    return total


def prf(pred: Sequence[bool], truth: Sequence[int]) -> tuple[float, float, float]:
    """Precision, recall and F1 of the decisions ``pred`` against the labels ``truth``."""
    tp = sum(1 for p, t in zip(pred, truth, strict=True) if p and t)
    fp = sum(1 for p, t in zip(pred, truth, strict=True) if p and not t)
    fn = sum(1 for p, t in zip(pred, truth, strict=True) if not p and t)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


def metrics(records: Sequence[dict[str, Any]], truth: Sequence[int]) -> dict[str, Any]:
    """The benchmark columns for detection records and their true 0/1 labels."""
    from sklearn.metrics import roc_auc_score

    pred = [bool(r["anomaly"]) for r in records]
    scores = [float(r["score"]) for r in records]
    prec, rec, f1 = prf(pred, truth)
    fixed = [bool(t) if r["routed"] else p for r, p, t in zip(records, pred, truth, strict=True)]
    auc = roc_auc_score(truth, scores) if 0 < sum(truth) < len(truth) else math.nan
    return {"items": len(records), "anomalies": sum(truth), "precision": prec, "recall": rec, "f1": f1,
            "roc_auc": float(auc), "routed": sum(1 for r in records if r["routed"]) / max(len(records), 1),
            "ece": expected_calibration_error(scores, truth), "f1_routed_correct": prf(fixed, truth)[2]}


def f1_ceiling(keys: Sequence[Any], truth: Sequence[int]) -> float:
    """The best F1 any detector could reach if it saw only ``keys`` (e.g. each item's template sequence):
    items with equal keys get the same decision, so classes are flagged best first by their anomaly share."""
    classes: dict[Any, list[int]] = {}
    for k, t in zip(keys, truth, strict=True):
        classes.setdefault(k, [0, 0])[int(bool(t))] += 1
    positives = sum(1 for t in truth if t)
    best = 0.0
    tp = fp = 0
    for normal, anomalous in sorted(classes.values(), key=lambda c: -c[1] / (c[0] + c[1])):
        tp += anomalous
        fp += normal
        if tp:
            best = max(best, 2 * tp / (2 * tp + fp + positives - tp))
    return float(best)


def _data_root(data_dir: str | None) -> Path:
    root = data_dir or os.environ.get("LOGKIT_DATA")
    if not root:
        raise InputError("no data folder given and LOGKIT_DATA is not set; give DATA or set LOGKIT_DATA")
    return Path(root)


def _run(name: str, train_lines: list[bytes], test_lines: list[bytes], grouping: Any, labels: Any,
         truth_of: Any, tmp: Path, keep: Any = None) -> dict[str, Any]:
    from logkit.detect.api import detect, load_model, train

    tr, te = tmp / f"{name}_train.log", tmp / f"{name}_test.log"
    tr.write_bytes(b"\n".join(train_lines) + b"\n")
    te.write_bytes(b"\n".join(test_lines) + b"\n")
    t0 = time.perf_counter()
    train(str(tr), tmp / f"{name}_model", grouping=grouping, labels=labels)
    t_train = time.perf_counter() - t0
    model = load_model(tmp / f"{name}_model")
    t0 = time.perf_counter()
    records = list(detect(str(te), model))
    t_detect = time.perf_counter() - t0
    if keep is not None:
        records = [r for r in records if keep(r)]
    truth = [truth_of(r) for r in records]
    row = {"data": name, **metrics(records, truth),
           "train_s": t_train, "detect_lines_s": len(test_lines) / t_detect if t_detect else 0.0,
           "f1_ceiling_sequences": _sequence_ceiling(str(te), model, records, truth)}
    return row


def _sequence_ceiling(path: str, model: Any, records: Sequence[dict[str, Any]], truth: Sequence[int]) -> float:
    """:func:`f1_ceiling` over the scored items' template sequences (what the test split allows at all)."""
    from logkit.detect.api import PARSER_STATE_FILE
    from logkit.detect.grouping import group_events
    from logkit.detect.reading import read_events

    state = Path(model.folder) / PARSER_STATE_FILE
    seqs = {g.key: tuple(ev.template_id for ev in g.events)
            for g in group_events(read_events(path, format=model.format_spec,
                                              state=state if state.exists() else None), model.grouping)}
    return f1_ceiling([seqs.get(r["group"], ()) for r in records], truth)


def hdfs_data(root: Path) -> dict[str, Any]:
    """HDFS split: train lines 1-10,000 with ``labels.csv``; score sessions of 10,001-14,000 not seen before."""
    import re

    from logkit.detect.grouping import parse_grouping
    from logkit.detect.labels import read_labels

    folder = root / "detect" / "hdfs"
    lines = (folder / "HDFS_14k.log").read_bytes().split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    labels = read_labels(folder / "labels.csv")
    pattern = r"blk_-?\d+"
    rx = re.compile(pattern.encode())
    seen = {m.decode() for ln in lines[:10_000] for m in rx.findall(ln)}
    return {"name": "HDFS", "train": lines[:10_000], "test": lines[10_000:],
            "grouping": parse_grouping(pattern, None), "labels": labels,
            "truth_of": lambda r: labels.by_session.get(r["group"], 0), "keep": lambda r: r["group"] not in seen}


def bgl_data(root: Path) -> dict[str, Any]:
    """BGL split: labels out of the first token; train lines 1-1400, score 1401-2000 in 10-line windows."""
    from logkit.detect.grouping import parse_grouping
    from logkit.detect.labels import Labels

    lines = (root / "loghub-2k" / "BGL" / "BGL_2k.log").read_bytes().split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    ys, clean = [], []
    for ln in lines:
        first, _, rest = ln.partition(b" ")
        ys.append(0 if first == b"-" else 1)
        clean.append(b"- " + rest)
    labels = Labels("line", by_line={i + 1: y for i, y in enumerate(ys[:1400])})
    test_y = ys[1400:]
    return {"name": "BGL", "train": clean[:1400], "test": clean[1400:], "grouping": parse_grouping(None, "10"),
            "labels": labels, "truth_of": lambda r: int(any(test_y[r["first_line"] - 1: r["last_line"]])),
            "keep": None}


def bench_hdfs(root: Path, tmp: Path) -> dict[str, Any]:
    """HDFS: train on lines 1-10,000 with ``labels.csv``; score sessions of 10,001-14,000 not seen before."""
    d = hdfs_data(root)
    return _run(d["name"], d["train"], d["test"], d["grouping"], d["labels"], d["truth_of"], tmp, keep=d["keep"])


def bench_bgl(root: Path, tmp: Path) -> dict[str, Any]:
    """BGL: labels out of the first token; train on lines 1-1400, score 1401-2000 in 10-line windows."""
    d = bgl_data(root)
    return _run(d["name"], d["train"], d["test"], d["grouping"], d["labels"], d["truth_of"], tmp)


def run_bench(data_dir: str | None = None) -> list[dict[str, Any]]:
    """Both benchmarks; one row each. Temporary files live in a temp folder, never in the repository."""
    root = _data_root(data_dir)
    with tempfile.TemporaryDirectory(prefix="logkit-bench-detect-") as t:
        tmp = Path(t)
        return [bench_hdfs(root, tmp), bench_bgl(root, tmp)]


def render(rows: list[dict[str, Any]]) -> str:
    """A plain-text table of :func:`run_bench` rows."""
    head = ["data", "items", "anom", "P", "R", "F1", "AUC", "routed", "ECE", "F1 routed ok", "lines/s"]
    table = [head]
    for r in rows:
        table.append([r["data"], str(r["items"]), str(r["anomalies"]), f"{r['precision']:.3f}",
                      f"{r['recall']:.3f}", f"{r['f1']:.3f}", f"{r['roc_auc']:.3f}", f"{r['routed']:.1%}",
                      f"{r['ece']:.3f}", f"{r['f1_routed_correct']:.3f}", f"{r['detect_lines_s']:,.0f}"])
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(row, widths, strict=True))) for row in table)


@click.command("detect")
@click.argument("data", required=False, type=click.Path(file_okay=False, exists=True))
@click.option("--method", type=click.Choice(["router", "graph"]), default="router", show_default=True,
              help="Detection method to benchmark (graph: with PCA and Isolation Forest baselines).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per data set instead of a table.")
def command(data: str | None, method: str, as_json: bool) -> None:
    """Precision, recall, F1, ROC-AUC, routed share, calibration error on HDFS sessions and BGL windows
    (DATA default $LOGKIT_DATA)."""
    import json
    import sys

    if method == "graph":
        from logkit.bench.detect_graph import render_graph, run_graph_bench

        grows = run_graph_bench(_data_root(data))
        sys.stdout.write("".join(json.dumps(r) + "\n" for r in grows) if as_json else render_graph(grows) + "\n")
        return
    rows = run_bench(data)
    if as_json:
        for r in rows:
            sys.stdout.write(json.dumps(r) + "\n")
    else:
        sys.stdout.write(render(rows) + "\n")
