"""What the detection benchmarks share: their data (HDFS sessions, BGL windows), precision/recall/F1, and the
unsupervised baselines (PCA, Isolation Forest on template counts) that both the router and the graph tables show.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from logkit.errors import InputError

__all__ = ["prf", "score_row", "best_f1", "baseline_rows", "template_counts", "hdfs_data", "bgl_data", "data_root",
           "QUANTILE", "HOLDOUT"]

QUANTILE = 0.95
HOLDOUT = 0.2


def prf(pred: Sequence[bool], truth: Sequence[int]) -> tuple[float, float, float]:
    """Precision, recall and F1 of the decisions ``pred`` against the labels ``truth``."""
    tp = sum(1 for p, t in zip(pred, truth, strict=True) if p and t)
    fp = sum(1 for p, t in zip(pred, truth, strict=True) if p and not t)
    fn = sum(1 for p, t in zip(pred, truth, strict=True) if not p and t)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


def score_row(data: str, method: str, scores: Sequence[float], pred: Sequence[bool],
              truth: Sequence[int]) -> dict[str, Any]:
    """Precision, recall, F1 and ROC-AUC of one method on one data set."""
    from sklearn.metrics import roc_auc_score

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


def template_counts(groups: Sequence[Any], vocab: dict[str, int]) -> Any:
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
    xtr, xte = template_counts(train, vocab), template_counts(test, vocab)
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


def data_root(data_dir: str | None) -> Path:
    root = data_dir or os.environ.get("LOGKIT_DATA")
    if not root:
        raise InputError("no data folder given and LOGKIT_DATA is not set; give DATA or set LOGKIT_DATA")
    return Path(root)


def _lines(path: Path) -> list[bytes]:
    lines = path.read_bytes().split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    return lines


def hdfs_data(root: Path) -> dict[str, Any]:
    """HDFS sessions: train on ``train.log`` with ``train_labels.csv``; score the labelled sessions of
    ``dev.log`` against ``dev_labels.csv`` (whole block sessions)."""
    from logkit.detect.grouping import parse_grouping
    from logkit.detect.labels import read_labels

    folder = root / "detect" / "hdfs-sessions"
    if not (folder / "train.log").exists():
        raise InputError(f"{folder} holds no train.log; point LOGKIT_DATA at the shared data folder")
    labels = read_labels(folder / "train_labels.csv")
    dev = read_labels(folder / "dev_labels.csv").by_session
    return {"name": "HDFS sessions", "train": _lines(folder / "train.log"), "test": _lines(folder / "dev.log"),
            "grouping": parse_grouping(r"blk_-?\d+", None), "labels": labels,
            "truth_of": lambda r: dev.get(r["group"], 0), "keep": lambda r: r["group"] in dev,
            "folds": "stratified"}


def bgl_data(root: Path) -> dict[str, Any]:
    """BGL split: labels out of the first token; train lines 1-1400, score 1401-2000 in 10-line windows."""
    from logkit.detect.grouping import parse_grouping
    from logkit.detect.labels import Labels

    lines = _lines(root / "loghub-2k" / "BGL" / "BGL_2k.log")
    ys, clean = [], []
    for ln in lines:
        first, _, rest = ln.partition(b" ")
        ys.append(0 if first == b"-" else 1)
        clean.append(b"- " + rest)
    labels = Labels("line", by_line={i + 1: y for i, y in enumerate(ys[:1400])})
    test_y = ys[1400:]
    return {"name": "BGL", "train": clean[:1400], "test": clean[1400:], "grouping": parse_grouping(None, "10"),
            "labels": labels, "truth_of": lambda r: int(any(test_y[r["first_line"] - 1: r["last_line"]])),
            "keep": None, "folds": "stratified"}


