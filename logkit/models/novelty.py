"""The price of never-seen events for the graph detector: how rare their kind fields and their words were in
training (torch-free; the model adds it to the chance of a new event at all).

An unseen template whose words are common in the training lines (a new variant of a known message) costs
less than one made of words the training data never or seldom used; one logged at a level or by a component
rare in training costs more than one of a common kind.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from logkit.models.features import template_words
from logkit.models.graphs import WindowGraph

__all__ = ["NoveltyPrior", "MAX_KINDS", "MAX_WORDS"]

MAX_KINDS = 4096  # kind-field values counted (the most frequent)
MAX_WORDS = 20_000  # template words counted (the most frequent)


def _joint(kinds: Sequence[tuple[str, str]]) -> str:
    return "\x1f".join(f"{k}={v}" for k, v in kinds)


def _top(counts: Counter[str], n: int) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n])


class NoveltyPrior:
    """Counts of kind-field values and of template words over the training lines.

    Parameters
    ----------
    fields : dict
        ``"Field=value"`` -> training lines of that kind.
    words : dict
        Template word -> training lines whose template holds it.
    lines : int
        Training lines.
    word_weight : float
        Weight of the mean word surprise in the price (0: kind fields only).
    """

    def __init__(self, fields: dict[str, int] | None = None, words: dict[str, int] | None = None, lines: int = 0,
                 word_weight: float = 1.0) -> None:
        self.fields = dict(fields or {})
        self.words = dict(words or {})
        self.lines = lines
        self.word_weight = word_weight
        self.word_base = 0.0
        self._cache: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}

    @classmethod
    def from_graphs(cls, graphs: Iterable[WindowGraph], word_weight: float = 1.0) -> NoveltyPrior:
        """Count the kind fields and template words of every training line."""
        fields: Counter[str] = Counter()
        words: Counter[str] = Counter()
        lines = 0
        wsum = 0.0
        for g in graphs:
            for tpl, kf, c in zip(g.templates, g.kinds, g.event_counts, strict=True):
                lines += c
                fields[_joint(kf)] += c
                for w in set(template_words(tpl)):
                    words[w] += c
        out = cls(_top(fields, MAX_KINDS), _top(words, MAX_WORDS), lines, word_weight)
        for g in graphs:
            for tpl, c in zip(g.templates, g.event_counts, strict=True):
                wsum += c * out.word_cost(tpl)
        out.word_base = wsum / lines if lines else 0.0
        return out

    def kind_cost(self, kinds: Sequence[tuple[str, str]]) -> float:
        """-log of the training share of lines of this kind (all kind fields together, as correlated as they
        are: a component logs at few levels); Krichevsky-Trofimov, so a kind never seen costs most."""
        return -math.log((self.fields.get(_joint(kinds), 0) + 0.5) / (self.lines + 1.0))

    def word_cost(self, template: str) -> float:
        """Mean over the template's distinct words of -log of the share of training lines holding the word."""
        ws = set(template_words(template))
        if not ws:
            return 0.0
        n = self.lines + 1.0
        return -sum(math.log((self.words.get(w, 0) + 0.5) / n) for w in ws) / len(ws)

    def cost(self, template: str, kinds: tuple[tuple[str, str], ...], a_new: float) -> float:
        """Surprise in nats of a never-seen event: a new event at all (``a_new``), of this kind, in these
        words."""
        key = (template, kinds)
        got = self._cache.get(key)
        if got is None:
            got = self.kind_cost(kinds) + self.word_weight * (self.word_cost(template) - self.word_base)
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = got
        return got - math.log(a_new)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {"fields": self.fields, "words": self.words, "lines": self.lines, "word_weight": self.word_weight,
                "word_base": self.word_base}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NoveltyPrior:
        """Inverse of :meth:`to_dict`."""
        out = cls({str(k): int(v) for k, v in dict(data.get("fields") or {}).items()},
                  {str(k): int(v) for k, v in dict(data.get("words") or {}).items()},
                  int(data.get("lines", 0)), float(data.get("word_weight", 1.0)))
        out.word_base = float(data.get("word_base", 0.0))
        return out
