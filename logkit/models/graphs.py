"""Window graphs for the graph detector: event nodes (templates), entity nodes (ids, locations, names, header
ids) and edges event--entity and event->next event; plus bounded vocabularies with an ``unknown`` bucket.

Torch-free: the model (``logkit.models.graph``) turns :class:`WindowGraph` values into tensors.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from logkit.errors import DependencyError
from logkit.models.features import template_words
from logkit.records import Group, VarType

__all__ = ["GraphSpec", "WindowGraph", "Vocab", "GraphBuilder", "build_graph", "require_torch", "ENTITY_TYPES",
           "N_TOKEN_HASH", "UNKNOWN"]

ENTITY_TYPES = ("OID", "LOI", "OBN")  # object ids, locations, object names (DESIGN.md section 2)
N_TOKEN_HASH = 1 << 12
UNKNOWN = "<unknown>"
_TIME_LIKE = re.compile(r"date|time|epoch|month|day|year|hour|minute|second", re.IGNORECASE)
INSTALL_HINT = "the graph method needs torch; install it with pip install 'logkit[graph]'"


def require_torch() -> None:
    """Raise :class:`DependencyError` (one line naming the install command) when torch is missing."""
    try:
        import torch  # noqa: F401
    except ImportError:
        raise DependencyError(INSTALL_HINT) from None


@dataclass(frozen=True)
class GraphSpec:
    """Which variables and header fields become entity nodes.

    Parameters
    ----------
    entity_types : tuple of str
        Variable type codes whose values are entities (default: object ids, locations, object names).
    entity_fields : tuple of str or None
        Header fields whose values are entities; ``None`` means every header field holding a digit whose
        name does not look like a time (date, time, epoch, ...).
    max_entities : int
        Entity nodes kept per window (the first ones met).
    """

    entity_types: tuple[str, ...] = ENTITY_TYPES
    entity_fields: tuple[str, ...] | None = None
    max_entities: int = 256

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {"entity_types": list(self.entity_types),
                "entity_fields": None if self.entity_fields is None else list(self.entity_fields),
                "max_entities": self.max_entities}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GraphSpec:
        """Inverse of :meth:`to_dict`."""
        ef = data.get("entity_fields")
        return cls(tuple(data.get("entity_types", ENTITY_TYPES)), None if ef is None else tuple(ef),
                   int(data.get("max_entities", 256)))

    def field_is_entity(self, name: str) -> bool:
        """Whether a header field's values are entities."""
        if self.entity_fields is not None:
            return name in self.entity_fields
        return not _TIME_LIKE.search(name)


@dataclass(slots=True)
class WindowGraph:
    """One window or session as a graph.

    Event nodes are distinct (template id, kind fields) pairs; entity nodes distinct entity keys
    (``TYPE:value`` for variables, ``Field=value`` for header fields). Edges carry counts.
    """

    events: list[str] = field(default_factory=list)  # template ids, one per event node
    templates: list[str] = field(default_factory=list)
    tokens: list[list[int]] = field(default_factory=list)  # hashed words + kind fields per event node
    kinds: list[tuple[tuple[str, str], ...]] = field(default_factory=list)  # kind fields per event node
    event_counts: list[int] = field(default_factory=list)
    event_lines: list[int] = field(default_factory=list)  # first line of each event node
    entities: list[str] = field(default_factory=list)  # entity keys
    entity_kinds: list[str] = field(default_factory=list)  # type code or field name
    entity_counts: list[int] = field(default_factory=list)
    links: dict[tuple[int, int], int] = field(default_factory=dict)  # (event node, entity node) -> count
    steps: dict[tuple[int, int], int] = field(default_factory=dict)  # (event node, next event node) -> count

    @staticmethod
    def entity_value(key: str) -> str:
        """The readable value of an entity key."""
        cut = min((k for k in (key.find(":"), key.find("=")) if k > 0), default=-1)  # the first separator
        if cut > 0 and " " not in key[:cut]:
            return key[cut + 1:]
        return key


def _hash(token: str) -> int:
    return zlib.crc32(token.encode("utf-8", "surrogatepass")) % N_TOKEN_HASH


