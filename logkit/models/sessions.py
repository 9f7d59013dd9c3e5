"""The small model's view of whole sessions: a forest over counts, order and unmet expectations.

A session's row holds the count of each template known from training, where in the session each one
first appears (order), the events it never reached although normal sessions that hold what it holds
always reach them (a block allocated and received but never stored), its length, its unseen events and
whether it is cut by the end of the input; optionally its duration and longest pause. Extremely
randomised trees (scikit-learn) learn from these rows and are kept as plain arrays
(:class:`~logkit.models.forest.TreeArrays`). Their vote is calibrated (Platt) on out-of-fold votes over
the training sessions.

A template never seen in training cannot be read by the trees. It is judged like the rarest templates
that training did see (Good-Turing: what is unseen behaves like what was seen once or twice): the
anomaly rate of the training sessions that hold a template only a few sessions hold, pooled with the
trees' opinion of the known part as one more piece of evidence (naive Bayes in log-odds).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from logkit.models.forest import TreeArrays
from logkit.models.lines import _logit, _sigmoid
from logkit.records import Group

__all__ = ["SessionForest", "expectations"]

_RULE_SHARE = 0.99  # "normal sessions that hold a always reach b": in at least this share of them
_RULE_SUPPORT = 5  # ... and at least this many normal sessions hold a
_MAX_RULE_TEMPLATES = 200  # rules are looked for among this many most common templates
_RARE_SHARE = 0.01  # a template held by at most this share of training sessions (or 2) is rare
_FOLDS = 5
_DENSE = ("events", "distinct", "unseen", "open", "unmet")
_TIMES = ("log_duration", "log_longest_pause")


def expectations(sets: Sequence[set[str]], *, share: float = _RULE_SHARE,
                 support: int = _RULE_SUPPORT) -> list[tuple[str, str]]:
    """Pairs ``(a, b)``: of the sessions (template sets) that hold ``a``, at least ``share`` also hold
    ``b``, and at least ``support`` hold ``a``. A session holding ``a`` without ``b`` never reached an
    event its kind of session reaches."""
    held: Counter[str] = Counter()
    for s in sets:
        held.update(s)
    common = [t for t, _ in held.most_common(_MAX_RULE_TEMPLATES)]
    index = {t: i for i, t in enumerate(common)}
    both: Counter[tuple[int, int]] = Counter()
    for s in sets:
        ids = sorted(index[t] for t in s if t in index)
        both.update((i, j) for i in ids for j in ids if i != j)
    out = []
    for (i, j), n in both.items():
        a, b = common[i], common[j]
        if held[a] >= support and n >= share * held[a]:
            out.append((a, b))
    return sorted(out)


class SessionForest:
    """Rows, trees, calibration and the unseen-template rate of whole sessions (see the module doc).

    Parameters
    ----------
    n_trees : int
        Trees of the forest.
    durations : bool
        Add the session's duration and longest pause to its row.
    random_state : int
        Seed of the trees and the calibration folds.
    """

    def __init__(self, *, n_trees: int = 100, durations: bool = False, random_state: int = 0) -> None:
        self.n_trees = n_trees
        self.durations = durations
        self.random_state = random_state
        self.vocab: list[str] = []
        self.rules: list[tuple[str, str]] = []
        self.trees: TreeArrays | None = None
        self.calib = (1.0, 0.0)
        self.novel_rate = 0.5
        self.base_rate = 0.5
        self.heldout_auc = 1.0
        self.position: dict[str, float] = {}
        self._index: dict[str, int] = {}
        self._rules_of: dict[str, list[str]] = {}

    # -- rows -------------------------------------------------------------------------------------
    def _set_vocab(self, vocab: Sequence[str], rules: Sequence[tuple[str, str]]) -> None:
        self.vocab = list(vocab)
        self.rules = [(str(a), str(b)) for a, b in rules]
        self._index = {t: i for i, t in enumerate(self.vocab)}
        self._rules_of = {}
        for a, b in self.rules:
            self._rules_of.setdefault(a, []).append(b)

    @property
    def width(self) -> int:
        """Columns of a row."""
        return 2 * len(self.vocab) + len(_DENSE) + (len(_TIMES) if self.durations else 0)

    def unmet(self, g: Group) -> list[tuple[str, str]]:
        """The expectations ``(a, b)`` the session breaks: it holds ``a`` and never reached ``b``."""
        held = {ev.template_id for ev in g.events}
        out = [(a, b) for a in held for b in self._rules_of.get(a, ()) if b not in held]
        if len(out) > 1:  # the earliest event of a normal life that it missed first
            at = self.position
            out.sort(key=lambda r: (at.get(r[1], 1.0), -at.get(r[0], 0.0), r))
        return out

    def rows(self, groups: Sequence[Group]) -> Any:
        """The feature matrix of ``groups`` (see the module doc)."""
        import numpy as np

        v = len(self.vocab)
        X = np.zeros((len(groups), self.width))
        X[:, v:2 * v] = -1.0
        index = self._index
        for r, g in enumerate(groups):
            evs = g.events
            n = max(len(evs), 1)
            unseen = 0
            row = X[r]
            for k, ev in enumerate(evs):
                j = index.get(ev.template_id)
                if j is None:
                    unseen += 1
                    continue
                if row[j] == 0.0:
                    row[v + j] = k / n
                row[j] += 1.0
            d = 2 * v
            row[d] = len(evs)
            row[d + 1] = float((row[:v] > 0).sum())
            row[d + 2] = unseen
            row[d + 3] = 1.0 if g.open else 0.0
            row[d + 4] = len(self.unmet(g)) if not g.open else 0.0
            if self.durations:
                stamps = [ev.timestamp for ev in evs if ev.timestamp is not None]
                span = (stamps[-1] - stamps[0]).total_seconds() if len(stamps) > 1 else 0.0
                pause = max(((b - a).total_seconds() for a, b in zip(stamps, stamps[1:], strict=False)),
                            default=0.0)
                row[d + 5] = math.log1p(max(span, 0.0))
                row[d + 6] = math.log1p(max(pause, 0.0))
        return X

    # -- fitting ----------------------------------------------------------------------------------
    def _forest(self, X: Any, y: Any) -> Any:
        from sklearn.ensemble import ExtraTreesClassifier

        return ExtraTreesClassifier(n_estimators=self.n_trees, random_state=self.random_state).fit(X, y)

    def fit(self, groups: Sequence[Group], labels: Sequence[int]) -> SessionForest:
        """Learn from labelled training sessions (both classes present)."""
        import numpy as np
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold

        y = np.asarray([int(v) for v in labels])
        held = Counter(t for g in groups for t in {ev.template_id for ev in g.events})
        normal_sets = [{ev.template_id for ev in g.events} for g, t in zip(groups, y, strict=True)
                       if not t and not g.open]
        self._set_vocab(sorted(held), expectations(normal_sets))
        X = self.rows(groups)
        v = len(self.vocab)
        normal = X[y == 0, v:2 * v]
        for j, t in enumerate(self.vocab):  # mean relative place where normal sessions first log it
            seen = normal[:, j][normal[:, j] >= 0]
            self.position[t] = float(seen.mean()) if len(seen) else 1.0
        self.trees = TreeArrays.from_sklearn(self._forest(X, y).estimators_)
        # out-of-fold votes: what the forest says of sessions it did not learn from, for the calibration
        folds = min(_FOLDS, int(y.sum()), int(len(y) - y.sum()))
        oof = np.zeros(len(y))
        if folds >= 2:
            split = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
            for a, b in split.split(X, y):
                oof[b] = self._forest(X[a], y[a]).predict_proba(X[b])[:, 1]
        else:
            oof = self.trees.predict(X)
        if 0 < y.sum() < len(y):
            from sklearn.metrics import roc_auc_score

            self.heldout_auc = float(roc_auc_score(y, oof))
        eps = 0.5 / self.n_trees
        z = np.log(np.clip(oof, eps, 1 - eps) / (1 - np.clip(oof, eps, 1 - eps)))
        cal = LogisticRegression(C=1.0).fit(z.reshape(-1, 1), y)
        self.calib = (float(cal.coef_[0][0]), float(cal.intercept_[0]))
        self.base_rate = float((y.sum() + 1.0) / (len(y) + 2.0))
        rare_n = max(2, int(_RARE_SHARE * len(groups)))
        rare = {t for t, c in held.items() if c <= rare_n}
        flags = [any(ev.template_id in rare for ev in g.events) for g in groups]
        pos = sum(int(t) for t, f in zip(y, flags, strict=True) if f)
        self.novel_rate = (pos + 2.0 * self.base_rate) / (sum(flags) + 2.0)
        return self

    # -- scoring ----------------------------------------------------------------------------------
    def probabilities(self, groups: Sequence[Group]) -> list[float]:
        """Calibrated anomaly probability of each session, unseen templates taken in."""
        import numpy as np

        assert self.trees is not None
        X = self.rows(groups)
        votes = self.trees.predict(X)
        eps = 0.5 / max(len(self.trees.roots), 1)
        a, b = self.calib
        shift = _logit(self.novel_rate) - _logit(self.base_rate)
        unseen = X[:, 2 * len(self.vocab) + 2] > 0
        out = []
        for p, u in zip(np.clip(votes, eps, 1 - eps).tolist(), unseen.tolist(), strict=True):
            z = a * math.log(p / (1 - p)) + b
            out.append(_sigmoid(z + shift if u else z))
        return out

    # -- state ------------------------------------------------------------------------------------
    def to_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Plain JSON and arrays."""
        assert self.trees is not None
        data = {"vocab": self.vocab, "rules": [list(r) for r in self.rules], "calib": list(self.calib),
                "novel_rate": self.novel_rate, "base_rate": self.base_rate, "heldout_auc": self.heldout_auc,
                "position": self.position, "durations": self.durations,
                "n_trees": self.n_trees}
        return data, self.trees.to_arrays("forest_")

    @classmethod
    def from_state(cls, data: Mapping[str, Any], arrays: Mapping[str, Any]) -> SessionForest | None:
        """Inverse of :meth:`to_state` (None when the arrays are not there)."""
        trees = TreeArrays.from_arrays(arrays, "forest_")
        if trees is None:
            return None
        out = cls(n_trees=int(data["n_trees"]), durations=bool(data["durations"]))
        out._set_vocab(data["vocab"], [tuple(r) for r in data["rules"]])
        out.trees = trees
        a, b = data["calib"]
        out.calib = (float(a), float(b))
        out.novel_rate = float(data["novel_rate"])
        out.base_rate = float(data["base_rate"])
        out.heldout_auc = float(data.get("heldout_auc", 1.0))
        out.position = {str(k): float(p) for k, p in data.get("position", {}).items()}
        return out
