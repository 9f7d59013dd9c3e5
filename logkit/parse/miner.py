"""Template mining: lines to templates with exact, typed variables (bounded memory, deterministic).

Obvious variables are masked first (:mod:`logkit.parse.masking`); lines are then clustered by their masked
word sequence. A line whose masked form was seen before goes straight to its cluster (one dict lookup);
a new form is compared with the clusters of the same length and joins the closest one when most of their
constant words agree, the differing words (or the differing parts of ``key=value`` words) becoming
variables. A run of whole-variable words whose length varies within a cluster is one variable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from logkit.errors import StateError
from logkit.parse.families import glue_suffix, is_unit, reduced
from logkit.parse.masking import (
    MAX_MINED_CHARS,
    PH,
    Word,
    collapse,
    fill_dates,
    has_spaced,
    line_key,
    line_words,
    mask_cache,
    mask_word,
    template_cache,
    word_templates,
)
from logkit.parse.vartypes import classify
from logkit.records import Param, VarType

__all__ = ["Match", "TemplateMiner", "STATE_VERSION"]

STATE_VERSION = 1
MIN_SAME = 3  # constant words two forms must share before the words where they differ become variables
MIN_SIMILARITY = 0.75  # share of the compared constant words that must agree
MAX_CACHE = 500_000  # masked forms remembered -> cluster (a cache: cleared when full)
MAX_SEEN = 32_768  # exact contents remembered (a cache: cleared when full)
MAX_SEEN_CHARS = 512  # only contents up to this long are remembered
MAX_EXAMPLE = 2000  # characters of a line kept as a template's example
TYPE_FREEZE = 4  # after this many agreeing calls, a template slot keeps its variable type

_RawWords = list[tuple[int, int, str, tuple[tuple[int, int], ...]]]

_DELIMS = re.compile(r"([=:,;()\[\]{}<>'\"|@]+)")
_ALNUM = re.compile(r"[^\W_]|" + PH)
_VAR = "<*>"
_CONST_NAME = re.compile(r"\W*[A-Z][A-Z_]+\W*")
_PLAIN_WORD = re.compile(r"[A-Za-z]+[():;,.]*")
# a word of letters and at least two digits: an id (``req_web1001``, ``n17``), not a name like ``IPV6``
_ID_WORD = re.compile(r"(?=\S*[A-Za-z])(?=\S*[0-9]\S*[0-9])[\w.:/-]+")
# words after which a plain word is a name (a variable): ``user root``, ``by admin``, ``host=web``
_NAMING = re.compile(
    r"(?i).*[=:]|(?:users?|user ?name|login|host(?:name)?|node|server|client|account|owner|name|file(?:name)?"
    r"|table|service|queue|job|app(?:lication)?|component|domain|group|role|key|from|by|for|uid|pid)[\[(]?"
)


@dataclass(frozen=True, slots=True)
class Match:
    """A line's template (variables written ``<*>``) and its parameters, one per ``<*>`` in order."""

    template: str
    params: tuple[Param, ...]


class _Cluster:
    """One template: a word template per position (``PH`` marks variables) and counts of var runs."""

    __slots__ = ("cid", "tokens", "runs", "count", "example", "last", "generic", "_text", "types", "votes",
                 "version", "glue", "sig")

    def __init__(self, cid: int, tokens: list[str], runs: dict[int, int], example: str) -> None:
        self.cid = cid
        self.tokens = tokens
        self.runs = runs  # position -> words in the run there (0: varies)
        self.count = 0
        self.example = example
        self.last = 0
        self.generic = False  # True once a word was generalised or a run length varied
        self._text: str | None = None
        self.types: list[VarType | None] | None = None  # per slot: the type (None: it varies)
        self.votes: list[int] = []
        self.version = 0  # bumped whenever the template changes (cached emission plans then expire)
        # first position -> last position of words that form one variable together (a value and its unit
        # where the unit varies: ``12 KB`` / ``3 MB`` -> ``<*>``)
        self.glue: dict[int, int] = {}
        self.sig = ""  # the template with every value as one variable (see logkit.parse.families)

    def text(self) -> str:
        """The template string (Loghub convention: ``<*>`` variables, single spaces)."""
        if self._text is None:
            out = []
            glue = self.glue
            skip = -1
            for i, t in enumerate(self.tokens):
                if i <= skip:
                    continue
                if i in glue:
                    skip = glue[i]
                    out.append(_VAR + glue_suffix(self.tokens, i, skip))
                    continue
                if t == PH:
                    k = self.runs.get(i, 1)
                    out.append(" ".join([_VAR] * k) if k > 1 else _VAR)
                else:
                    out.append(t.replace(PH, _VAR))
            self._text = " ".join(out)
        return self._text


