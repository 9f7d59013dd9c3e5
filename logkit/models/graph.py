"""The graph detector (issue 12, after GLAD): message passing over window graphs, attention over recent windows.

Each window becomes a graph of events and entities (:mod:`logkit.models.graphs`); two rounds of plain-torch
message passing give a window embedding; one attention layer over the embeddings of the previous windows
gives the temporal context, from which the model forecasts the events and entities of the window. Trained
without labels (reconstruct each window from its graph, forecast it from the windows before); the score is
the window's surprise: that of its most surprising event, plus by how much each of the next few exceeds a
floor (several rare things at once weigh more than one), plus a quarter of the mean per line (reconstruction
and forecast averaged by default). A never-seen event costs its Good-Turing share of the training data times
the training share of its kind (level, component: the header fields without digits) and of its words
(:mod:`logkit.models.novelty`), so novelty turns into score, the more so the rarer its kind and the less it
reads like known lines; a never-seen entity costs its Good-Turing share; a known event never costs less than
its share of the training lines says.
Training imports torch (:mod:`logkit.models.graph_torch`); scoring on the CPU runs in numpy
(:mod:`logkit.models.graph_numpy`) and needs no torch.
"""

from __future__ import annotations

import heapq
import math
import os
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from logkit.errors import StateError, UsageError
from logkit.fsutil import make_folder, read_versioned_json, write_json_atomic
from logkit.models.base import DETECTOR_FILE, Detector, Verdict, register
from logkit.models.base import FORMAT_VERSION as DETECTOR_VERSION
from logkit.models.graph_numpy import Encoded, NumpyGraphNet, expected_shapes, load_tensors, save_tensors
from logkit.models.graphs import GraphBuilder, GraphSpec, Vocab, WindowGraph
from logkit.models.novelty import NoveltyPrior
from logkit.records import Group

__all__ = ["GraphDetector", "GraphVerdict", "CONFIG_FILE", "WEIGHTS_FILE", "FORMAT_VERSION",
           "resolve_device"]

CONFIG_FILE = "graph.json"
WEIGHTS_FILE = "graph.safetensors"
FORMAT_VERSION = 3  # 2: kind-field counts for the price of unseen events; 3: template words, safetensors
MEAN_WEIGHT = 0.25  # weight of the mean surprise per line beside the peaks
RARE_ROOT = 3.0  # the next peaks count by how much they exceed -log(N ** (-1 / RARE_ROOT)) for N training lines
THRESHOLD_EVENTS = 2.0  # rarity calibration: score 0.5 at THRESHOLD_EVENTS * log(N) nats
SCALE_FLOOR = 0.15  # the score's scale is at least this share of the threshold (far-below windows keep a rank)


@dataclass
class GraphVerdict(Verdict):
    """A :class:`Verdict` plus ``top``: the edges or nodes that weighed most, in words."""

    top: list[dict[str, Any]] = field(default_factory=list)


def resolve_device(device: str) -> str:
    """``cpu`` or ``cuda``; asking for cuda where torch sees no GPU (or no torch) is a one-line error."""
    if device == "cpu":
        return device
    from logkit.models.graph_torch import resolve_device as check

    return check(device)


def _good_turing(counts: Counter[str]) -> float:
    """Share of occurrences that are of keys seen once: the chance the next one is new (clipped)."""
    total = sum(counts.values())
    if not total:
        return 0.5
    ones = sum(1 for c in counts.values() if c == 1)
    return min(max(ones / total, 1e-4), 0.95)


