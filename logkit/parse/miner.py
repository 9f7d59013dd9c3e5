"""Template mining: lines to templates with exact, typed variables (bounded memory, deterministic).

Obvious variables are masked first (:mod:`logkit.parse.masking`); lines are then clustered by their masked
word sequence. A line whose masked form was seen before goes straight to its cluster (one dict lookup);
a new form is compared with the clusters of the same length and joins the closest one when most of their
constant words agree, the differing words (or the differing parts of ``key=value`` words) becoming
variables. A run of whole-variable words whose length varies within a cluster is one variable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from logkit.errors import StateError
from logkit.parse.clusters import (
    TYPE_FREEZE,
    _Cluster,
    _compare,
    _ConstIndex,
    _could_join,
    _glue_units,
    _is_instance,
    _merge_tokens,
    _params,
    _plan,
    _refresh_consts,
    _softish,
    _starts,
    _unit_pair,
    _word_spans,
    covers,
)
from logkit.parse.families import reduced
from logkit.parse.fastrec import slot_setters
from logkit.parse.masking import (
    MAX_MINED_CHARS,
    PH,
    Masker,
    Word,
    collapse,
    fill_dates,
)
from logkit.parse.vartypes import Typer
from logkit.records import Param, unmarked

__all__ = ["Match", "TemplateMiner", "STATE_VERSION"]

STATE_VERSION = 1
MAX_CACHE = 500_000  # masked forms remembered -> cluster (a cache: cleared when full)
MAX_SEEN = 32_768  # exact contents remembered (a cache: cleared when full)
MAX_SEEN_CHARS = 512  # only contents up to this long are remembered
MAX_EXAMPLE = 2000  # characters of a line kept as a template's example

@dataclass(frozen=True, slots=True)
class Match:
    """A line's template (variables written ``<*>``) and its parameters, one per ``<*>`` in order."""

    template: str
    params: tuple[Param, ...]


_MATCH_TEMPLATE, _MATCH_PARAMS = slot_setters(Match, ("template", "params"))


