"""The graph detector (issue 12, after GLAD): message passing over window graphs, attention over recent windows.

Each window becomes a graph of events and entities (:mod:`logkit.detect.graphs`); two rounds of plain-torch
message passing give a window embedding; one attention layer over the embeddings of the previous windows
gives the temporal context, from which the model forecasts the events and entities of the window. Trained
without labels (reconstruct each window from its graph, forecast it from the windows before); the score is
the window's surprise: that of its most surprising event, plus by how much each of the next few exceeds a
floor (several rare things at once weigh more than one), plus a quarter of the mean per line (reconstruction
and forecast averaged by default). A never-seen event costs its Good-Turing share of the training data times
the training share of its kind (level, component: the header fields without digits) and of its words
(:mod:`logkit.detect.novelty`), so novelty turns into score, the more so the rarer its kind and the less it
reads like known lines; a never-seen entity costs its Good-Turing share; a known event never costs less than
its share of the training lines says.
This is the only module that imports torch at top level.
"""

from __future__ import annotations

import heapq
import math
import os
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logkit.detect.graphs import INSTALL_HINT, N_TOKEN_HASH, GraphSpec, Vocab, WindowGraph, build_graph
from logkit.detect.grouping import Group
from logkit.detect.novelty import NoveltyPrior
from logkit.errors import DependencyError, StateError, UsageError
from logkit.fsutil import atomic_path, make_folder, read_versioned_json, write_json_atomic
from logkit.models.base import Score

try:
    import torch
    from torch import nn
except ImportError:  # pragma: no cover - exercised by monkeypatching sys.modules
    raise DependencyError(INSTALL_HINT) from None

__all__ = ["GraphDetector", "GraphScore", "GraphNet", "CONFIG_FILE", "WEIGHTS_FILE", "FORMAT_VERSION",
           "resolve_device"]

CONFIG_FILE = "graph.json"
WEIGHTS_FILE = "graph.pt"
FORMAT_VERSION = 3  # 2: kind-field counts for the price of unseen events; 3: and template words
MEAN_WEIGHT = 0.25  # weight of the mean surprise per line beside the peaks
RARE_ROOT = 3.0  # the next peaks count by how much they exceed -log(N ** (-1 / RARE_ROOT)) for N training lines
THRESHOLD_EVENTS = 2.0  # rarity calibration: score 0.5 at THRESHOLD_EVENTS * log(N) nats
SCALE_FLOOR = 0.15  # the score's scale is at least this share of the threshold (far-below windows keep a rank)
_RELATIONS = 4  # event->entity, entity->event, event->next event, next event->event


@dataclass
class GraphScore(Score):
    """A :class:`Score` plus ``top``: the edges or nodes that weighed most, in words."""

    top: list[dict[str, Any]] = field(default_factory=list)


def resolve_device(device: str) -> str:
    """``cpu`` or ``cuda``; asking for cuda where torch sees no GPU is a one-line error."""
    if device not in ("cpu", "cuda"):
        raise UsageError(f"--device {device!r}: use cpu or cuda")
    if device == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: torch sees no GPU here (a CPU-only torch or no driver); use --device cpu")
    return device


@contextmanager
def _threads(n: int) -> Iterator[None]:
    """torch's CPU threads set to ``n`` for a block (0: leave them), then restored."""
    prev = torch.get_num_threads()
    if n > 0 and n != prev:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if torch.get_num_threads() != prev:
            torch.set_num_threads(prev)


