"""The small model's view of windows of lines (line labels): each kind of line scored by the ensemble's
members, a window its worst kind of line with the others discounted (:func:`window_probability`), and
what a line's unseen words leave open.

:class:`LineWindows` is a mixin of :class:`~logkit.models.small.SmallDetector`; it reads the fitted state
that class keeps (the featurizer, the members, the anomaly rate of new lines per kind).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from operator import attrgetter
from typing import Any

from logkit.models.features import Featurizer
from logkit.records import Event, Group

__all__ = ["LineWindows", "window_probability", "FURTHER_LINE_WEIGHT"]

_TEMPLATE_ID = attrgetter("template_id")
_FIELDS = attrgetter("fields")
# what each further kind of line of a window adds, as a power of its evidence: the most anomalous line
# counts whole, each other one this much (0: the window is its worst line; 1: lines are independent, the
# noisy-OR). Lines of one window are far from independent (a dump of registers after a crash, a burst of
# new lines of one kind share one cause and one unknown: what new lines of that kind are worth). Chosen by
# cross-validation on BGL's training windows from {0, 0.25, 0.5, 0.75, 1} (stratified 5-fold and
# forward-chaining, mean F1): see tests/test_detect_lines.py for the synthetic statement.
FURTHER_LINE_WEIGHT = 0.5


def window_probability(log_not: list[float], further: float = FURTHER_LINE_WEIGHT) -> float:
    """A window's anomaly probability from each of its distinct lines' ``log(1 - p)``: the most anomalous
    line counts whole and every other one ``further`` of its weight, so one anomalous line decides a window,
    a line more never lowers it, and many unsure lines of one window do not add up as independent evidence."""
    if not log_not:
        return 0.0
    worst = min(log_not)
    return 1.0 - math.exp(worst + further * (sum(log_not) - worst))


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1.0 - 1e-6)
    return math.log(p / (1.0 - p))


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _epistemic(p: float, coverage: float, novel_rate: float) -> float:
    """Uncertainty once the part of an item the model never saw is given the novel items' anomaly rate.

    The two opinions are pooled in log-odds, each weighed by its share of the item's features: a line
    whose known part is strongly normal stays fairly sure however many new words it has, while a line
    whose known part is unsure moves towards the novel items' rate.
    """
    q = _sigmoid(coverage * _logit(p) + (1.0 - coverage) * _logit(novel_rate))
    return 1.0 - abs(2.0 * q - 1.0)


class LineWindows:
    """Scoring of windows of lines by their kinds of line (see the module doc)."""

    _feat: Featurizer
    novel_rate_: float
    kind_novel_: Mapping[Any, float]

    def _member_logits(self, row: dict[int, float]) -> list[float]:  # pragma: no cover - the detector's
        raise NotImplementedError

    def _coverage(self, row: dict[int, float]) -> float:
        """The share of a feature row's energy on features that training rows had."""
        known: set[int] = self.__dict__["_known"]
        tot = sum(v * v for v in row.values())
        return sum(v * v for j, v in row.items() if j in known) / tot if tot else 1.0

    def _known_part(self, row: dict[int, float]) -> dict[int, float]:
        """A line's features that training rows had, normalised again: what the model can read of it.

        Words no training line held have no weight in any member; left in, they would only shrink the
        weight of the known ones (L2 normalisation). What they leave unknown goes into the uncertainty.
        """
        known: set[int] = self.__dict__["_known"]
        part = {j: v for j, v in row.items() if j in known}
        if len(part) == len(row) or not part:
            return row
        norm = math.sqrt(sum(v * v for v in part.values()))
        return {j: v / norm for j, v in part.items()}

    def _line_window(self, g: Group) -> tuple[float, float, list[int], str]:
        """A window of lines: its probability (per member, :func:`window_probability` of its distinct kinds
        of line: a window is anomalous when any of its lines is, a line repeated is one piece of evidence,
        and further lines count less than the worst), its epistemic uncertainty, the lines that weighed most
        and their template."""
        cache: dict[Any, tuple[list[float], float, tuple[float, ...]]] = self.__dict__.setdefault("_line_cache", {})
        evs = g.events
        keys = list(zip(map(_TEMPLATE_ID, evs), map(_FIELDS, evs), strict=True))
        per_key: dict[tuple[str, Any], tuple[list[float], float, tuple[float, ...]]] = {}
        for key in dict.fromkeys(keys):
            hit = cache.get(key)
            if hit is None:
                hit = self._line_entry(evs[keys.index(key)])
                if len(cache) < 100_000:
                    cache[key] = hit
            per_key[key] = hit
        if len(per_key) == 1:
            ((worst, (members, p, _),),) = per_key.items()
        else:
            members = [window_probability(list(col)) for col in zip(*(h[2] for h in per_key.values()), strict=True)]
            p = sum(members) / len(members)
            worst = max(per_key, key=lambda k: per_key[k][1])
        if self._blended():  # a line's probability already holds what its unseen part is worth
            q = per_key[worst][1]
            epi = 1.0 - abs(2.0 * q - 1.0) if q >= 0.5 else max(1.0 - abs(2.0 * h[1] - 1.0) for h in per_key.values())
        else:
            key_ev = {k: evs[keys.index(k)] for k in per_key}
            epi = self._line_epistemic({k: h[0] for k, h in per_key.items()}, key_ev, worst)
        top = [ev.line for ev, k in zip(evs, keys, strict=True) if k == worst][:5]
        return p, epi, top, evs[keys.index(worst)].template

    def _line_entry(self, ev: Event) -> tuple[list[float], float, tuple[float, ...]]:
        """A kind of line's member probabilities, their mean and each one's ``log(1 - p)``."""
        ps = self._line_probs(ev)
        return ps, sum(ps) / len(ps), tuple(math.log1p(-min(q, 1.0 - 1e-12)) for q in ps)

    def _line_epistemic(self, per_key: dict[tuple[str, Any], list[float]],
                        key_ev: dict[tuple[str, Any], Event], worst: tuple[str, Any]) -> float:
        """A window's epistemic uncertainty: of its most anomalous line when that one decides it, else of
        whichever line is least known."""
        cov: dict[Any, float] = self.__dict__.setdefault("_cov_cache", {})
        kinds: dict[Any, float] = getattr(self, "kind_novel_", {})
        blended = self._blended()

        def one(key: tuple[str, Any]) -> float:
            ps = per_key[key]
            if blended:  # the line's probability already holds what its unseen part is worth
                q = sum(ps) / len(ps)
                return 1.0 - abs(2.0 * q - 1.0)
            c = cov.get(key)
            if c is None:
                c = self._coverage(self._feat.line_vector(key_ev[key]))
                if len(cov) < 100_000:
                    cov[key] = c
            return _epistemic(sum(ps) / len(ps), c, kinds.get(key[1], self.novel_rate_))

        if sum(per_key[worst]) / len(per_key[worst]) >= 0.5:
            return one(worst)
        return max(one(k) for k in per_key)

    def _blended(self) -> bool:
        """Whether line probabilities take in what their unseen part is worth (models with token weights)."""
        return getattr(self, "token_weights_", None) is not None

    def _line_probs(self, ev: Event) -> list[float]:
        """A line's member probabilities (cached by :meth:`_line_window`)."""
        vec = self._feat.line_vector(ev)
        logits = self._member_logits(self._known_part(vec))
        if self._blended():
            # the part of the line training never showed is worth what new lines of its kind turned out
            # to be: the members' opinion of the known part and that rate, pooled in log-odds by the
            # share of the line's (informativeness-weighted) tokens each covers
            c = self._coverage(vec)
            prior = _logit(getattr(self, "kind_novel_", {}).get(ev.fields, self.novel_rate_))
            logits = [c * x + (1.0 - c) * prior for x in logits]
        ps = [_sigmoid(x) for x in logits]
        return ps