_RX_CACHE: dict[str, re.Pattern[str]] = {}
_MASK_GET = mask_cache().get  # the per-word caches are cleared in place, never replaced
_TPL_GET = template_cache().get


def _token_rx(token: str) -> re.Pattern[str]:
    """A regex matching the raw text of a word against a word template with variables."""
    rx = _RX_CACHE.get(token)
    if rx is None:
        if len(_RX_CACHE) > 10_000:
            _RX_CACHE.clear()
        rx = re.compile("(.*?)".join(re.escape(p) for p in token.split(PH)), re.DOTALL)
        _RX_CACHE[token] = rx
    return rx


def _merge_tokens(a: str, b: str) -> str:
    """The most specific word template covering both ``a`` and ``b``."""
    if a == b:
        return a
    if a == PH or b == PH:
        return PH
    pa = _DELIMS.split(a)
    pb = _DELIMS.split(b)
    if len(pa) != len(pb) or len(pa) == 1 or any(pa[i] != pb[i] for i in range(1, len(pa), 2)):
        return PH
    out = [pa[i] if (i % 2 or pa[i] == pb[i]) else PH for i in range(len(pa))]
    return "".join(out)


def _mergeable(i: int, a: str, b: str, prev: str = "") -> bool:
    """Whether two different words at position ``i`` may become one variable.

    Not when either is only punctuation, when their punctuation differs (``(uid=0)`` / ``LOGIN(uid=0)``),
    when either is an upper-case constant name (states such as ``RUNNING``), nor two plain words
    opening the message (``After Scheduling`` / ``Before Scheduling``).
    """
    if _ALNUM.search(a) is None or _ALNUM.search(b) is None:
        return False
    if a == PH or b == PH:
        return True
    pa = _DELIMS.split(a)
    pb = _DELIMS.split(b)
    if len(pa) != len(pb) or any(pa[k] != pb[k] for k in range(1, len(pa), 2)):
        return False
    if any(pa[k] != pb[k] and not (pa[k] and pb[k]) for k in range(0, len(pa), 2)):
        return False
    if _CONST_NAME.fullmatch(a) or _CONST_NAME.fullmatch(b):
        return False
    if _PLAIN_WORD.fullmatch(a) and _PLAIN_WORD.fullmatch(b):
        # two plain words are two events (``VM Started`` / ``VM Paused``) unless a name is expected here
        return i > 0 and _NAMING.fullmatch(prev) is not None
    return True


def _glue_units(c: _Cluster, i: int, *, all_pairs: bool) -> None:
    """Make the variable before position ``i`` and the unit at ``i`` one variable; with ``all_pairs``,
    every other value-unit pair of the template too (one formatter writes them all alike)."""
    glue = c.glue
    start = next((g for g, e in glue.items() if e == i - 1), i - 1)
    glue[start] = i
    if all_pairs:
        tokens = c.tokens
        inside = {k for g, e in glue.items() for k in range(g, e + 1)}
        for k in range(1, len(tokens)):
            if k not in inside and tokens[k - 1] == PH and k - 1 not in inside and is_unit(tokens[k]):
                glue[k - 1] = k
                inside.update((k - 1, k))


def _unit_pair(tokens: list[str], words: list[Word], i: int) -> bool:
    """Whether position ``i`` holds two different units after a variable (``<*> KB`` / ``<*> MB``)."""
    return (
        i > 0 and tokens[i - 1] == PH and words[i - 1].tpl == PH
        and is_unit(tokens[i]) and is_unit(words[i].tpl)
    )