class GraphNet(nn.Module):
    """Graph encoder, temporal attention and the two decoders (reconstruct the window, forecast it)."""

    def __init__(self, n_events: int, n_entities: int, n_kinds: int, dim: int, layers: int, context: int):
        super().__init__()
        self.context = context
        self.ev_emb = nn.Embedding(n_events, dim)
        self.tok_emb = nn.EmbeddingBag(N_TOKEN_HASH, dim, mode="mean")
        self.ent_emb = nn.Embedding(n_entities, dim)
        self.kind_emb = nn.Embedding(n_kinds, dim)
        self.count = nn.Linear(1, dim)
        self.self_lin = nn.ModuleList(nn.Linear(dim, dim) for _ in range(layers))
        self.rel_lin = nn.ModuleList(nn.Linear(dim, dim, bias=False) for _ in range(layers * _RELATIONS))
        self.pool = nn.Linear(2 * dim, dim)
        self.pad = nn.Parameter(torch.zeros(context, dim))
        self.pos = nn.Parameter(torch.zeros(context, dim))
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.start = nn.Parameter(torch.zeros(dim))
        self.norm = nn.LayerNorm(dim)
        self.hidden = nn.Linear(dim, dim)
        self.dec_ev = nn.Linear(dim, n_events)
        self.dec_ent = nn.Linear(dim, n_entities)

    def embed(self, b: dict[str, Any]) -> Any:
        """Window embeddings ``[B, dim]`` of a collated batch (see :func:`_collate`)."""
        h_ev = self.ev_emb(b["ev_id"]) + self.tok_emb(b["tok"], b["tok_off"]) + self.count(b["ev_cnt"])
        h_ent = self.ent_emb(b["ent_id"]) + self.kind_emb(b["ent_kind"]) + self.count(b["ent_cnt"])
        h = torch.cat([h_ev, h_ent]) if b["ent_id"].numel() else h_ev
        n = h.shape[0]
        for layer, lin in enumerate(self.self_lin):
            out = lin(h)
            for r in range(_RELATIONS):
                src, dst, w = b["edges"][r]
                if not src.numel():
                    continue
                agg = torch.zeros_like(h).index_add_(0, dst, h[src] * w[:, None])
                deg = torch.zeros(n, device=h.device).index_add_(0, dst, w).clamp_min(1.0)
                out = out + self.rel_lin[layer * _RELATIONS + r](agg / deg[:, None])
            h = torch.relu(out)
        win = b["node_win"][:n]
        nb = b["n_windows"]
        cnt = torch.zeros(nb, device=h.device).index_add_(0, win, torch.ones(n, device=h.device)).clamp_min(1.0)
        mean = torch.zeros(nb, h.shape[1], device=h.device).index_add_(0, win, h) / cnt[:, None]
        pos = b["node_pos"][:n]
        dense = torch.full((nb, int(b["max_nodes"]), h.shape[1]), -1.0, device=h.device)  # h >= 0 (relu)
        mx = dense.index_put((win, pos), h).amax(dim=1)
        return torch.tanh(self.pool(torch.cat([mean, mx], dim=1)))

    def forecast(self, z: Any, history: Any) -> Any:
        """Context of each window from the ``context`` windows before it: ``history`` ``[H, dim]`` precedes
        ``z`` ``[B, dim]`` in time (``H`` may be 0; missing slots are a learned pad)."""
        k = self.context
        seq = torch.cat([self.pad, history, z])[-(z.shape[0] + k):]  # [B + k, dim]
        prev = seq.unfold(0, k, 1)[: z.shape[0]].transpose(1, 2) + self.pos  # [B, k, dim]: windows before t
        last = prev[:, -1, :]
        q = self.q(last + self.start)
        att = torch.softmax((self.k(prev) @ q[:, :, None]).squeeze(2) / math.sqrt(q.shape[1]), dim=1)
        ctx = (att[:, :, None] * self.v(prev)).sum(1)
        return self.norm(ctx + last)

    def decode(self, u: Any) -> tuple[Any, Any]:
        """Log-probabilities over known events and entities (index 0, the unknown bucket, left out)."""
        hid = torch.relu(self.hidden(u)) + u
        ev = self.dec_ev(hid)
        ent = self.dec_ent(hid)
        ev = ev.clone()
        ev[:, 0] = -1e9
        ent = ent.clone()
        ent[:, 0] = -1e9
        return torch.log_softmax(ev, dim=1), torch.log_softmax(ent, dim=1)