class GraphBuilder:
    """Builds the window graphs of one :class:`GraphSpec`, remembering what repeats (bounded): each template's
    word tokens and which header field names hold entities. A detector keeps one for its spec."""

    __slots__ = ("spec", "_token_cache", "_yes", "_no", "_types", "_codes")

    def __init__(self, spec: GraphSpec) -> None:
        self.spec = spec
        self._token_cache: dict[tuple[str, tuple[tuple[str, str], ...]], list[int]] = {}
        self._yes: set[str] = set()  # header field names that hold entities
        self._no: set[str] = set()  # and those that do not
        # keyed by id(): VarType members are singletons, and an enum's hash runs Python code
        self._types = {id(t): t.value for t in VarType if t.value in spec.entity_types}
        self._codes = frozenset(spec.entity_types)

    def tokens(self, template: str, fields: tuple[tuple[str, str], ...]) -> list[int]:
        """The hashed word and kind tokens of an event (a template with its kind fields)."""
        key = (template, fields)
        got = self._token_cache.get(key)
        if got is None:
            words = template_words(template)
            got = sorted({_hash("w:" + w) for w in words} | {_hash(f"f:{k}={v}".lower()) for k, v in fields})
            if len(self._token_cache) < 50_000:
                self._token_cache[key] = got
        return got

    def build(self, group: Group) -> WindowGraph:
        """The graph of one group's events (in line order)."""
        g = WindowGraph()
        ev_index: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
        ent_index: dict[tuple[str, str, str], int] = {}  # (type or field, separator, value) -> node
        spec = self.spec
        types, codes = self._types, self._codes
        named = spec.entity_fields
        yes, no = self._yes, self._no  # header field names: entities or not
        tokens = self.tokens
        ev_counts, ent_counts, links, steps = g.event_counts, g.entity_counts, g.links, g.steps
        max_entities = spec.max_entities
        prev = -1
        for ev in group.events:
            key = (ev.template_id, ev.fields)
            i = ev_index.get(key)
            if i is None:
                i = ev_index[key] = len(g.events)
                g.events.append(ev.template_id)
                g.templates.append(ev.template)
                g.tokens.append(tokens(ev.template, ev.fields))
                g.kinds.append(ev.fields)
                g.event_lines.append(ev.line)
                ev_counts.append(0)
            ev_counts[i] += 1
            if prev >= 0:
                st = (prev, i)
                steps[st] = steps.get(st, 0) + 1
            prev = i
            ents: list[tuple[str, str, str]] = []
            for q in ev.params:  # the parser's Param values, or the JSON objects of parse records
                if type(q) is dict:
                    code, value = q.get("type"), q.get("value")
                    if value and code in codes:
                        ents.append((str(code), ":", str(value)))
                else:
                    code = types.get(id(q.type))
                    if code is not None and q.value:
                        ents.append((code, ":", q.value))
            for k, v in ev.ids:
                if k in yes:
                    ents.append((k, "=", v))
                elif k not in no:
                    (yes if spec.field_is_entity(k) else no).add(k)
                    if k in yes:
                        ents.append((k, "=", v))
            if named:  # named fields may hold no digit (host names)
                ents += [(k, "=", v) for k, v in ev.fields if k in named]
            if len(ents) > 2 or (len(ents) == 2 and ents[0] == ents[1]):
                ents = list(dict.fromkeys(ents))
            for ekey in ents:
                j = ent_index.get(ekey)
                if j is None:
                    if len(ent_index) >= max_entities:
                        continue
                    j = ent_index[ekey] = len(g.entities)
                    g.entities.append("".join(ekey))
                    g.entity_kinds.append(ekey[0])
                    ent_counts.append(0)
                ent_counts[j] += 1
                lk = (i, j)
                links[lk] = links.get(lk, 0) + 1
        return g


def build_graph(group: Group, spec: GraphSpec) -> WindowGraph:
    """The graph of one group's events (in line order); for many, one :class:`GraphBuilder`."""
    return GraphBuilder(spec).build(group)


class Vocab:
    """A bounded vocabulary: index 0 is the ``unknown`` bucket, then the most frequent keys."""

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self.keys: list[str] = [UNKNOWN, *keys]
        self._index = {k: i for i, k in enumerate(self.keys)}

    @classmethod
    def build(cls, counts: Counter[str], max_size: int, min_count: int = 1) -> Vocab:
        """The ``max_size - 1`` most frequent keys seen at least ``min_count`` times (ties by key, so the
        result is deterministic)."""
        ranked = sorted(((k, c) for k, c in counts.items() if c >= min_count),
                        key=lambda kv: (-kv[1], kv[0]))[: max(max_size - 1, 0)]
        return cls(k for k, _ in ranked)

    def __len__(self) -> int:
        return len(self.keys)

    def index(self, key: str) -> int:
        """The key's index, 0 when unknown."""
        return self._index.get(key, 0)

    def indices(self, keys: Iterable[str]) -> list[int]:
        """:meth:`index` of each key."""
        get = self._index.get
        return [get(k, 0) for k in keys]
