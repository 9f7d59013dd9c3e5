"""Log parsing accuracy as Loghub-2.0's evaluator computes it (ISSTA'24): GA, PA, FGA and FTA.

Groups are lines sharing a template string; the ground truth strings are compared exactly.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ParseScores", "score_parsing"]


@dataclass(frozen=True, slots=True)
class ParseScores:
    """The four Loghub-2.0 parsing metrics, with the template counts behind them."""

    ga: float  # grouping accuracy: share of lines whose ground-truth group was found exactly
    pa: float  # parsing accuracy: share of lines whose template string equals the ground truth
    fga: float  # F1 of grouping accuracy over templates
    fta: float  # F1 of template accuracy (exact group whose string is the ground truth)
    predicted_templates: int
    truth_templates: int


def _f1(p: float, r: float) -> float:
    return 0.0 if p == 0 and r == 0 else 2 * p * r / (p + r)


def score_parsing(truth: Sequence[str | None], predicted: Sequence[str | None]) -> ParseScores:
    """Score predicted templates against the ground truth, line by line.

    Parameters
    ----------
    truth : sequence of str or None
        The ground-truth template of each line; lines whose truth is None or empty are left out (as the
        evaluator drops rows without a template).
    predicted : sequence of str or None
        The predicted template of each line (None counts as the empty string).

    Returns
    -------
    ParseScores
        GA and PA over lines; FGA and FTA are F1 scores over templates.
    """
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} ground-truth lines but {len(predicted)} predictions")
    pairs = [(t, p if p is not None else "") for t, p in zip(truth, predicted, strict=True) if t]
    n = len(pairs)
    if n == 0:
        return ParseScores(0.0, 0.0, 0.0, 0.0, 0, 0)
    pred_sizes = Counter(p for _, p in pairs)
    by_truth: dict[str, Counter[str]] = defaultdict(Counter)
    by_pred: dict[str, set[str]] = defaultdict(set)
    for t, p in pairs:
        by_truth[t][p] += 1
        by_pred[p].add(t)
    good_lines = good_groups = 0
    for preds in by_truth.values():
        if len(preds) == 1:
            (p, size), = preds.items()
            if pred_sizes[p] == size:
                good_lines += size
                good_groups += 1
    ga = good_lines / n
    fga = _f1(good_groups / len(pred_sizes), good_groups / len(by_truth))
    pa = sum(t == p for t, p in pairs) / n
    good_templates = sum(1 for p, ts in by_pred.items() if ts == {p})
    fta = _f1(good_templates / len(by_pred), good_templates / len(by_truth))
    return ParseScores(ga, pa, fga, fta, len(by_pred), len(by_truth))
