"""The small, fast detector: a cross-fitted ensemble of logistic regressions over template words and counts.

With labels it is supervised (per group, or per line and then the worst line of a group), with its
probabilities recalibrated on held-out predictions (Platt); without labels it learns normal behaviour only
and scores novelty (unseen templates, counts far from normal). Uncertainty is the closeness of the calibrated
ensemble mean to the decision, raised where an item is made of what training never showed (the unseen part
is given the anomaly rate of items that were new to the rest of the training data), so the few unsure
items can go to the LLM. With line labels, a line's tokens (words, word pairs, punctuation shapes, kind
fields) weigh by how informative they are, the part of a line training never showed is worth what new
lines of its kind turned out to be (in the score too), and a window is its worst kind of line, the others discounted.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import attrgetter
from typing import Any

from logkit.errors import StateError, UsageError
from logkit.models.base import Detector, Verdict, register
from logkit.models.features import Featurizer, TemplateStats, token_weights
from logkit.models.lines import LineWindows
from logkit.models.sessions import SessionForest
from logkit.records import Event, Group

__all__ = ["SmallDetector"]

_Z_FAR = 3.0  # a count this many spreads from its training mean is "far from normal"
_TEMPLATE_ID = attrgetter("template_id")
_FIELDS = attrgetter("fields")
_WEAK_AUC = 0.6  # supervised held-out ROC-AUC below this: the labels taught nothing that generalises
_MAX_LENGTH = 10_000  # whole-item lengths above this are counted as this
_UNSEEN_PART = 0.5  # the share still to come of a cut item when training had no whole item that long
_ONE_CLASS = ("the labels hold only one class; supervised training needs normal and anomalous items (or leave "
              "--labels out to learn normal behaviour only)")
_NOVELTY_BLOCKS = 5  # training items in this many time blocks; "novel" = a template unseen outside its block


def _novel_flags(items: Sequence[Sequence[str]]) -> list[bool]:
    """For items in time order (each a list of template ids): whether the item holds a template that no
    item outside its own time block holds, i.e. whether a model trained on the other blocks sees it new."""
    k = _NOVELTY_BLOCKS
    n = len(items)
    block = [min(i * k // max(n, 1), k - 1) for i in range(n)]
    per_block: list[Counter[str]] = [Counter() for _ in range(k)]
    total: Counter[str] = Counter()
    for tids, b in zip(items, block, strict=True):
        for t in set(tids):
            per_block[b][t] += 1
            total[t] += 1
    return [any(total[t] == per_block[b][t] for t in tids) for tids, b in zip(items, block, strict=True)]


def _auc(scores: Any, y: Any, weights: Any) -> float:
    """Weighted ROC-AUC of held-out scores (0.5 when one class is missing)."""
    from sklearn.metrics import roc_auc_score

    if len(set(y.tolist())) < 2:
        return 0.5
    return float(roc_auc_score(y, scores, sample_weight=weights))


def _length_counts(lengths: Iterable[int]) -> list[list[int]]:
    """``[[length, count], ...]`` of whole (closed) training items, sorted; the longest ones are pooled so
    the list stays short."""
    c = Counter(min(n, _MAX_LENGTH) for n in lengths)
    return [[n, k] for n, k in sorted(c.items())]


class _LazyReason(Verdict):
    """A :class:`Verdict` whose reason is put into words only when read (most items are normal: their
    records carry no reason)."""

    _make: Callable[[], str] | None = None
    _text = ""

    @property
    def reason(self) -> str:
        if self._make is not None:
            self._text, self._make = self._make(), None
        return self._text

    @reason.setter
    def reason(self, value: str) -> None:
        self._text, self._make = value, None

    @classmethod
    def later(cls, make: Callable[[], str], score: float, uncertainty: float, top: list[int],
              **more: Any) -> _LazyReason:
        """A score whose reason ``make()`` gives when first read."""
        out = cls(score, uncertainty, "", top, **more)
        out._make = make
        return out


def _short(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


@register
class SmallDetector(LineWindows, Detector):
    """Ensemble of logistic regressions with calibrated scores and an uncertainty.

    Parameters
    ----------
    n_estimators : int
        Members of the ensemble (each trained without one fold of the data).
    C : float
        Inverse regularisation strength of each logistic regression.
    random_state : int
        Seed for the folds and the bootstrap weights.
    novelty_quantile : float
        Without labels: the share of training groups scored below the threshold by count deviations.
    informative_words : bool
        With line labels: weigh each word of a line by how informative it is (its inverse frequency among
        the distinct training lines), so that what every line has says little and rare words say most.
    n_trees : int
        With session labels: trees of the session forest (:class:`~logkit.models.sessions.SessionForest`).
    durations : bool
        With session labels: give the forest each session's duration and longest pause too.
    """

    name = "small"

    def __init__(self, *, n_estimators: int = 5, C: float = 4.0, random_state: int = 0,
                 novelty_quantile: float = 0.995, informative_words: bool = True, n_trees: int = 100,
                 durations: bool = False) -> None:
        self.n_estimators = n_estimators
        self.C = C
        self.random_state = random_state
        self.novelty_quantile = novelty_quantile
        self.informative_words = informative_words
        self.n_trees = n_trees
        self.durations = durations

    # -- fitting ----------------------------------------------------------------------------------
    def _fit(self, groups: Sequence[Group], labels: Sequence[int] | None,
             line_labels: Mapping[int, int] | None) -> None:
        if self.n_estimators < 2:
            raise UsageError("n_estimators must be at least 2 (uncertainty comes from their disagreement)")
        for memo in ("_counts_cache", "_cov_cache", "_line_cache", "_group_memo", "_mean_coef", "_vocab_set"):
            self.__dict__.pop(memo, None)  # what scoring worked out for an earlier fit
        texts: dict[str, str] = {}
        for g in groups:
            for ev in g.events:
                texts.setdefault(ev.template_id, ev.template)
        self.vocab_ = sorted(texts)
        if line_labels is not None:
            self.mode_ = "line"
            glabels = [int(any(line_labels.get(ev.line, 0) for ev in g.events)) for g in groups]
        elif labels is not None:
            self.mode_ = "group"
            glabels = [int(y) for y in labels]
        else:
            self.mode_ = "novelty"
            glabels = [0] * len(groups)
        self.token_weights_: dict[int, float] | None = None
        self.unseen_weight_ = 1.0
        self.stats_ = TemplateStats()
        for g, y in zip(groups, glabels, strict=True):
            if not y:
                self.stats_.add(Counter(ev.template_id for ev in g.events), texts)
        if self.stats_.n_groups == 0:
            raise UsageError("every training group is labelled anomalous; give some normal ones")
        self.sessions_: SessionForest | None = None
        self._feat = Featurizer(self.vocab_, sequence=False)
        self.closed_lengths_ = _length_counts(g.lines for g in groups if not g.open)
        if self.mode_ == "novelty":
            self.z0_ = self._novelty_scale(groups)
            self.coef_: Any = None
            self.intercept_: Any = None
            self.calib_ = (1.0, 0.0)
            return
        if self.mode_ == "line":
            if self.informative_words:  # distinct lines: a token's weight is how rare it is among them
                kinds = {(ev.template_id, ev.fields): ev for g in groups for ev in g.events}
                self.token_weights_, self.unseen_weight_ = token_weights(list(kinds.values()))
                self._feat = Featurizer(self.vocab_, sequence=False, weights=self.token_weights_,
                                        unseen_weight=self.unseen_weight_)
            keyed: dict[tuple[Any, int], list[Any]] = {}
            seen: set[int] = set()
            for g in groups:
                for ev in g.events:
                    if ev.line in seen:
                        continue
                    seen.add(ev.line)
                    y = int(line_labels.get(ev.line, 0)) if line_labels is not None else 0
                    key = ((ev.template_id, ev.fields), y)
                    if key in keyed:
                        keyed[key][2] += 1
                    else:
                        keyed[key] = [self._feat.line_vector(ev), y, 1]
            rows = [v[0] for v in keyed.values()]
            ys = [v[1] for v in keyed.values()]
            counts = [v[2] for v in keyed.values()]
        else:
            if len(set(glabels)) < 2:
                raise UsageError(_ONE_CLASS)
            self.sessions_ = SessionForest(n_trees=self.n_trees, durations=self.durations,
                                           random_state=self.random_state).fit(groups, glabels)
            self.novel_rate_ = self.sessions_.novel_rate
            self.heldout_auc_ = self.sessions_.heldout_auc
            self.coef_, self.intercept_, self.calib_ = None, None, (1.0, 0.0)
            self.z0_ = self._novelty_scale([g for g, y in zip(groups, glabels, strict=True) if not y])
            return
        self.novel_rate_ = self._novel_rate(groups, glabels, line_labels)
        if len(set(ys)) < 2:
            raise UsageError(_ONE_CLASS)
        self._fit_ensemble(rows, ys, counts)
        self.z0_ = self._novelty_scale([g for g, y in zip(groups, glabels, strict=True) if not y])

    def _novelty_scale(self, normal: Sequence[Group]) -> float:
        """The count deviation that a ``novelty_quantile`` share of normal training groups stay under."""
        zs = sorted(self._zmax(g)[0] for g in normal)
        k = min(len(zs) - 1, int(self.novelty_quantile * len(zs)))
        return max(zs[k], _Z_FAR)

    def _p_novelty(self, g: Group, unseen: Sequence[Event], z: float) -> float:
        """Normal-behaviour score: templates never seen in training, counts far from normal."""
        p_unseen = (0.6 + 0.4 * len(unseen) / max(len(g.events), 1)) if unseen else 0.0
        return max(p_unseen, z / (z + self.z0_))

    def _novel_rate(self, groups: Sequence[Group], glabels: Sequence[int],
                    line_labels: Mapping[int, int] | None) -> float:
        """The anomaly rate among training items that hold a template new to the rest of the training data
        (smoothed towards the overall rate): what an unseen part of an item is worth."""
        if line_labels is not None:
            evs = sorted({ev.line: ev for g in groups for ev in g.events}.values(), key=lambda ev: ev.line)
            items: list[list[str]] = [[ev.template_id] for ev in evs]
            ys = [int(line_labels.get(ev.line, 0)) for ev in evs]
        else:
            order = sorted(range(len(groups)), key=lambda i: groups[i].first_line)
            items = [[ev.template_id for ev in groups[i].events] for i in order]
            ys = [int(glabels[i]) for i in order]
        rate = sum(ys) / max(len(ys), 1)
        flags = _novel_flags(items)
        pos = sum(y for y, f in zip(ys, flags, strict=True) if f)
        novel = (pos + 2.0 * rate) / (sum(flags) + 2.0)
        self.kind_novel_ = {}
        if line_labels is not None:  # per kind of line (level, component): what new lines of it turned out
            per: dict[tuple[tuple[str, str], ...], list[int]] = {}
            for ev, y, f in zip(evs, ys, flags, strict=True):
                if f:
                    c = per.setdefault(ev.fields, [0, 0])
                    c[0] += y
                    c[1] += 1
            self.kind_novel_ = {k: (a + 2.0 * novel) / (n + 2.0) for k, (a, n) in per.items()}
        return novel

    def _fit_ensemble(self, rows: list[dict[int, float]], ys: list[int], counts: list[int]) -> None:
        import numpy as np
        from sklearn.linear_model import LogisticRegression

        rng = np.random.default_rng(self.random_state)
        X = self._feat.matrix(rows)
        self.known_ = np.unique(X.indices)
        self._known = set(self.known_.tolist())
        y = np.asarray(ys)
        c = np.asarray(counts, dtype=np.int64)
        K = self.n_estimators
        # each copy of a row goes to one fold; member k learns without fold k (with Poisson bootstrap noise)
        held = np.stack([rng.multinomial(int(n), [1.0 / K] * K) for n in c])
        coefs, inter = [], []
        held_logit = np.zeros(len(c))
        held_n = np.zeros(len(c))
        for k in range(K):
            w = rng.poisson(c - held[:, k]).astype(np.float64)
            if len(set(y[w > 0].tolist())) < 2:
                w = (c - held[:, k]).astype(np.float64)
            lr = LogisticRegression(C=self.C, class_weight="balanced", solver="liblinear",
                                    random_state=self.random_state)
            lr.fit(X, y, sample_weight=w)
            coefs.append(lr.coef_[0].copy())
            inter.append(float(lr.intercept_[0]))
            z = X @ lr.coef_[0] + lr.intercept_[0]
            out = held[:, k] > 0
            held_logit[out] += z[out] * held[out, k]
            held_n[out] += held[out, k]
        self.coef_ = np.stack(coefs)
        self.intercept_ = np.asarray(inter)
        ok = held_n > 0
        zs = held_logit[ok] / held_n[ok]
        self.heldout_auc_ = _auc(zs, y[ok], held_n[ok])
        cal = LogisticRegression(C=100.0, solver="lbfgs")
        cal.fit(zs.reshape(-1, 1), y[ok], sample_weight=held_n[ok])
        a, b = float(cal.coef_[0][0]), float(cal.intercept_[0])
        if a <= 0:  # held-out scores carry no signal: the honest probability is the base rate
            rate = min(max(float(np.average(y[ok], weights=held_n[ok])), 1e-4), 1 - 1e-4)
            a, b = 0.0, math.log(rate / (1 - rate))
        self.calib_ = (a, b)

    # -- scoring ----------------------------------------------------------------------------------
    def _zmax(self, g: Group) -> tuple[float, str, int]:
        """The largest count deviation (in spreads) of a known template, that template and its count.

        In a group cut by the end of the input (``open``) only counts above normal weigh: what is missing
        may still come.
        """
        counts = Counter(ev.template_id for ev in g.events)
        spread, common = self._count_stats()
        best = (0.0, "", 0)
        for tid, c in counts.items():
            ms = spread.get(tid)
            if ms is not None:
                m, s = ms
                z = (c - m if g.open else abs(c - m)) / (s + 0.5)
                if z > best[0]:
                    best = (z, tid, c)
        if g.open:
            return best
        for z, _, tid in common:  # templates nearly every normal group has, missing here (largest first)
            if tid not in counts:
                if z > best[0]:
                    best = (z, tid, 0)
                break
        return best

    def _count_stats(self) -> tuple[dict[str, tuple[float, float]], list[tuple[float, int, str]]]:
        """Mean and spread of each known template's count, and the templates nearly every normal training
        group has as ``(deviation when missing, order, id)``, largest deviation first (worked out once)."""
        cached = self.__dict__.get("_counts_cache")
        if cached is None:
            st = self.stats_
            spread = {tid: st.mean_std(tid) for tid in st.text}
            common = []
            for i, (tid, n) in enumerate(st.groups.items()):
                if n >= 0.9 * st.n_groups:
                    m, s = spread[tid]
                    common.append((m / (s + 0.5), i, tid))
            common.sort(key=lambda r: (-r[0], r[1]))
            cached = self._counts_cache = (spread, common)
        return cached

    def _member_logits(self, row: dict[int, float]) -> list[float]:
        import numpy as np

        a, b = self.calib_
        idx = np.fromiter(row.keys(), dtype=np.int64, count=len(row))
        val = np.fromiter(row.values(), dtype=np.float64, count=len(row))
        z = self.coef_[:, idx] @ val + self.intercept_
        return [a * float(x) + b for x in z]

    def score(self, groups: Sequence[Group], context: Any = None) -> list[Verdict]:
        """One :class:`Verdict` per group (see the class docstring); each depends on its group only."""
        if self.mode_ == "group":
            self._group_batch(groups)
        return [self._score_one(g) for g in groups]

    def _score_one(self, g: Group) -> Verdict:
        mode = self.mode_
        top: list[int] = []
        heavy = ""
        # unseen templates and count deviations: worked out here where the score needs them, else only
        # when the reason is read (an anomaly's record)
        eager = mode == "novelty" or self.heldout_auc_ < _WEAK_AUC
        unseen = self._unseen(g) if eager else None
        zs = self._zmax(g) if eager else None
        if mode == "novelty":
            assert unseen is not None and zs is not None
            p = self._p_novelty(g, unseen, zs[0])
            epi = 0.0
        elif mode == "line":
            p, epi, top, heavy = self._line_window(g)
        else:
            p, epi, heavy_tid = self._group_probs(g)
            top = [ev.line for ev in g.events if ev.template_id == heavy_tid][:5]
            heavy = next((ev.template for ev in g.events if ev.template_id == heavy_tid), "")
        if mode != "novelty" and eager:
            # the labels did not generalise out of fold (held-out AUC near chance): what is known is normal
            # behaviour, so novelty (unseen templates, counts far from normal) speaks too, when it says
            # anomalous; below that the calibrated probability stays (the novelty score is no probability)
            assert unseen is not None and zs is not None
            pn = self._p_novelty(g, unseen, zs[0])
            if pn >= 0.5:
                p = max(p, pn)
        uncertainty = min(1.0, max(2.0 * min(p, 1.0 - p), epi))

        def reason() -> str:
            z, ztid, zc = zs if zs is not None else self._zmax(g)
            return self._reason(g, unseen if unseen is not None else self._unseen(g), z, ztid, zc, top, heavy)

        missing = self._missing_share(g.lines) if g.open else 0.0
        if missing <= 0.0:  # closed, or as long as whole ones already
            return _LazyReason.later(reason, p, uncertainty, top)
        # what has not been logged yet is unknown to any reader: it widens the uncertainty, not the routing
        return _LazyReason.later(reason, p, 1.0 - (1.0 - uncertainty) * (1.0 - missing), top,
                                      incomplete=missing, note=self._open_note(g), reducible=uncertainty)

    def _unseen(self, g: Group) -> list[Event]:
        known = self.stats_.text
        return [ev for ev in g.events if ev.template_id not in known]

    def _whole_length(self, lines: int) -> float | None:
        """The mean length of the whole (closed) training items at least ``lines`` long (None: none was)."""
        tot = n = 0
        for length, k in getattr(self, "closed_lengths_", []):
            if length >= lines:
                tot += length * k
                n += k
        return tot / n if n else None

    def _missing_share(self, lines: int) -> float:
        """The share of a whole item still to come after ``lines`` lines (:data:`_UNSEEN_PART` when training
        had no whole item that long)."""
        whole = self._whole_length(lines)
        return _UNSEEN_PART if whole is None else max(0.0, 1.0 - lines / whole)

    def _open_note(self, g: Group) -> str:
        whole = self._whole_length(g.lines)
        size = f"; whole ones in training have about {whole:.0f}" if whole is not None else ""
        return (f"still open at the end of the input: judged on its first {g.lines} "
                f"line{'s' if g.lines != 1 else ''}{size}")

    def _forest(self) -> SessionForest:
        """The session forest (group mode only)."""
        assert self.sessions_ is not None, "the session forest exists in group mode"
        return self.sessions_

    def _group_key(self, g: Group) -> tuple[Any, ...]:
        """What the session forest sees of a group (its templates in order, line count, ``open``, and its
        times when the forest reads durations): sessions of a system repeat a few shapes."""
        key: tuple[Any, ...] = (tuple(map(_TEMPLATE_ID, g.events)), g.lines, g.open)
        return key + (g.start, g.end) if self.durations else key

    def _group_batch(self, groups: Sequence[Group]) -> None:
        """Work out the forest's probabilities of the groups not yet memoised, in one batch."""
        memo: dict[Any, tuple[float, float, str]] = self.__dict__.setdefault("_group_memo", {})
        todo: dict[Any, Group] = {}
        for g in groups:
            key = self._group_key(g)
            if key not in memo:
                todo.setdefault(key, g)
        if not todo:
            return
        if len(memo) + len(todo) > 20_000:
            memo.clear()
        for (key, g), p in zip(todo.items(), self._forest().probabilities(list(todo.values())), strict=True):
            memo[key] = (p, 0.0, self._heaviest(g))

    def _group_probs(self, g: Group) -> tuple[float, float, str]:
        """The forest's calibrated probability of a group, its epistemic part (none beyond the
        probability) and the template that weighs most (memoised, see :meth:`_group_key`)."""
        memo: dict[Any, tuple[float, float, str]] = self.__dict__.setdefault("_group_memo", {})
        hit = memo.get(self._group_key(g))
        if hit is None:
            self._group_batch([g])
            hit = memo[self._group_key(g)]
        return hit

    def _heaviest(self, g: Group) -> str:
        """The template that says most: an unseen one, else one whose expected follower never came, else
        the one whose count is farthest from normal."""
        for ev in g.events:
            if ev.template_id not in self.stats_.text:
                return ev.template_id
        if not g.open:
            unmet = self._forest().unmet(g)
            if unmet:
                return unmet[0][0]
        return self._zmax(g)[1]

    def _unmet_reason(self, g: Group) -> list[str]:
        """The first event the session never reached though normal sessions like it always do."""
        unmet = self._forest().unmet(g)
        if not unmet:
            return []
        a, b = unmet[0]
        text = self.stats_.text
        more = f" (+{len(unmet) - 1} more such)" if len(unmet) > 1 else ""
        return [f"never reached template {b} '{_short(text.get(b, b), 60)}', which every normal training "
                f"session holding {a} '{_short(text.get(a, a), 60)}' reaches{more}"]

    def _reason(self, g: Group, unseen: list[Event], z: float, ztid: str, zc: int, top: list[int],
                heavy: str) -> str:
        parts = []
        if unseen:
            ids = list(dict.fromkeys(ev.template_id for ev in unseen))
            heavy_ids = [ev.template_id for ev in unseen if ev.template == heavy]
            if heavy_ids:  # the unseen template that weighed most is named first
                ids.remove(heavy_ids[0])
                ids.insert(0, heavy_ids[0])
            first = next(ev for ev in unseen if ev.template_id == ids[0])
            more = f" (+{len(ids) - 1} more unseen)" if len(ids) > 1 else ""
            known = self.__dict__.get("_vocab_set")
            if known is None:
                known = self._vocab_set = frozenset(self.vocab_)
            # a template of anomalous training items only is not new: say where training had it
            where = "seen in training only in anomalous items" if ids[0] in known else "never seen in training"
            parts.append(f"template {ids[0]} '{_short(first.template)}' {where}{more}")
        if getattr(self, "sessions_", None) is not None and not g.open:
            parts.extend(self._unmet_reason(g))
        if z >= _Z_FAR and ztid:
            m, s = self.stats_.mean_std(ztid)
            parts.append(f"template {ztid} '{_short(self.stats_.text[ztid])}' appears {zc} times where "
                         f"training groups have {m:.1f} ± {s:.1f}")
        if top:
            shown = ", ".join(str(n) for n in top[:3])
            parts.append(f"line{'s' if len(top) > 1 else ''} {shown} ('{_short(heavy, 60)}') weighed most")
        missing = self._missing_share(g.lines) if g.open else 0.0
        if missing > 0.0:
            parts.append(self._open_note(g))
        return "; ".join(parts) if parts else "the score is above the threshold"

    # -- state ------------------------------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        import numpy as np

        data = {"mode": self.mode_, "vocab": self.vocab_, "stats": self.stats_.to_dict(),
                "calib": list(self.calib_), "z0": getattr(self, "z0_", None),
                "novel_rate": getattr(self, "novel_rate_", 0.0),
                "heldout_auc": getattr(self, "heldout_auc_", 1.0),
                "closed_lengths": getattr(self, "closed_lengths_", []),
                "kind_novel": [[[list(f) for f in k], r] for k, r in getattr(self, "kind_novel_", {}).items()]}
        arrays: dict[str, Any] = {}
        if self.coef_ is not None:
            arrays = {"coef": self.coef_, "intercept": self.intercept_, "known": self.known_}
        else:
            arrays = {"coef": np.zeros((0, 0)), "intercept": np.zeros(0)}
        weights = getattr(self, "token_weights_", None)
        if weights is not None:
            data["unseen_weight"] = self.unseen_weight_
            arrays["token_index"] = np.fromiter(weights.keys(), dtype=np.int64, count=len(weights))
            arrays["token_weight"] = np.fromiter(weights.values(), dtype=np.float64, count=len(weights))
        sessions = getattr(self, "sessions_", None)
        if sessions is not None:
            data["sessions"], more = sessions.to_state()
            arrays.update(more)
        return data, arrays

    def _set_state(self, data: dict[str, Any], arrays: Mapping[str, Any]) -> None:
        import numpy as np

        self.mode_ = str(data["mode"])
        self.vocab_ = list(data["vocab"])
        self.stats_ = TemplateStats.from_dict(data["stats"])
        a, b = data["calib"]
        self.calib_ = (float(a), float(b))
        self.novel_rate_ = float(data.get("novel_rate") or 0.0)
        self.heldout_auc_ = float(data.get("heldout_auc", 1.0))
        self.closed_lengths_ = [[int(n), int(k)] for n, k in data.get("closed_lengths") or []]
        self.kind_novel_ = {tuple((str(a), str(b)) for a, b in k): float(r) for k, r in data.get("kind_novel") or []}
        known = arrays.get("known")
        self.known_ = known if known is not None else np.zeros(0, dtype=np.int64)
        self._known = set(self.known_.tolist())
        if data.get("z0") is not None:
            self.z0_ = float(data["z0"])
        coef = arrays.get("coef")
        self.coef_ = coef if coef is not None and coef.size else None
        self.intercept_ = arrays.get("intercept") if self.coef_ is not None else None
        index, weight = arrays.get("token_index"), arrays.get("token_weight")
        self.token_weights_ = None
        self.unseen_weight_ = float(data.get("unseen_weight") or 1.0)
        if index is not None and weight is not None:
            self.token_weights_ = dict(zip(index.tolist(), weight.tolist(), strict=True))
        self._feat = Featurizer(self.vocab_, sequence=False, weights=self.token_weights_,
                                unseen_weight=self.unseen_weight_)
        self.sessions_ = SessionForest.from_state(data["sessions"], arrays) if "sessions" in data else None
        if (self.coef_ is not None and self.coef_.shape[1] != self._feat.n_features) or (
                self.mode_ == "group" and self.sessions_ is None):
            raise StateError("the model was trained by another logkit version; train it again with "
                             "`logkit train`")
