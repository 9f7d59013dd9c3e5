"""Features of a group for the small model: hashed words of its templates, template counts and sequences.

Words make a template never seen in training still understood ("error", "failed", "exception" carry over
from known templates); counts and template-to-template steps capture missing or repeated events.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from collections.abc import Sequence
from typing import Any

from logkit.records import Event, Group

__all__ = ["TemplateStats", "Featurizer", "template_words", "token_weights", "N_HASH"]

N_HASH = 1 << 15
_WORD = re.compile(r"[A-Za-z][A-Za-z]+")
# dense block after the hashed words: log lines, distinct templates, unseen share, any unseen, cut by the end
_DENSE = 5


def template_words(template: str) -> list[str]:
    """Lower-case words of a template (variables and numbers left out), camelCase split."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", template.replace("<*>", " "))
    return [w.lower() for w in _WORD.findall(text)]


_PUNCT = re.compile(r"[^\w\s]+")
_REPEAT = re.compile(r"(.)\1+")


def punctuation_shapes(template: str) -> list[str]:
    """The runs of punctuation of a template, repeats collapsed and a variable written ``*``: the layout
    of a message (``key=value`` lists, dotted register dumps, ``a: b`` pairs), which lines of one kind share
    even when their words differ."""
    text = template.replace("<*>", "\x00")
    return ["p:" + _REPEAT.sub(r"\1", run).replace("\x00", "*") for run in _PUNCT.findall(text)]


def _h(token: str) -> int:
    return zlib.crc32(token.encode("utf-8", "surrogatepass")) % N_HASH


def token_weights(lines: Sequence[Event]) -> tuple[dict[int, float], float]:
    """How informative each token is among distinct training lines: ``log(1 + n / df)`` (inverse document
    frequency), so that what nearly every line has (a constant header field, a common word) weighs little
    and rare words weigh most; and the weight of a token no line had (as rare as can be)."""
    df: Counter[int] = Counter()
    for ev in lines:
        df.update(Featurizer.tokens(ev))
    n = max(len(lines), 1)
    return {j: math.log1p(n / c) for j, c in df.items()}, math.log1p(n)


class TemplateStats:
    """Per-template counts over training groups: how many groups hold it, mean and spread of its count."""

    def __init__(self) -> None:
        self.text: dict[str, str] = {}
        self.groups: dict[str, int] = {}
        self.total: dict[str, float] = {}
        self.total_sq: dict[str, float] = {}
        self.n_groups = 0

    def add(self, counts: Counter[str], texts: dict[str, str]) -> None:
        """Count one normal training group."""
        self.n_groups += 1
        for tid, c in counts.items():
            self.text.setdefault(tid, texts[tid])
            self.groups[tid] = self.groups.get(tid, 0) + 1
            self.total[tid] = self.total.get(tid, 0.0) + c
            self.total_sq[tid] = self.total_sq.get(tid, 0.0) + c * c

    def mean_std(self, tid: str) -> tuple[float, float]:
        """Mean and standard deviation of the template's count per group (0 where absent)."""
        n = max(self.n_groups, 1)
        m = self.total.get(tid, 0.0) / n
        var = max(self.total_sq.get(tid, 0.0) / n - m * m, 0.0)
        return m, math.sqrt(var)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        rows = [[t, self.text[t], self.groups[t], self.total[t], self.total_sq[t]] for t in self.text]
        return {"n_groups": self.n_groups, "templates": rows}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TemplateStats:
        """Inverse of :meth:`to_dict`."""
        st = cls()
        st.n_groups = int(data["n_groups"])
        for tid, text, g, t, t2 in data["templates"]:
            st.text[tid] = text
            st.groups[tid] = int(g)
            st.total[tid] = float(t)
            st.total_sq[tid] = float(t2)
        return st