def _collate(items: Sequence[tuple[WindowGraph, list[int], list[int], list[int]]], device: str) -> dict[str, Any]:
    """Tensors of a batch of encoded graphs: (graph, event ids, entity ids, entity kind ids) per window."""
    ev_id: list[int] = []
    tok: list[int] = []
    tok_off: list[int] = []
    ev_cnt: list[float] = []
    ent_id: list[int] = []
    ent_kind: list[int] = []
    ent_cnt: list[float] = []
    ev_win: list[int] = []
    ent_win: list[int] = []
    ev_base: list[int] = []
    ent_base: list[int] = []
    for w, (g, eids, xids, kids) in enumerate(items):
        ev_base.append(len(ev_id))
        ent_base.append(len(ent_id))
        ev_id.extend(eids)
        for t in g.tokens:
            tok_off.append(len(tok))
            tok.extend(t)
        ev_cnt.extend(math.log1p(c) for c in g.event_counts)
        ev_win.extend([w] * len(eids))
        ent_id.extend(xids)
        ent_kind.extend(kids)
        ent_cnt.extend(math.log1p(c) for c in g.entity_counts)
        ent_win.extend([w] * len(xids))
    ne = len(ev_id)
    sizes = [len(e) + len(x) for _, e, x, _ in items]
    node_pos = [k for _, e, _, _ in items for k in range(len(e))]
    node_pos += [len(e) + k for _, e, x, _ in items for k in range(len(x))]
    link_src: list[int] = []
    link_dst: list[int] = []
    link_w: list[float] = []
    step_src: list[int] = []
    step_dst: list[int] = []
    step_w: list[float] = []
    for w, (g, _, _, _) in enumerate(items):
        eb, xb = ev_base[w], ne + ent_base[w]
        link_src.extend([eb + i for i, _ in g.links])
        link_dst.extend([xb + j for _, j in g.links])
        link_w.extend([_log1p(c) for c in g.links.values()])
        step_src.extend([eb + i for i, _ in g.steps])
        step_dst.extend([eb + j for _, j in g.steps])
        step_w.extend([_log1p(c) for c in g.steps.values()])
    # relations: event->entity, entity->event, event->next event, next event->event
    rel = [(link_src, link_dst, link_w), (link_dst, link_src, link_w), (step_src, step_dst, step_w),
           (step_dst, step_src, step_w)]

    def lt(x: list[int]) -> Any:
        return torch.tensor(x, dtype=torch.long, device=device)

    def ft(x: list[float]) -> Any:
        return torch.tensor(x, dtype=torch.float32, device=device)

    return {"ev_id": lt(ev_id), "tok": lt(tok), "tok_off": lt(tok_off), "ev_cnt": ft(ev_cnt)[:, None],
            "ent_id": lt(ent_id), "ent_kind": lt(ent_kind), "ent_cnt": ft(ent_cnt)[:, None],
            "ev_win": lt(ev_win), "ent_win": lt(ent_win), "node_win": lt(ev_win + ent_win),
            "node_pos": lt(node_pos), "max_nodes": max(sizes, default=1),
            "n_windows": len(items), "edges": [(lt(s), lt(d), ft(c)) for s, d, c in rel]}


_LOG1P = [math.log1p(c) for c in range(256)]


def _log1p(c: int) -> float:
    return _LOG1P[c] if c < 256 else math.log1p(c)