@register
class GraphDetector(Detector):
    """Unsupervised window-graph detector with temporal context (estimator-style: params verbatim, ``_``
    attributes after ``fit``).

    The temporal context (the embeddings of the windows scored last) lives in a scoring context
    (:meth:`new_context`), not in the detector: :meth:`score` without one reads only the groups it is given,
    and a stream passes the same context to each of its batches.

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
        torch CPU threads while fitting (0: torch's default; scoring on the CPU runs in numpy). One is fastest for
        these small graphs, and much faster than several when the cores are shared.
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
        self._builder: GraphBuilder | None = None  # a cache for building window graphs (see _graphs)
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
        self._torch_net: Any = None  # the network on a GPU (device cuda)

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
        return (g, self.ev_vocab_.indices(g.events), self.ent_vocab_.indices(g.entities),
                self.kind_vocab_.indices(g.entity_kinds))

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
    def _fit(self, groups: Sequence[Group], labels: Sequence[int] | None = None,
             line_labels: Mapping[int, int] | None = None) -> None:
        """Learn normal windows (in time order) and calibrate the score (see ``calibration``); unsupervised,
        so labels are not read (:func:`logkit.detect.api.train` leaves out the items labelled anomalous)."""
        graphs = self._graphs(groups)
        n_hold = int(len(graphs) * self.holdout) if len(graphs) >= 10 and self.calibration == "holdout" else 0
        if n_hold:  # a first model on the older windows scores the newer ones: what unseen data looks like
            self._fit_graphs(graphs[:-n_hold])
            hist = self.new_context()
            self._raw(graphs[:-n_hold][-self.context:], hist)  # the context the held-out windows follow
            raws = self._raw(graphs[-n_hold:], hist)
        self._fit_graphs(graphs)
        if not n_hold:
            raws = self._raw(graphs, self.new_context())
        raw = sorted(r for r, _, _ in raws)
        med = raw[len(raw) // 2]
        spread = sorted(abs(r - med) for r in raw)[len(raw) // 2] * 1.4826
        if self.calibration == "holdout":
            thr = raw[min(len(raw) - 1, int(self.quantile * len(raw)))]
        else:  # about two events each rarer than one line in the training data (-log(1 / N) nats for N lines)
            thr = THRESHOLD_EVENTS * math.log(self.n_lines_ + 1.0)
        self.calib_ = (thr, max(spread, SCALE_FLOOR * abs(thr), 1e-3))

    def _fit_graphs(self, graphs: Sequence[WindowGraph]) -> None:
        from logkit.models.graph_torch import net_tensors, threads, train_net

        ev, ent = self._vocab(graphs)
        self.alpha_ = (_good_turing(ev), _good_turing(ent))
        with threads(self.threads):
            net = train_net([self._encode(g) for g in graphs], self._sizes(), dim=self.dim, layers=self.layers,
                            context=self.context, epochs=self.epochs, max_steps=self.max_steps, batch=self.batch,
                            lr=self.lr, random_state=self.random_state, device=self.device)
        self._set_tensors(net_tensors(net))
        if self.device != "cpu":
            self._torch_net = net

    def _sizes(self) -> tuple[int, int, int]:
        return len(self.ev_vocab_), len(self.ent_vocab_), len(self.kind_vocab_)

    def _set_tensors(self, tensors: dict[str, Any]) -> None:
        self.tensors_ = tensors
        self._np_net = NumpyGraphNet(tensors, self.layers, self.context)
        self._torch_net = None

    def _logprobs(self, items: Sequence[Encoded], history: deque[Any]) -> tuple[Any, list[float], list[float]]:
        """Window embeddings, and log-probabilities of the event and entity nodes (numpy on the CPU, torch
        on a GPU), after the windows whose embeddings ``history`` holds."""
        hist = np.stack(list(history)) if history else np.zeros((0, self.dim), np.float32)
        if self.device != "cpu":
            from logkit.models.graph_torch import net_from_tensors, torch_logprobs

            if self._torch_net is None:
                self._torch_net = net_from_tensors(self.tensors_, self._sizes(), self.dim, self.layers,
                                                   self.context, self.device)
            return torch_logprobs(self._torch_net, items, hist, self.surprise, self.device)
        net = self._np_net
        z = net.embed(items)
        if self.surprise == "recon":
            lp_ev, lp_ent = net.decode(z)
        elif self.surprise == "forecast":
            lp_ev, lp_ent = net.decode(net.forecast(z, hist))
        else:  # both: the mean of the two log-probabilities
            f_ev, f_ent = net.decode(net.forecast(z, hist))
            r_ev, r_ent = net.decode(z)
            lp_ev, lp_ent = (f_ev + r_ev) / 2, (f_ent + r_ent) / 2
        ev_win = [k for k, (_, e, _, _) in enumerate(items) for _ in e]
        ent_win = [k for k, (_, _, x, _) in enumerate(items) for _ in x]
        ev_id = [i for _, e, _, _ in items for i in e]
        ent_id = [i for _, _, x, _ in items for i in x]
        return z, lp_ev[ev_win, ev_id].tolist(), lp_ent[ent_win, ent_id].tolist() if ent_id else []

    # -- scoring ----------------------------------------------------------------------------------
    def _raw(self, graphs: Sequence[WindowGraph],
             history: deque[Any]) -> list[tuple[float, float, list[tuple[float, float]]]]:
        """Raw surprise per window, the part of it past its most surprising event, and per node (events then
        entities) its (share, -log p); the windows' embeddings join ``history``."""
        if not graphs:
            return []
        items = [self._encode(g) for g in graphs]
        a_ev, a_ent = self.alpha_
        z, ev_lp, ent_lp = self._logprobs(items, history)
        for row in z[-self.context:]:
            history.append(row)
        out = []
        pe = pn = 0
        base = self.ev_base_
        floor = math.log(self.n_lines_ + 1.0) / RARE_ROOT
        # entity nodes all at once: a never-seen one costs its Good-Turing share, a known one its probability
        ids = np.fromiter((i for _, _, x, _ in items for i in x), np.int64)
        cnts = np.fromiter((c for g, *_ in items for c in g.entity_counts), np.float64, len(ids))
        lp = np.asarray(ent_lp, np.float64) if len(ent_lp) else np.zeros(len(ids))
        ent_nll = np.where(ids == 0, -math.log(a_ent), -(math.log1p(-a_ent) + lp))
        ent_nodes = list(zip((cnts * ent_nll).tolist(), ent_nll.tolist(), strict=True))
        for g, eids, xids, _k in items:
            nodes: list[tuple[float, float]] = []
            for c, i, kf, tpl in zip(g.event_counts, eids, g.kinds, g.templates, strict=True):
                if i == 0:
                    nll = self.prior_.cost(tpl, kf, a_ev)
                else:  # never below its base rate: seeing the event in the window must not explain it away
                    nll = -math.log1p(-a_ev) + (max(-ev_lp[pe], base[i]) if self.base_rate else -ev_lp[pe])
                pe += 1
                nodes.append((c * nll, nll))
            nodes += ent_nodes[pn:pn + len(xids)]
            pn += len(xids)
            lines = max(sum(g.event_counts), 1)
            total = sum(w for w, _ in nodes)
            top = heapq.nlargest(self.peaks, (nll for _, nll in nodes[: len(eids)]))
            rest = sum(max(0.0, x - floor) for x in top[1:])
            shares = [(w / total if total > 0 else 0.0, nll) for w, nll in nodes]
            out.append(((top[0] if top else 0.0) + rest + MEAN_WEIGHT * total / lines, rest, shares))
        return out

    def _graphs(self, groups: Sequence[Group]) -> list[WindowGraph]:
        """The groups' window graphs, built by this detector's :class:`GraphBuilder` (one per spec: it keeps
        what repeats across windows, never a model parameter)."""
        spec = self._spec()
        builder = self._builder
        if builder is None or builder.spec != spec:
            builder = self._builder = GraphBuilder(spec)
        return [builder.build(g) for g in groups]

    def new_context(self) -> deque[Any]:
        """The temporal context of one stream: the embeddings of its latest windows (empty at first)."""
        return deque(maxlen=self.context)

    def score(self, groups: Sequence[Group], context: deque[Any] | None = None) -> list[GraphVerdict]:
        """One :class:`GraphVerdict` per group, in order. Each window is read after the ones before it in
        ``groups`` and, with a ``context`` (:meth:`new_context`), after the windows of the stream scored
        with it before (it is updated); without one, only ``groups`` count."""
        graphs = self._graphs(groups)
        thr, scale = self.calib_
        out = []
        raws = self._raw(graphs, context if context is not None else self.new_context())
        for g, (raw, _rest, nodes) in zip(graphs, raws, strict=True):
            x = (raw - thr) / scale
            p = 1.0 / (1.0 + math.exp(-x)) if x > -60 else 0.0
            top = self._top(g, nodes)
            reason = self._reason(g, nodes)
            lines = sorted(g.event_lines[i] for i, _ in sorted(
                enumerate(nodes[: len(g.events)]), key=lambda t: -t[1][1])[:3])
            out.append(GraphVerdict(p, min(1.0, 1.0 - abs(2.0 * p - 1.0)), reason, lines, top=top))
        return out

    def _top(self, g: WindowGraph, nodes: list[tuple[float, float]], n: int = 3) -> list[dict[str, Any]]:
        ne = len(g.events)
        # weights first; words only for the heaviest (several links may read alike: Node and NodeRepeat)
        w_ev = [w for w, _ in nodes]
        links = heapq.nlargest(4 * n, ((w_ev[i] + w_ev[ne + j], -i, -j) for i, j in g.links))
        steps = heapq.nlargest(4 * n, ((w_ev[i] + w_ev[j], -i, -j) for i, j in g.steps if i != j))
        cands = [(w, f"entity {WindowGraph.entity_value(g.entities[-j])} <-> event {g.events[-i]}")
                 for w, i, j in links]
        cands += [(w, f"event {g.events[-i]} -> event {g.events[-j]}") for w, i, j in steps]
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
        if g.entities and all(self.ent_vocab_.index(e) == 0 for e in g.entities):
            parts.append(f"{len(g.entities)} entities never seen in training")
        return "; ".join(parts)

    # -- state ------------------------------------------------------------------------------------
    def is_fitted(self) -> bool:
        """Whether :meth:`fit` ran."""
        return hasattr(self, "tensors_")

    def save(self, folder: str | os.PathLike[str]) -> None:
        """``detector.json`` (naming the files), ``graph.json`` (config, vocabularies, calibration, format
        version) and ``graph.safetensors`` (the network's tensors)."""
        if not self.is_fitted():
            raise UsageError("the detector is not fitted; call fit before save")
        out = Path(folder)
        make_folder(out)
        save_tensors(out / WEIGHTS_FILE, self.tensors_)
        write_json_atomic(out / CONFIG_FILE, {
            "kind": "logkit-graph", "version": FORMAT_VERSION, "params": self.get_params(),
            "event_base": self.ev_base_[1:],
            "vocab": {"events": self.ev_vocab_.keys[1:], "entities": self.ent_vocab_.keys[1:],
                      "kinds": self.kind_vocab_.keys[1:]},
            "alpha": list(self.alpha_), "calib": list(self.calib_), "prior": self.prior_.to_dict(),
            "lines": self.n_lines_})
        write_json_atomic(out / DETECTOR_FILE, {"kind": "logkit-detector", "version": DETECTOR_VERSION,
                                                "name": self.name, "params": self.get_params(),
                                                "state": {"files": [CONFIG_FILE, WEIGHTS_FILE]}})

    @classmethod
    def _from_folder(cls, folder: str | os.PathLike[str], meta: Mapping[str, Any]) -> GraphDetector:
        return cls.load(folder)

    @classmethod
    def load(cls, folder: str | os.PathLike[str], *, device: str = "cpu") -> GraphDetector:
        """Read a detector written by :meth:`save` (no torch needed to score on the CPU)."""
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
        path = Path(folder) / WEIGHTS_FILE
        tensors = load_tensors(path)
        want = expected_shapes(det._sizes(), det.dim, det.layers, det.context)
        bad = sorted(k for k in set(want) | set(tensors) if tuple(tensors[k].shape) != want.get(k)
                     ) if set(want) == set(tensors) else sorted(set(want) ^ set(tensors))
        if bad:
            raise StateError(f"{path} does not match {CONFIG_FILE} (tensor {bad[0]}); train the model again")
        det._set_tensors(tensors)
        return det


def fit_groups(groups: Iterable[Group], params: Mapping[str, Any] | None = None) -> GraphDetector:
    """Convenience: a fitted :class:`GraphDetector` for groups."""
    return GraphDetector(**dict(params or {})).fit(list(groups))