class Featurizer:
    """Sparse feature rows for groups or single lines, with a fixed template vocabulary.

    Parameters
    ----------
    vocab : sequence of str
        Template ids known from training (each gets a count column); others count as unseen.
    sequence : bool
        Add hashed template-to-template steps (for sessions; off for single lines).
    weights : dict, optional
        How informative each hashed token is (see :func:`token_weights`): a line's vector then holds each
        of its tokens once, at that weight (tokens not in it at ``unseen_weight``), instead of its counts.
    unseen_weight : float
        The weight of a token ``weights`` does not hold (as rare as the rarest known token).
    """

    def __init__(self, vocab: Sequence[str], *, sequence: bool = True, weights: dict[int, float] | None = None,
                 unseen_weight: float = 1.0) -> None:
        self.vocab = {tid: i for i, tid in enumerate(vocab)}
        self.sequence = sequence
        self.weights = weights
        self.unseen_weight = unseen_weight
        self.n_features = N_HASH + _DENSE + len(self.vocab)
        self._cache: dict[tuple[str, tuple[tuple[str, str], ...]], dict[int, float]] = {}

    @staticmethod
    def tokens(ev: Event) -> set[int]:
        """The hashed tokens of a line: words and word pairs of its template, the shapes of its punctuation
        (see :func:`punctuation_shapes`) and its kind fields."""
        words = template_words(ev.template)
        toks = words + [a + "_" + b for a, b in zip(words, words[1:], strict=False)]
        toks += punctuation_shapes(ev.template)
        toks += [f"{k}={v}".lower() for k, v in ev.fields]
        return {_h(t) for t in toks}

    def line_vector(self, ev: Event) -> dict[int, float]:
        """Hashed words and word pairs of the line's template and its kind fields (L2-normalised, cached)."""
        key = (ev.template_id, ev.fields)
        vec = self._cache.get(key)
        if vec is not None:
            return vec
        if self.weights is not None:
            w, unseen = self.weights, self.unseen_weight
            vec = {j: w.get(j, unseen) for j in self.tokens(ev)}
        else:
            words = template_words(ev.template)
            toks = words + [a + "_" + b for a, b in zip(words, words[1:], strict=False)]
            toks += [f"{k}={v}".lower() for k, v in ev.fields]
            vec = {}
            for t in toks:
                j = _h(t)
                vec[j] = vec.get(j, 0.0) + 1.0
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vec = {j: v / norm for j, v in vec.items()}
        if len(self._cache) < 100_000:
            self._cache[key] = vec
        return vec

    def group_row(self, group: Group) -> dict[int, float]:
        """One feature row for a whole group (session or window)."""
        evs = group.events
        counts = Counter(ev.template_id for ev in evs)
        firsts: dict[str, Event] = {}
        for ev in evs:
            firsts.setdefault(ev.template_id, ev)
        row: dict[int, float] = {}
        for tid, c in counts.items():  # words, weighted by log count of each distinct template
            w = 1.0 + math.log(c)
            for j, v in self.line_vector(firsts[tid]).items():
                row[j] = row.get(j, 0.0) + w * v
        norm = math.sqrt(sum(v * v for v in row.values())) or 1.0
        for j in row:
            row[j] /= norm
        if self.sequence and len(evs) > 1:
            steps = Counter((a.template_id, b.template_id) for a, b in zip(evs, evs[1:], strict=False))
            s = 1.0 / math.sqrt(len(steps))
            for (a, b), _ in steps.items():
                j = _h("step:" + a + ">" + b)
                row[j] = row.get(j, 0.0) + 0.5 * s
        unseen = sum(c for tid, c in counts.items() if tid not in self.vocab)
        n = max(len(evs), 1)
        base = N_HASH
        row[base] = math.log1p(group.lines) / 5.0
        row[base + 1] = math.log1p(len(counts)) / 3.0
        row[base + 2] = unseen / n
        row[base + 3] = 1.0 if unseen else 0.0
        if group.open:  # a beginning only: what is missing may still come
            row[base + 4] = 1.0
        off = N_HASH + _DENSE
        for tid, c in counts.items():
            i = self.vocab.get(tid)
            if i is not None:
                row[off + i] = math.log1p(c)
        return row

    def matrix(self, rows: Sequence[dict[int, float]]) -> Any:
        """A scipy CSR matrix from feature rows."""
        import numpy as np
        from scipy.sparse import csr_matrix

        indptr = [0]
        idx: list[int] = []
        val: list[float] = []
        for r in rows:
            idx.extend(r.keys())
            val.extend(r.values())
            indptr.append(len(idx))
        return csr_matrix((np.asarray(val, dtype=np.float64), np.asarray(idx, dtype=np.int64),
                           np.asarray(indptr, dtype=np.int64)), shape=(len(rows), self.n_features))