def _compare(tokens: list[str], words: list[Word], exact: bool) -> tuple[int, int] | None:
    """(same, differing) constant words of a cluster and a line, or None when they may not merge
    (``exact``: when any word differs)."""
    same = 0
    diffs: list[int] = []
    for i, (t, w) in enumerate(zip(tokens, words, strict=True)):
        wt = w.tpl
        if t == wt:
            if t != PH:
                same += 1
            continue
        if t == PH:
            continue
        if PH in t and _token_rx(t).fullmatch(wt) is not None:
            continue
        if exact:
            return None
        diffs.append(i)
    diff = len(diffs)
    if diff:
        # words of letters and digits that differ (``req_web1001`` / ``req_web1002``) are ids: they do
        # not count against the similarity, so short messages around an id still form one template
        plain = diff - sum(1 for i in diffs if _ID_WORD.fullmatch(tokens[i]) and _ID_WORD.fullmatch(words[i].tpl))
        if plain:
            if same < MIN_SAME or same / (same + plain) < MIN_SIMILARITY:
                return None
        elif same < 1:
            return None
        for i in diffs:
            if not (_mergeable(i, tokens[i], words[i].tpl, tokens[i - 1] if i else "") or _unit_pair(tokens, words, i)):
                return None
    return same, diff


class TemplateMiner:
    """Mines templates from message contents; bounded to ``max_templates`` (least recently used go).

    Parameters
    ----------
    max_templates : int
        The most templates kept in memory; beyond it the least recently seen tenth is forgotten.
    """

    def __init__(self, *, max_templates: int = 100_000) -> None:
        if max_templates < 1:
            raise ValueError("max_templates must be at least 1")
        self.max_templates = max_templates
        self._clusters: dict[int, _Cluster] = {}
        self._buckets: dict[int, list[_Cluster]] = {}
        self._families: dict[str, list[_Cluster]] = {}  # value-reduced form -> its clusters
        self._cache: dict[str, list[Any]] = {}  # masked form -> [cluster, plan version, plan]
        # Exact line contents seen lately (logs repeat whole messages): content -> its ``_cache`` entry,
        # and content -> (cluster, version, types, Match) once every slot's type is frozen. Both are
        # emptied whenever ``_cache`` is.
        self._seen: dict[str, list[Any]] = {}
        self._done: dict[str, tuple[Any, ...]] = {}
        self._next_id = 0
        self._tick = 0

    # -- public API -------------------------------------------------------------------------------------
    def add(self, content: str) -> Match:
        """Learn from one line's content and return its template as known now."""
        return self._line(content, learn=True)

    def learn(self, content: str) -> None:
        """Like :meth:`add` without building the result: the fast first pass over a file."""
        entry = self._seen.get(content)
        if entry is not None:
            c = entry[0]
        else:
            key = line_key(content)
            raw = None
            if key is None:
                key, raw = line_words(content)
            entry = self._cache.get(key)
            if entry is None:
                if raw is None:
                    raw = line_words(content)[1]
                c = self._learn(key, collapse(raw), content)
                entry = self._cache[key]
            else:
                c = entry[0]
            self._see(content, entry)
        self._tick += 1
        c.count += 1
        c.last = self._tick

    def match(self, content: str) -> Match:
        """The current template of a line; learns only if no known template fits it."""
        return self._line(content, learn=False)

    def templates(self) -> list[tuple[str, int, str]]:
        """Every template with its line count and one example content, most frequent first."""
        merged: dict[str, list[Any]] = {}
        for c in self._clusters.values():  # the forms of one family share a text
            row = merged.get(c.text())
            if row is None:
                merged[c.text()] = [c.text(), c.count, c.example]
            else:
                row[1] += c.count
        rows = [(t, n, ex) for t, n, ex in merged.values()]
        rows.sort(key=lambda r: (-r[1], r[0]))
        return rows

    def __len__(self) -> int:
        return len(self._clusters)

    def to_dict(self) -> dict[str, Any]:
        """The miner's state as plain JSON-serialisable data (with a ``version`` key)."""
        return {
            "version": STATE_VERSION,
            "max_templates": self.max_templates,
            "clusters": [
                {
                    "tokens": list(c.tokens),
                    "runs": [[i, k] for i, k in sorted(c.runs.items())],
                    "count": c.count,
                    "example": c.example,
                    "generic": c.generic,
                    "glue": [[i, j] for i, j in sorted(c.glue.items())],
                }
                for c in sorted(self._clusters.values(), key=lambda c: c.last)
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TemplateMiner:
        """Rebuild a miner from :meth:`to_dict` data; StateError if it is damaged or of another version."""
        if not isinstance(d, dict) or d.get("version") != STATE_VERSION:
            got = d.get("version") if isinstance(d, dict) else None
            raise StateError(
                f"template miner state has version {got!r}, this logkit reads {STATE_VERSION}; "
                "delete the state file to start afresh"
            )
        try:
            miner = cls(max_templates=int(d.get("max_templates", 100_000)))
            for item in d["clusters"]:
                tokens = [str(t) for t in item["tokens"]]
                runs = {int(i): int(k) for i, k in item.get("runs", [])}
                if any(i < 0 or i >= len(tokens) for i in runs):
                    raise ValueError("run position out of range")
                c = miner._new_cluster(tokens, runs, str(item.get("example", "")))
                c.count = int(item["count"])
                c.generic = bool(item.get("generic", True))
                c.glue = {int(i): int(j) for i, j in item.get("glue", [])}
                if any(not 0 <= i < j < len(tokens) for i, j in c.glue.items()):
                    raise ValueError("glued positions out of range")
                miner._tick += 1
                c.last = miner._tick
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateError(
                f"template miner state is damaged ({exc}); delete the state file to start afresh"
            ) from None
        return miner

    # -- internals --------------------------------------------------------------------------------------
    def _new_cluster(self, tokens: list[str], runs: dict[int, int], example: str) -> _Cluster:
        c = _Cluster(self._next_id, tokens, runs, example[:MAX_EXAMPLE])
        self._next_id += 1
        self._clusters[c.cid] = c
        self._buckets.setdefault(len(tokens), []).append(c)
        if len(self._clusters) > self.max_templates:
            self._evict()
        self._index(c)
        return c

    def _index(self, c: _Cluster) -> None:
        """File ``c`` under its value-reduced form; forms of one event glue their values (families)."""
        sig, _ = reduced(c.tokens)
        c.sig = sig
        group = [m for m in self._families.get(sig, ()) if m.sig == sig and m.cid in self._clusters and m is not c]
        group.append(c)
        self._families[sig] = group
        if len({tuple(m.tokens) for m in group}) < 2:
            return
        for m in group:
            glue = dict(reduced(m.tokens)[1])
            inside = {k for g, e in glue.items() for k in range(g, e + 1)}
            for g, e in m.glue.items():
                if not inside.intersection(range(g, e + 1)):
                    glue[g] = e
            if glue != m.glue:
                m.glue = glue
                m._text = None
                m.types = None
                m.generic = True
                m.version += 1

    def _evict(self) -> None:
        """Forget the least recently seen tenth of the templates (at least one)."""
        n = max(1, len(self._clusters) // 10)
        victims = sorted(self._clusters.values(), key=lambda c: c.last)[:n]
        gone = {c.cid for c in victims}
        for cid in gone:
            del self._clusters[cid]
        for size, bucket in list(self._buckets.items()):
            kept = [c for c in bucket if c.cid not in gone]
            if kept:
                self._buckets[size] = kept
            else:
                del self._buckets[size]
        families: dict[str, list[_Cluster]] = {}
        for c in self._clusters.values():
            families.setdefault(c.sig, []).append(c)
        self._families = families
        self._forget()

    def _forget(self) -> None:
        self._cache.clear()
        self._seen.clear()
        self._done.clear()

    def _see(self, content: str, entry: list[Any]) -> None:
        if len(content) <= MAX_SEEN_CHARS:
            if len(self._seen) >= MAX_SEEN:
                self._seen.clear()
            self._seen[content] = entry

    def _remember(self, key: str, c: _Cluster) -> list[Any]:
        if len(self._cache) >= MAX_CACHE:
            self._forget()
        entry: list[Any] = [c, -1, None]  # cluster, version of the plan, plan
        self._cache[key] = entry
        return entry

    def _find(self, words: list[Word], exact: bool) -> _Cluster | None:
        """The closest cluster a line may join (``exact``: only one it fits without changes)."""
        best: _Cluster | None = None
        best_score = (-1.0, -1)
        for c in reversed(self._buckets.get(len(words), ())):
            r = _compare(c.tokens, words, exact)
            if r is None:
                continue
            same, diff = r
            if diff:
                score = (same / (same + diff), c.count)
            else:
                score = (1.0 + same, c.count)
            if score > best_score:
                best, best_score = c, score
        return best

    def _learn(self, key: str, words: list[Word], content: str) -> _Cluster:
        c = self._find(words, exact=False)
        if c is None:
            runs = {i: w.count for i, w in enumerate(words) if w.tpl == PH}
            c = self._new_cluster([w.tpl for w in words], runs, content)
        else:
            self._merge(c, words)
        self._remember(key, c)
        return c

    def _line(self, content: str, learn: bool) -> Match:
        """Find (or learn) a line's cluster and emit its template and typed params."""
        done = self._done.get(content)
        if done is not None:
            c = done[0]
            if c.version == done[1] and c.types is done[2]:
                if learn:
                    self._tick += 1
                    c.count += 1
                    c.last = self._tick
                return done[3]
        match = self._line_uncached(content, learn)
        return match

    def _line_uncached(self, content: str, learn: bool) -> Match:
        fast = len(content) <= MAX_MINED_CHARS
        if fast:
            text = content if has_spaced(content) is None else fill_dates(content)
            words = text.split()
            tpls = list(map(_TPL_GET, words))
            key = " ".join(word_templates(words) if None in tpls else tpls)  # type: ignore[arg-type]
        else:
            key, raw = line_words(content)
        entry = self._cache.get(key)
        if entry is None:
            if fast:
                raw = line_words(content)[1]
            cwords = collapse(raw)
            if learn:
                c = self._learn(key, cwords, content)
            else:
                found = self._find(cwords, exact=True)
                if found is None:
                    return self._line(content, learn=True)
                c = found
                self._remember(key, c)
            entry = self._cache[key]
        c = entry[0]
        if learn:
            self._tick += 1
            c.count += 1
            c.last = self._tick
        if entry[1] != c.version:
            if fast:
                raw = line_words(content)[1]
            entry[2] = _plan(c, raw)
            entry[1] = c.version
        plan = entry[2]
        if fast:
            lengths = list(map(len, words))
            starts = None if len(text) == sum(lengths) + len(lengths) - 1 else _starts(text, words)
            cache_get = _MASK_GET
            spans: list[tuple[int, int]] = []
            for op, a, b, tok in plan:
                # with single separators, a word's start follows from the lengths before it
                st = sum(lengths[:a]) + a if starts is None else starts[a]
                if op == 0:
                    rel = (cache_get(words[a]) or mask_word(words[a]))[1]
                    if len(rel) == 1:
                        x, y = rel[0]
                        spans.append((st + x, st + y))
                    else:
                        spans.extend([(st + x, st + y) for x, y in rel])
                elif op == 1:
                    end = (sum(lengths[:b]) + b if starts is None else starts[b]) + lengths[b]
                    spans.append((st, end - len(tok)))
                else:
                    _rx_spans(tok, content, st, st + lengths[a], spans)
        else:
            spans = []
            for op, a, b, tok in plan:
                if op == 0:
                    spans.extend(raw[a][3])
                elif op == 1:
                    spans.append((raw[a][0], raw[b][1] - len(tok)))
                else:
                    _rx_spans(tok, content, raw[a][0], raw[a][1], spans)
        match = Match(c.text(), _params(c, content, spans))
        if len(content) <= MAX_SEEN_CHARS and min(c.votes, default=TYPE_FREEZE) >= TYPE_FREEZE:
            if len(self._done) >= MAX_SEEN:
                self._done.clear()
            self._done[content] = (c, c.version, c.types, match)
        return match

    def _merge(self, c: _Cluster, words: list[Word]) -> None:
        """Widen cluster ``c`` so that it covers the line ``words``."""
        changed = False
        tokens = c.tokens
        for i, w in enumerate(words):
            t = tokens[i]
            if t != w.tpl and not (t == PH or (PH in t and _token_rx(t).fullmatch(w.tpl))):
                if _unit_pair(tokens, words, i):
                    _glue_units(c, i, all_pairs=True)
                tokens[i] = _merge_tokens(t, w.tpl)
                changed = True
            if tokens[i] == PH:
                old = c.runs.get(i, 1)
                new = w.count if w.tpl == PH else 1
                if old != new and old != 0:
                    c.runs[i] = 0
                    changed = True
                elif i not in c.runs:
                    c.runs[i] = old
        if changed:
            c.generic = True
            c._text = None
            c.types = None
            c.version += 1
            self._index(c)


def _starts(text: str, words: list[str]) -> list[int]:
    """Where each word of ``text.split()`` starts."""
    lengths = list(map(len, words))
    if len(text) == sum(lengths) + len(words) - 1:
        # single separators only: the offsets follow from the lengths
        return [c + i for i, c in enumerate(accumulate(lengths, initial=0))]
    out = []
    pos = 0
    find = text.find
    for w, n in zip(words, lengths, strict=True):
        pos = find(w, pos)
        out.append(pos)
        pos += n
    return out


def _rx_spans(tok: str, content: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    m = _token_rx(tok).fullmatch(content, start, end)
    if m is None:
        spans.append((start, end))
    else:
        spans.extend(m.span(g) for g in range(1, (m.lastindex or 0) + 1))


def _plan(c: _Cluster, raw: _RawWords) -> list[tuple[int, int, int, str]]:
    """How a line of this masked form yields its params under cluster ``c``.

    Steps ``(op, a, b, token)`` over the line's words: op 0 takes word ``a``'s own variables, op 1 one
    variable from the start of word ``a`` to the end of word ``b``, op 2 matches word ``a`` against the
    generalised word template ``token``.
    """
    plan: list[tuple[int, int, int, str]] = []
    i = 0  # collapsed position
    a = 0  # word index
    n = len(raw)
    tokens = c.tokens
    runs = c.runs
    glue = c.glue
    while a < n:
        if i in glue:  # words of positions i..last: one variable, closing punctuation left out
            start = i
            last = glue[i]
            first = a
            while i <= last and a < n:
                b = a
                if raw[a][2] == PH:
                    while b + 1 < n and raw[b + 1][2] == PH:
                        b += 1
                i += 1
                a = b + 1
            plan.append((1, first, a - 1, glue_suffix(tokens, start, last)))
            continue
        tpl = raw[a][2]
        b = a
        if tpl == PH:
            while b + 1 < n and raw[b + 1][2] == PH:
                b += 1
        count = b - a + 1
        t = tokens[i]
        if t == tpl:
            if t == PH and count > 1 and runs.get(i, count) != count:
                plan.append((1, a, b, ""))
            else:
                plan.extend((0, k, k, "") for k in range(a, b + 1) if raw[k][3])
        elif t == PH:
            plan.append((1, a, b, ""))
        else:
            plan.append((2, a, a, t))
        i += 1
        a = b + 1
    return plan


def _params(c: _Cluster, content: str, spans: list[tuple[int, int]]) -> tuple[Param, ...]:
    """Typed params; a slot whose first calls to ``classify`` agreed keeps that type (cached)."""
    types = c.types
    if types is None or len(types) != len(spans):
        types = c.types = [None] * len(spans)
        c.votes = [0] * len(spans)
    votes = c.votes
    out = []
    for i, (s, e) in enumerate(spans):
        v = votes[i]
        if v >= TYPE_FREEZE:
            ty = types[i]
        else:
            ty = classify(content, s, e)
            if v == 0:
                types[i] = ty
                votes[i] = 1
            elif v > 0:
                if types[i] is ty:
                    votes[i] = v + 1
                else:
                    votes[i] = -1  # this slot's type varies: always ask
        out.append(Param(content[s:e], ty, s, e))  # type: ignore[arg-type]
    return tuple(out)
