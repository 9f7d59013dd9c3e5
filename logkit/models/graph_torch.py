"""The graph model in torch: :class:`GraphNet` (message passing over window graphs, attention over recent
windows, two decoders), its training loop, and scoring on a GPU. The only module that imports torch at top
level; scoring on the CPU uses :mod:`logkit.models.graph_numpy` and needs no torch.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from logkit.errors import DependencyError, UsageError
from logkit.models.graph_numpy import Encoded
from logkit.models.graphs import INSTALL_HINT, N_TOKEN_HASH

try:
    import torch
    from torch import nn
except ImportError:  # pragma: no cover - exercised by monkeypatching sys.modules
    raise DependencyError(INSTALL_HINT) from None

__all__ = ["GraphNet", "train_net", "net_tensors", "torch_logprobs", "resolve_device", "threads"]

RELATIONS = 4  # event->entity, entity->event, event->next event, next event->event


def resolve_device(device: str) -> str:
    """``cpu`` or ``cuda``; asking for cuda where torch sees no GPU is a one-line error."""
    if device not in ("cpu", "cuda"):
        raise UsageError(f"--device {device!r}: use cpu or cuda")
    if device == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: torch sees no GPU here (a CPU-only torch or no driver); use --device cpu")
    return device


@contextmanager
def threads(n: int) -> Iterator[None]:
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
        self.rel_lin = nn.ModuleList(nn.Linear(dim, dim, bias=False) for _ in range(layers * RELATIONS))
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
            for r in range(RELATIONS):
                src, dst, w = b["edges"][r]
                if not src.numel():
                    continue
                agg = torch.zeros_like(h).index_add_(0, dst, h[src] * w[:, None])
                deg = torch.zeros(n, device=h.device).index_add_(0, dst, w).clamp_min(1.0)
                out = out + self.rel_lin[layer * RELATIONS + r](agg / deg[:, None])
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


def _collate(items: Sequence[Encoded], device: str) -> dict[str, Any]:
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


def _targets(b: dict[str, Any], items: Sequence[Encoded],
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


def train_net(items: Sequence[Encoded], sizes: tuple[int, int, int], *, dim: int, layers: int, context: int,
              epochs: int, max_steps: int, batch: int, lr: float, random_state: int, device: str) -> GraphNet:
    """A :class:`GraphNet` trained on encoded windows (in time order) to reconstruct and forecast them."""
    n_ev, n_ent, n_kinds = sizes
    torch.manual_seed(random_state)
    net = GraphNet(n_ev, n_ent, n_kinds, dim, layers, context).to(device)
    chunks = [items[i:i + batch] for i in range(0, len(items), batch)]
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(random_state)
    batches = [(_collate(c, device), c) for c in chunks]
    tgts = [_targets(b, c, n_ev, n_ent, device) for b, c in batches]
    steps = 0
    net.train()
    for _ in range(epochs):
        for ci in torch.randperm(len(batches), generator=gen).tolist():
            b, _c = batches[ci]
            tev, tent = tgts[ci]
            z = net.embed(b)
            ctx = net.forecast(z, z[:0])
            rec_ev, rec_ent = net.decode(z)
            fc_ev, fc_ent = net.decode(ctx)
            nev = tev.sum(1).clamp_min(1.0)
            nent = tent.sum(1).clamp_min(1.0)
            loss = (-(tev * rec_ev).sum(1) / nev - (tent * rec_ent).sum(1) / nent
                    - (tev * fc_ev).sum(1) / nev - (tent * fc_ent).sum(1) / nent).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            steps += 1
            if steps >= max_steps:
                break
        if steps >= max_steps:
            break
    return net.eval()


def net_tensors(net: GraphNet) -> dict[str, np.ndarray]:
    """The network's tensors as float32 numpy arrays (for the weights file and the numpy forward pass)."""
    return {k: v.detach().cpu().float().numpy().copy() for k, v in net.state_dict().items()}


def net_from_tensors(tensors: dict[str, np.ndarray], sizes: tuple[int, int, int], dim: int, layers: int,
                     context: int, device: str) -> GraphNet:
    """A :class:`GraphNet` holding saved tensors (to score on a GPU)."""
    net = GraphNet(*sizes, dim, layers, context)
    net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in tensors.items()})
    return net.to(device).eval()


def torch_logprobs(net: GraphNet, items: Sequence[Encoded], history: np.ndarray, surprise: str,
                   device: str) -> tuple[np.ndarray, list[float], list[float]]:
    """Window embeddings and the log-probability of each event node and entity node (in collate order),
    computed by torch on ``device``."""
    b = _collate(items, device)
    with torch.no_grad():
        z = net.embed(b)
        hist = torch.from_numpy(history).to(device)
        if surprise == "recon":
            lp_ev, lp_ent = net.decode(z)
        elif surprise == "forecast":
            lp_ev, lp_ent = net.decode(net.forecast(z, hist))
        else:  # both: the mean of the two log-probabilities
            f_ev, f_ent = net.decode(net.forecast(z, hist))
            r_ev, r_ent = net.decode(z)
            lp_ev, lp_ent = (f_ev + r_ev) / 2, (f_ent + r_ent) / 2
        ev_lp = lp_ev[b["ev_win"], b["ev_id"]].tolist()
        ent_lp = lp_ent[b["ent_win"], b["ent_id"]].tolist() if b["ent_id"].numel() else []
    return z.cpu().numpy(), ev_lp, ent_lp