def _new_match(template: str, params: tuple[Param, ...]) -> Match:
    """``Match(template, params)`` through its slots (see :mod:`logkit.parse.fastrec`)."""
    m: Match = object.__new__(Match)
    _MATCH_TEMPLATE(m, template)
    _MATCH_PARAMS(m, params)
    return m




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
        self._consts: dict[int, _ConstIndex] = {}  # word count -> its clusters by constant word
        self._families: dict[str, list[_Cluster]] = {}  # value-reduced form -> its clusters
        self._cache: dict[str, list[Any]] = {}  # masked form -> [cluster, plan version, plan]
        # Exact line contents seen lately (logs repeat whole messages): content -> its ``_cache`` entry,
        # and content -> (cluster, version, types, Match) once every slot's type is frozen. Both are
        # emptied whenever ``_cache`` is.
        self._seen: dict[str, list[Any]] = {}
        self._done: dict[str, tuple[Any, ...]] = {}
        self._next_id = 0
        self._tick = 0
        self._masker = Masker()  # the words this miner has seen, masked (bounded)
        self._classify = Typer().classify  # variable types, remembered by context (bounded)

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
            key = self._masker.line_key(content)
            raw = None
            if key is None:
                key, raw = self._masker.line_words(content)
            entry = self._cache.get(key)
            if entry is None:
                if raw is None:
                    raw = self._masker.line_words(content)[1]
                c = self._learn(key, collapse(raw), content)
                entry = self._cache[key]
            else:
                c = entry[0]
            self._see(content, entry)
        if c.into is not None:
            c = self._resolve(entry, content)
        self._tick += 1
        c.count += 1
        c.last = self._tick

    def match(self, content: str) -> Match:
        """The current template of a line; learns only if no known template fits it."""
        done = self._done.get(content)  # what _line looks up first, without its call on repeated lines
        if done is not None and done[0].version == done[1] and done[0].types is done[2]:
            return done[3]
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
        c = _Cluster(self._next_id, tokens, runs, unmarked(example[:MAX_EXAMPLE]))
        self._next_id += 1
        self._clusters[c.cid] = c
        self._buckets.setdefault(len(tokens), []).append(c)
        self._const_index(len(tokens)).add(c)
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
        self._consts = {}
        for c in self._clusters.values():
            self._const_index(len(c.tokens)).add(c)
        families: dict[str, list[_Cluster]] = {}
        for c in self._clusters.values():
            families.setdefault(c.sig, []).append(c)
        self._families = families
        self._forget()

    def _const_index(self, size: int) -> _ConstIndex:
        index = self._consts.get(size)
        if index is None:
            index = self._consts[size] = _ConstIndex()
        return index

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
        best_score = (-1.0, -1, -1)
        line = {(i, w.tpl) for i, w in enumerate(words)}
        line_ids = {i for i, w in enumerate(words) if _softish(w.tpl)}
        index = self._consts.get(len(words))
        maybe = index.candidates(line) if index is not None else set()  # the others cannot join
        for c in reversed(self._buckets.get(len(words), ())):
            if c.cid not in maybe or not _could_join(c, line, line_ids, exact):
                continue
            r = _compare(c.tokens, words, exact)
            if r is None:
                continue
            same, diff = r
            if diff:
                score = (same / (same + diff), c.count, c.last)
            else:
                score = (1.0 + same, c.count, c.last)
            if score > best_score:
                best, best_score = c, score
        return best

    def _learn(self, key: str, words: list[Word], content: str) -> _Cluster:
        c = self._find(words, exact=False)
        if c is None:
            runs = {i: w.count for i, w in enumerate(words) if w.tpl == PH}
            c = self._new_cluster([w.tpl for w in words], runs, content)
            self._absorb_instances(c)
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
        # a content the first pass saw has its masked form's entry in _seen (the very list _cache holds)
        entry = self._seen.get(content)
        if fast:
            text = fill_dates(content)
            words = text.split()
            if entry is None:
                masker = self._masker
                tpls = list(map(masker.templates.get, words))
                key = " ".join(masker.word_templates(words) if None in tpls else tpls)  # type: ignore[arg-type]
                entry = self._cache.get(key)
        else:
            key, raw = self._masker.line_words(content)
            entry = self._cache.get(key)
        if entry is None:
            if fast:
                raw = self._masker.line_words(content)[1]
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
        if c.into is not None:
            c = self._resolve(entry, content)
        if learn:
            self._tick += 1
            c.count += 1
            c.last = self._tick
        if entry[1] != c.version:
            if fast:
                raw = self._masker.line_words(content)[1]
            entry[2] = _plan(c, raw)
            entry[1] = c.version
        plan = entry[2]
        if fast:
            lengths = list(map(len, words))
            starts = None if len(text) == sum(lengths) + len(lengths) - 1 else _starts(text, words)
            cache_get = self._masker.cache.get
            mask_word = self._masker.mask_word
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
                    _word_spans(tok, content, st, st + lengths[a], spans)
        else:
            spans = []
            for op, a, b, tok in plan:
                if op == 0:
                    spans.extend(raw[a][3])
                elif op == 1:
                    spans.append((raw[a][0], raw[b][1] - len(tok)))
                else:
                    _word_spans(tok, content, raw[a][0], raw[a][1], spans)
        match = _new_match(c.text(), _params(c, content, spans, self._classify))
        votes = c.votes
        # remembered once no slot's type can change any more: each is frozen, or varies (-1: then typed by
        # ``classify``, a function of the content alone, so the same content gets the same params again)
        if len(content) <= MAX_SEEN_CHARS and votes.count(TYPE_FREEZE) + votes.count(-1) == len(votes):
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
            if t != w.tpl and not (t == PH or (PH in t and _is_instance(t, w.tpl))):
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
            self._const_index(len(tokens)).add(c)
            self._index(c)
            self._absorb_instances(c)

    # -- revisions: a cluster absorbs the clusters that became its instances --------------------------------
    def _resolve(self, entry: list[Any], content: str) -> _Cluster:
        """The live cluster for a cache entry whose cluster was absorbed (the entry is repointed): the
        closest one the line fits, as for a line never seen, else the one that absorbed it."""
        c = entry[0]
        while c.into is not None:
            c = c.into
        found = self._find(collapse(self._masker.line_words(content)[1]), exact=True)
        if found is not None:
            c = found
        entry[0] = c
        entry[1] = -1  # its plan was made for the absorbed cluster
        return c

    def _absorb_instances(self, c: _Cluster) -> None:
        """Absorb into ``c`` every other cluster of its length whose words ``c`` covers: a line of such a
        cluster would have joined ``c`` had ``c`` been known first, so the final templates do not depend
        on the order of the lines."""
        size = len(c.tokens)
        bucket = self._buckets.get(size)
        if bucket is None or len(bucket) < 2:
            return
        index = self._consts.get(size)
        maybe: set[int] | None = None
        if c.consts_version != c.version:
            _refresh_consts(c)
        if index is not None:
            for w in c.consts:
                if PH not in w[1]:  # every instance has this constant word
                    ids = index.by_word.get(w, set())
                    maybe = ids if maybe is None else maybe & ids
                    if not maybe:
                        return
        tokens = c.tokens
        victims = [
            o for o in bucket
            if o is not c and (maybe is None or o.cid in maybe) and o.glue == c.glue and covers(tokens, o.tokens)
        ]
        for o in victims:
            self._absorb(o, c)

    def _absorb(self, o: _Cluster, c: _Cluster) -> None:
        changed = False
        for i, (g, t) in enumerate(zip(c.tokens, o.tokens, strict=True)):
            if g == PH:
                old = c.runs.get(i, 1)
                new = o.runs.get(i, 1) if t == PH else 1
                if old != new and old != 0:
                    c.runs[i] = 0
                    changed = True
        c.count += o.count
        c.last = max(c.last, o.last)
        o.into = c
        o.version += 1  # what was remembered for its lines expires
        del self._clusters[o.cid]
        size = len(o.tokens)
        self._buckets[size] = [m for m in self._buckets[size] if m is not o]
        self._const_index(size).remove(o.cid)
        family = self._families.get(o.sig)
        if family is not None:
            family[:] = [m for m in family if m is not o]
        if changed:
            c.generic = True
            c._text = None
            c.types = None
            c.version += 1