def _targets(b: dict[str, Any], items: Sequence[tuple[WindowGraph, list[int], list[int], list[int]]],
             n_ev: int, n_ent: int, device: str) -> tuple[Any, Any]:
    """Dense per-window counts over the vocabularies (the unknown bucket zeroed: novelty is priced apart)."""
    nb = len(items)
    cev = torch.tensor([c for g, *_ in items for c in g.event_counts], dtype=torch.float32, device=device)
    cent = torch.tensor([c for g, *_ in items for c in g.entity_counts], dtype=torch.float32, device=device)
    tev = torch.zeros(nb, n_ev, device=device).index_put_((b["ev_win"], b["ev_id"]), cev, accumulate=True)
    tent = torch.zeros(nb, n_ent, device=device).index_put_((b["ent_win"], b["ent_id"]), cent, accumulate=True)
    tev[:, 0] = 0.0
    tent[:, 0] = 0.0
    return tev, tent


def _good_turing(counts: Counter[str]) -> float:
    """Share of occurrences that are of keys seen once: the chance the next one is new (clipped)."""
    total = sum(counts.values())
    if not total:
        return 0.5
    ones = sum(1 for c in counts.values() if c == 1)
    return min(max(ones / total, 1e-4), 0.95)


class GraphDetector:
    """Unsupervised window-graph detector with temporal context (estimator-style: params verbatim, ``_``
    attributes after ``fit``).

    Parameters
    ----------
    dim : int
        Width of node states and window embeddings.
    layers : int
        Rounds of message passing.
    context : int
        Previous windows the temporal attention sees.
    epochs : int
        Passes over the training windows (bounded further by ``max_steps``).
    max_steps : int
        Most optimiser steps in all (bounds training time on big inputs).
    batch : int
        Consecutive windows per training step.
    lr : float
        Adam learning rate.
    max_events, max_entities : int
        Vocabulary bounds (the rest share the unknown bucket).
    min_count : int
        Keys seen fewer times in training share the unknown bucket too (so it learns what novelty looks like).
    surprise : str
        What the score measures: ``recon`` (how well the window's own graph explains its events and
        entities), ``forecast`` (how well the previous windows predict them) or ``both`` (their mean).
    calibration : str
        Where the threshold (score 0.5) lies: ``rarity`` (default), where the window's surprise exceeds
        ``2 log N`` nats for ``N`` training lines (about two events each rarer than once in the training
        data), or ``holdout``: the ``quantile`` of the scores a model of the older windows gives the latest
        ``holdout`` share (trains twice).
    quantile : float
        Share of held-out training windows scored below the threshold (0.5).
    holdout : float
        Share of the training windows (the latest) held out to calibrate the scores.
    base_rate : bool
        A known event is never less surprising than its share of the training lines says (the model sees
        the window it scores, so it could otherwise explain a rare event away).
    word_weight : float
        Weight, in the price of a never-seen event, of how rare its words were in the training lines (beyond
        the typical line's): a new variant of known messages costs less than a message in new words.
    peaks : int
        Distinct events the window score adds up: the most surprising one whole, the next ``peaks - 1`` by
        how much each exceeds ``log(N) / 3`` nats (rarer than one in the cube root of the ``N`` training lines).
    threads : int
        torch CPU threads while fitting and scoring (0: torch's default). One is fastest for these small
        graphs, and much faster than several when the cores are shared.
    random_state : int
        Seed (training is deterministic on the CPU).
    spec : dict, optional
        :class:`GraphSpec` as a dict (entity types and fields).
    """

    name = "graph"

    def __init__(self, *, dim: int = 32, layers: int = 2, context: int = 8, epochs: int = 20, max_steps: int = 300,
                 batch: int = 64, lr: float = 0.01, max_events: int = 4096, max_entities: int = 8192,
                 min_count: int = 2, surprise: str = "both", calibration: str = "rarity", quantile: float = 0.95,
                 holdout: float = 0.2, base_rate: bool = True, word_weight: float = 0.25, peaks: int = 4,
                 threads: int = 1, random_state: int = 0, spec: dict[str, Any] | None = None) -> None:
        if surprise not in ("both", "recon", "forecast"):
            raise UsageError(f"surprise={surprise!r}: use both, recon or forecast")
        self.dim = dim
        self.layers = layers
        self.context = context
        self.epochs = epochs
        self.max_steps = max_steps
        self.batch = batch
        self.lr = lr
        self.max_events = max_events
        self.max_entities = max_entities
        self.min_count = min_count
        self.surprise = surprise
        if calibration not in ("rarity", "holdout"):
            raise UsageError(f"calibration={calibration!r}: use rarity or holdout")
        self.calibration = calibration
        self.quantile = quantile
        self.holdout = holdout
        self.base_rate = base_rate
        self.word_weight = word_weight
        self.peaks = max(int(peaks), 1)
        self.threads = threads
        self.random_state = random_state
        self.spec = spec
        self.device = "cpu"
        self._history: deque[Any] = deque(maxlen=context)

    def get_params(self) -> dict[str, Any]:
        """The hyperparameters as given."""
        return {k: getattr(self, k) for k in ("dim", "layers", "context", "epochs", "max_steps", "batch", "lr",
                                              "max_events", "max_entities", "min_count", "surprise",
                                              "calibration", "quantile", "holdout",
                                              "base_rate", "word_weight", "peaks", "threads", "random_state", "spec")}

    # -- encoding ---------------------------------------------------------------------------------
    def _spec(self) -> GraphSpec:
        return GraphSpec.from_dict(self.spec) if self.spec else GraphSpec()

    def _encode(self, g: WindowGraph) -> tuple[WindowGraph, list[int], list[int], list[int]]:
        return (g, [self.ev_vocab_.index(t) for t in g.events], [self.ent_vocab_.index(e) for e in g.entities],
                [self.kind_vocab_.index(k) for k in g.entity_kinds])

    def _vocab(self, graphs: Sequence[WindowGraph]) -> tuple[Counter[str], Counter[str]]:
        ev: Counter[str] = Counter()
        ent: Counter[str] = Counter()
        kinds: Counter[str] = Counter()
        for g in graphs:
            for t, c in zip(g.events, g.event_counts, strict=True):
                ev[t] += c
            for e, k, c in zip(g.entities, g.entity_kinds, g.entity_counts, strict=True):
                ent[e] += c
                kinds[k] += c
        self.ev_vocab_ = Vocab.build(ev, self.max_events, self.min_count)
        total = max(sum(ev.values()), 1)
        self.ev_base_ = [0.0] + [-math.log(ev[k] / total) for k in self.ev_vocab_.keys[1:]]
        self.ent_vocab_ = Vocab.build(ent, self.max_entities, self.min_count)
        self.kind_vocab_ = Vocab.build(kinds, 256)
        self.prior_ = NoveltyPrior.from_graphs(graphs, self.word_weight)
        self.n_lines_ = sum(ev.values())
        return ev, ent

    # -- fitting ----------------------------------------------------------------------------------
    def fit(self, groups: Sequence[Group]) -> GraphDetector:
        """Learn normal windows (in time order) and calibrate the score (see ``calibration``)."""
        with _threads(self.threads):
            return self._fit(groups)

    def _fit(self, groups: Sequence[Group]) -> GraphDetector:
        if not groups:
            raise UsageError("no sessions or windows to train on; check --session/--window against the input")
        torch.manual_seed(self.random_state)
        spec = self._spec()
        graphs = [build_graph(g, spec) for g in groups]
        n_hold = int(len(graphs) * self.holdout) if len(graphs) >= 10 and self.calibration == "holdout" else 0
        if n_hold:  # a first model on the older windows scores the newer ones: what unseen data looks like
            self._fit_graphs(graphs[:-n_hold])
            self._history.clear()
            self._raw(graphs[:-n_hold][-self.context:])  # the context the held-out windows follow
            raws = self._raw(graphs[-n_hold:])
        self._fit_graphs(graphs)
        self._history.clear()
        if not n_hold:
            raws = self._raw(graphs)
        self._history.clear()
        raw = sorted(r for r, _, _ in raws)
        med = raw[len(raw) // 2]
        spread = sorted(abs(r - med) for r in raw)[len(raw) // 2] * 1.4826
        if self.calibration == "holdout":
            thr = raw[min(len(raw) - 1, int(self.quantile * len(raw)))]
        else:  # about two events each rarer than one line in the training data (-log(1 / N) nats for N lines)
            thr = THRESHOLD_EVENTS * math.log(self.n_lines_ + 1.0)
        self.calib_ = (thr, max(spread, SCALE_FLOOR * abs(thr), 1e-3))
        return self

    def _fit_graphs(self, graphs: Sequence[WindowGraph]) -> None:
        torch.manual_seed(self.random_state)
        ev, ent = self._vocab(graphs)
        self.alpha_ = (_good_turing(ev), _good_turing(ent))
        self.net_ = GraphNet(len(self.ev_vocab_), len(self.ent_vocab_), len(self.kind_vocab_), self.dim,
                             self.layers, self.context).to(self.device)
        items = [self._encode(g) for g in graphs]
        chunks = [items[i:i + self.batch] for i in range(0, len(items), self.batch)]
        opt = torch.optim.Adam(self.net_.parameters(), lr=self.lr)
        gen = torch.Generator().manual_seed(self.random_state)
        batches = [(_collate(c, self.device), c) for c in chunks]
        tgts = [_targets(b, c, len(self.ev_vocab_), len(self.ent_vocab_), self.device) for b, c in batches]
        steps = 0
        self.net_.train()
        for _ in range(self.epochs):
            for ci in torch.randperm(len(batches), generator=gen).tolist():
                b, _c = batches[ci]
                tev, tent = tgts[ci]
                z = self.net_.embed(b)
                empty = z[:0]
                ctx = self.net_.forecast(z, empty)
                rec_ev, rec_ent = self.net_.decode(z)
                fc_ev, fc_ent = self.net_.decode(ctx)
                nev = tev.sum(1).clamp_min(1.0)
                nent = tent.sum(1).clamp_min(1.0)
                loss = (-(tev * rec_ev).sum(1) / nev - (tent * rec_ent).sum(1) / nent
                        - (tev * fc_ev).sum(1) / nev - (tent * fc_ent).sum(1) / nent).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                steps += 1
                if steps >= self.max_steps:
                    break
            if steps >= self.max_steps:
                break
        self.net_.eval()

    # -- scoring ----------------------------------------------------------------------------------
    def _raw(self, graphs: Sequence[WindowGraph]) -> list[tuple[float, float, list[tuple[float, float]]]]:
        """Raw surprise per window, the part of it past its most surprising event, and per node (events then
        entities) its (share, -log p)."""
        if not graphs:
            return []
        items = [self._encode(g) for g in graphs]
        b = _collate(items, self.device)
        a_ev, a_ent = self.alpha_
        with torch.no_grad():
            z = self.net_.embed(b)
            hist = torch.stack(list(self._history)) if self._history else z[:0]
            if self.surprise == "recon":
                lp_ev, lp_ent = self.net_.decode(z)
            elif self.surprise == "forecast":
                lp_ev, lp_ent = self.net_.decode(self.net_.forecast(z, hist))
            else:  # both: the mean of the two log-probabilities
                f_ev, f_ent = self.net_.decode(self.net_.forecast(z, hist))
                r_ev, r_ent = self.net_.decode(z)
                lp_ev, lp_ent = (f_ev + r_ev) / 2, (f_ent + r_ent) / 2
            for row in z[-self.context:]:
                self._history.append(row)
            ev_lp = lp_ev[b["ev_win"], b["ev_id"]].tolist()
            ent_lp = lp_ent[b["ent_win"], b["ent_id"]].tolist() if b["ent_id"].numel() else []
        out = []
        pe = pn = 0
        base = self.ev_base_
        floor = math.log(self.n_lines_ + 1.0) / RARE_ROOT
        for g, eids, xids, _k in items:
            nodes: list[tuple[float, float]] = []
            for c, i, kf, tpl in zip(g.event_counts, eids, g.kinds, g.templates, strict=True):
                if i == 0:
                    nll = self.prior_.cost(tpl, kf, a_ev)
                else:  # never below its base rate: seeing the event in the window must not explain it away
                    nll = -math.log1p(-a_ev) + (max(-ev_lp[pe], base[i]) if self.base_rate else -ev_lp[pe])
                pe += 1
                nodes.append((c * nll, nll))
            for c, i in zip(g.entity_counts, xids, strict=True):
                nll = -math.log(a_ent) if i == 0 else -(math.log1p(-a_ent) + ent_lp[pn])
                pn += 1
                nodes.append((c * nll, nll))
            lines = max(sum(g.event_counts), 1)
            total = sum(w for w, _ in nodes)
            top = heapq.nlargest(self.peaks, (nll for _, nll in nodes[: len(eids)]))
            rest = sum(max(0.0, x - floor) for x in top[1:])
            shares = [(w / total if total > 0 else 0.0, nll) for w, nll in nodes]
            out.append(((top[0] if top else 0.0) + rest + MEAN_WEIGHT * total / lines, rest, shares))
        return out

    def reset(self) -> None:
        """Forget the temporal context (a new, unrelated stream starts)."""
        self._history.clear()

    def score(self, groups: Sequence[Group]) -> list[GraphScore]:
        """One :class:`GraphScore` per group, in order; the groups continue the stream scored before."""
        spec = self._spec()
        graphs = [build_graph(g, spec) for g in groups]
        thr, scale = self.calib_
        out = []
        with _threads(self.threads):
            raws = self._raw(graphs)
        for g, (raw, _rest, nodes) in zip(graphs, raws, strict=True):
            x = (raw - thr) / scale
            p = 1.0 / (1.0 + math.exp(-x)) if x > -60 else 0.0
            top = self._top(g, nodes)
            reason = self._reason(g, nodes)
            lines = sorted(g.event_lines[i] for i, _ in sorted(
                enumerate(nodes[: len(g.events)]), key=lambda t: -t[1][1])[:3])
            out.append(GraphScore(p, min(1.0, 1.0 - abs(2.0 * p - 1.0)), reason, lines, top=top))
        return out

    def _top(self, g: WindowGraph, nodes: list[tuple[float, float]], n: int = 3) -> list[dict[str, Any]]:
        ne = len(g.events)
        # weights first; words only for the heaviest (several links may read alike: Node and NodeRepeat)
        links = [(nodes[i][0] + nodes[ne + j][0], i, j) for i, j in g.links]
        steps = [(nodes[i][0] + nodes[j][0], i, j) for i, j in g.steps if i != j]
        floor = min(heapq.nlargest(4 * n, [w for w, _, _ in links + steps]), default=0.0)
        cands = [(w, f"entity {WindowGraph.entity_value(g.entities[j])} <-> event {g.events[i]}")
                 for w, i, j in links if w >= floor]
        cands += [(w, f"event {g.events[i]} -> event {g.events[j]}") for w, i, j in steps if w >= floor]
        if not cands:
            cands = [(nodes[i][0], f"event {g.events[i]}") for i in range(ne)]
        best: dict[str, float] = {}
        for w, what in cands:
            best[what] = max(w, best.get(what, 0.0))
        ranked = sorted(best.items(), key=lambda t: (-t[1], t[0]))[:n]
        return [{"what": what, "weight": round(min(w, 1.0), 3)} for what, w in ranked]

    def _reason(self, g: WindowGraph, nodes: list[tuple[float, float]]) -> str:
        ne = len(g.events)
        if not ne:
            return "the window is empty"
        i = max(range(ne), key=lambda k: nodes[k][1])
        new = self.ev_vocab_.index(g.events[i]) == 0
        tpl = g.templates[i] if len(g.templates[i]) <= 80 else g.templates[i][:79] + "…"
        what = "never seen in training" if new else f"unexpected here (p={math.exp(-nodes[i][1]):.3g})"
        parts = [f"event {g.events[i]} '{tpl}' {what}"]
        unseen_ent = [e for e in g.entities if self.ent_vocab_.index(e) == 0]
        if unseen_ent and len(unseen_ent) == len(g.entities) and g.entities:
            parts.append(f"{len(unseen_ent)} entities never seen in training")
        return "; ".join(parts)

    # -- state ------------------------------------------------------------------------------------
    def is_fitted(self) -> bool:
        """Whether :meth:`fit` ran."""
        return hasattr(self, "net_")

    def save(self, folder: str | os.PathLike[str]) -> None:
        """``graph.json`` (config, vocabularies, calibration, format version) and ``graph.pt`` (tensors)."""
        if not self.is_fitted():
            raise UsageError("the detector is not fitted; call fit before save")
        out = Path(folder)
        make_folder(out)
        state = {k: v.detach().cpu().contiguous() for k, v in self.net_.state_dict().items()}
        with atomic_path(out / WEIGHTS_FILE) as tmp:
            torch.save(state, tmp)
        write_json_atomic(out / CONFIG_FILE, {
            "kind": "logkit-graph", "version": FORMAT_VERSION, "params": self.get_params(),
            "event_base": self.ev_base_[1:],
            "vocab": {"events": self.ev_vocab_.keys[1:], "entities": self.ent_vocab_.keys[1:],
                      "kinds": self.kind_vocab_.keys[1:]},
            "alpha": list(self.alpha_), "calib": list(self.calib_), "prior": self.prior_.to_dict(),
            "lines": self.n_lines_})

    @classmethod
    def load(cls, folder: str | os.PathLike[str], *, device: str = "cpu") -> GraphDetector:
        """Read a detector written by :meth:`save` (``torch.load`` with ``weights_only=True``)."""
        meta = read_versioned_json(Path(folder) / CONFIG_FILE, kind="logkit-graph", version=FORMAT_VERSION,
                                   what="graph model", fix="train the model again",
                                   missing=f"no {CONFIG_FILE} in {folder}; train it with `logkit train "
                                   "--method graph`")
        det = cls(**meta.get("params", {}))
        det.device = resolve_device(device)
        voc = meta["vocab"]
        det.ev_base_ = [0.0] + [float(x) for x in meta.get("event_base") or [0.0] * len(voc["events"])]
        det.ev_vocab_, det.ent_vocab_, det.kind_vocab_ = (Vocab(voc["events"]), Vocab(voc["entities"]),
                                                          Vocab(voc["kinds"]))
        det.alpha_ = (float(meta["alpha"][0]), float(meta["alpha"][1]))
        det.calib_ = (float(meta["calib"][0]), float(meta["calib"][1]))
        det.prior_ = NoveltyPrior.from_dict(dict(meta.get("prior") or {}))
        det.n_lines_ = int(meta.get("lines", 0))
        net = GraphNet(len(det.ev_vocab_), len(det.ent_vocab_), len(det.kind_vocab_), det.dim, det.layers,
                       det.context)
        try:
            state = torch.load(Path(folder) / WEIGHTS_FILE, map_location=det.device, weights_only=True)
            net.load_state_dict(state)
        except (OSError, RuntimeError, ValueError, KeyError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            first = first.split(". ")[0]  # torch's messages go on for several sentences
            raise StateError(f"{Path(folder) / WEIGHTS_FILE} is not readable ({first}); train the model "
                             "again") from None
        det.net_ = net.to(det.device).eval()
        return det


def fit_groups(groups: Iterable[Group], params: Mapping[str, Any] | None = None) -> GraphDetector:
    """Convenience: a fitted :class:`GraphDetector` for groups."""
    return GraphDetector(**dict(params or {})).fit(list(groups))
