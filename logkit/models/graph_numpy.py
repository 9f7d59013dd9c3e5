"""The graph model's forward pass in numpy, and its weights file: scoring on the CPU without importing torch.

:class:`NumpyGraphNet` computes what ``logkit.models.graph_torch.GraphNet`` computes (float32, the same
layers) from the saved tensors; a test checks the two agree. The weights file is safetensors-style: an
8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and byte range, then
the raw little-endian bytes. Nothing in it can run code when read.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from logkit.errors import StateError
from logkit.fsutil import atomic_open
from logkit.models.graphs import WindowGraph

__all__ = ["save_tensors", "load_tensors", "expected_shapes", "NumpyGraphNet", "Encoded"]

Encoded = tuple[WindowGraph, list[int], list[int], list[int]]  # graph, event ids, entity ids, entity kind ids
_DTYPES: dict[str, np.dtype[Any]] = {"F32": np.dtype("<f4"), "I64": np.dtype("<i8")}
_NAMES = {v: k for k, v in _DTYPES.items()}
_MAX_HEADER = 1 << 24


def save_tensors(path: str | os.PathLike[str], tensors: Mapping[str, np.ndarray]) -> None:
    """Write named arrays (float32 or int64) atomically in the safetensors layout."""
    header: dict[str, Any] = {}
    blobs = []
    offset = 0
    for name, arr in tensors.items():
        a = np.ascontiguousarray(arr)
        dt = a.dtype.newbyteorder("<")
        if dt not in _NAMES:
            a = a.astype("<f4")
            dt = a.dtype
        raw = a.astype(dt, copy=False).tobytes()
        header[name] = {"dtype": _NAMES[dt], "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with atomic_open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(head)))
        fh.write(head)
        for raw in blobs:
            fh.write(raw)


def load_tensors(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read what :func:`save_tensors` wrote; a damaged file is a :class:`StateError`."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise StateError(f"{path} is not readable ({exc.strerror or exc}); train the model again") from None
    try:
        (n,) = struct.unpack_from("<Q", data, 0)
        if n > _MAX_HEADER or 8 + n > len(data):
            raise ValueError("header length out of range")
        header = json.loads(data[8:8 + n])
        body = memoryview(data)[8 + n:]
        out = {}
        for name, spec in header.items():
            if name == "__metadata__":
                continue
            lo, hi = (int(x) for x in spec["data_offsets"])
            dt = _DTYPES[spec["dtype"]]
            shape = tuple(int(s) for s in spec["shape"])
            if not 0 <= lo <= hi <= len(body) or hi - lo != dt.itemsize * math.prod(shape):
                raise ValueError(f"tensor {name} out of range")
            out[str(name)] = np.frombuffer(body[lo:hi], dtype=dt).reshape(shape)
        return out
    except (ValueError, KeyError, TypeError, AttributeError, struct.error) as exc:
        raise StateError(f"{path} is not a valid weights file ({exc}); train the model again") from None


def expected_shapes(sizes: tuple[int, int, int], dim: int, layers: int, context: int,
                    relations: int = 4) -> dict[str, tuple[int, ...]]:
    """Name -> shape of every tensor of the graph model (events, entities, kinds vocabulary sizes)."""
    from logkit.models.graphs import N_TOKEN_HASH

    n_ev, n_ent, n_kinds = sizes
    out: dict[str, tuple[int, ...]] = {
        "ev_emb.weight": (n_ev, dim), "tok_emb.weight": (N_TOKEN_HASH, dim), "ent_emb.weight": (n_ent, dim),
        "kind_emb.weight": (n_kinds, dim), "count.weight": (dim, 1), "count.bias": (dim,),
        "pool.weight": (dim, 2 * dim), "pool.bias": (dim,), "pad": (context, dim), "pos": (context, dim),
        "start": (dim,), "norm.weight": (dim,), "norm.bias": (dim,), "hidden.weight": (dim, dim),
        "hidden.bias": (dim,), "dec_ev.weight": (n_ev, dim), "dec_ev.bias": (n_ev,),
        "dec_ent.weight": (n_ent, dim), "dec_ent.bias": (n_ent,)}
    for name in ("q", "k", "v"):
        out[f"{name}.weight"], out[f"{name}.bias"] = (dim, dim), (dim,)
    for i in range(layers):
        out[f"self_lin.{i}.weight"], out[f"self_lin.{i}.bias"] = (dim, dim), (dim,)
    for i in range(layers * relations):
        out[f"rel_lin.{i}.weight"] = (dim, dim)
    return out


class _Segments:
    """Rows grouped by a target index: sums (or maxima) of the rows per target in a few vectorised calls
    (``np.add.at`` is several times slower)."""

    def __init__(self, index: np.ndarray, n: int) -> None:
        self.n = n
        self.order = np.argsort(index, kind="stable")
        ordered = index[self.order]
        self.starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if ordered.size else ordered
        self.targets = ordered[self.starts]

    def reduce(self, rows: np.ndarray, op: Any = np.add, fill: float = 0.0) -> np.ndarray:
        out = np.full((self.n, rows.shape[1]), fill, dtype=rows.dtype)
        if self.starts.size:
            out[self.targets] = op.reduceat(rows[self.order], self.starts, axis=0)
        return out


def _linear(x: np.ndarray, w: dict[str, np.ndarray], name: str) -> np.ndarray:
    out = x @ w[name + ".weight"].T
    b = w.get(name + ".bias")
    return out + b if b is not None else out


def _log_softmax(x: np.ndarray) -> np.ndarray:
    m = x.max(axis=1, keepdims=True)
    y = x - m
    return y - np.log(np.exp(y).sum(axis=1, keepdims=True))


class NumpyGraphNet:
    """Forward pass of the graph model from its tensors (see the module docstring)."""

    def __init__(self, tensors: Mapping[str, np.ndarray], layers: int, context: int, relations: int = 4) -> None:
        self.w = {k: np.asarray(v, dtype=np.float32) for k, v in tensors.items()}
        self.layers = layers
        self.context = context
        self.relations = relations
        self.dim = int(self.w["ev_emb.weight"].shape[1])
        self._base: dict[tuple[int, tuple[int, ...]], np.ndarray] = {}
        # decoders with the unknown bucket (column 0) left out, as the torch model masks it
        for side in ("ev", "ent"):
            self.w[f"dec_{side}.bias"] = self.w[f"dec_{side}.bias"].copy()
            self.w[f"dec_{side}.bias"][0] = -1e9
            self.w[f"dec_{side}.weight"] = self.w[f"dec_{side}.weight"].copy()
            self.w[f"dec_{side}.weight"][0] = 0.0

    def _event_base(self, vid: int, tokens: list[int]) -> np.ndarray:
        """Event embedding plus the mean of its token embeddings (cached: templates repeat)."""
        key = (vid, tuple(tokens))
        got = self._base.get(key)
        if got is None:
            row = self.w["ev_emb.weight"][vid].copy()
            if tokens:
                row += self.w["tok_emb.weight"][tokens].mean(axis=0)
            got = row
            if len(self._base) > 50_000:
                self._base.clear()
            self._base[key] = got
        return got

    def embed(self, items: Sequence[Encoded]) -> np.ndarray:
        """Window embeddings ``[B, dim]``."""
        w = self.w
        ev_rows: list[np.ndarray] = []
        ev_cnt: list[int] = []
        ent_id: list[int] = []
        ent_kind: list[int] = []
        ent_cnt: list[int] = []
        ev_win: list[int] = []
        ent_win: list[int] = []
        srcs: list[list[int]] = [[], [], [], []]
        dsts: list[list[int]] = [[], [], [], []]
        wts: list[list[int]] = [[], []]
        ne_total = sum(len(e) for _, e, _, _ in items)
        eb = 0
        xb = ne_total
        for k, (g, eids, xids, kids) in enumerate(items):
            ev_rows.extend(self._event_base(v, t) for v, t in zip(eids, g.tokens, strict=True))
            ev_cnt.extend(g.event_counts)
            ev_win.extend([k] * len(eids))
            ent_id.extend(xids)
            ent_kind.extend(kids)
            ent_cnt.extend(g.entity_counts)
            ent_win.extend([k] * len(xids))
            links, steps = g.links, g.steps
            srcs[0] += [eb + i for i, _ in links]
            dsts[0] += [xb + j for _, j in links]
            wts[0] += links.values()
            srcs[2] += [eb + i for i, _ in steps]
            dsts[2] += [eb + j for _, j in steps]
            wts[1] += steps.values()
            eb += len(eids)
            xb += len(xids)
        nb = len(items)
        cw, cb = w["count.weight"][:, 0], w["count.bias"]
        h_ev = np.stack(ev_rows) if ev_rows else np.zeros((0, self.dim), np.float32)
        h_ev = h_ev + np.log1p(np.asarray(ev_cnt, np.float32))[:, None] * cw + cb
        if ent_id:
            h_ent = (w["ent_emb.weight"][ent_id] + w["kind_emb.weight"][ent_kind]
                     + np.log1p(np.asarray(ent_cnt, np.float32))[:, None] * cw + cb)
            h = np.concatenate([h_ev, h_ent])
        else:
            h = h_ev
        n = h.shape[0]
        lw = [np.log1p(np.asarray(x, np.float32)) for x in wts]
        rels = [(np.asarray(srcs[0], np.int64), np.asarray(dsts[0], np.int64), lw[0]),
                (np.asarray(dsts[0], np.int64), np.asarray(srcs[0], np.int64), lw[0]),
                (np.asarray(srcs[2], np.int64), np.asarray(dsts[2], np.int64), lw[1]),
                (np.asarray(dsts[2], np.int64), np.asarray(srcs[2], np.int64), lw[1])]
        degs = [np.maximum(np.bincount(d, weights=ew, minlength=n), 1.0).astype(np.float32) for _, d, ew in rels]
        segs = [_Segments(d, n) for _, d, _ in rels]
        for layer in range(self.layers):
            out = _linear(h, w, f"self_lin.{layer}")
            for r, (src, _dst, ew) in enumerate(rels):
                if not src.size:
                    continue
                hw = h @ w[f"rel_lin.{layer * self.relations + r}.weight"].T  # linear first: fewer rows to add
                out += segs[r].reduce(hw[src] * ew[:, None]) / degs[r][:, None]
            h = np.maximum(out, 0.0)
        win = np.asarray(ev_win + ent_win, np.int64)
        per_win = np.maximum(np.bincount(win, minlength=nb), 1).astype(np.float32)
        pool = _Segments(win, nb)
        mean = pool.reduce(h) / per_win[:, None]
        mx = pool.reduce(h, np.maximum, -1.0)  # h >= 0 (relu); an empty window pools to -1
        return np.tanh(_linear(np.concatenate([mean, mx], axis=1), w, "pool")).astype(np.float32)

    def forecast(self, z: np.ndarray, history: np.ndarray) -> np.ndarray:
        """Context of each window from the ``context`` windows before it (``history`` precedes ``z``)."""
        w = self.w
        k = self.context
        seq = np.concatenate([w["pad"], history, z])[-(z.shape[0] + k):]
        prev = np.lib.stride_tricks.sliding_window_view(seq, k, axis=0)[: z.shape[0]].transpose(0, 2, 1)
        prev = prev + w["pos"]  # [B, k, dim]
        last = prev[:, -1, :]
        q = _linear(last + w["start"], w, "q")
        keys = _linear(prev, w, "k")
        att = np.einsum("bkd,bd->bk", keys, q) / math.sqrt(q.shape[1])
        att = np.exp(att - att.max(axis=1, keepdims=True))
        att /= att.sum(axis=1, keepdims=True)
        ctx = np.einsum("bk,bkd->bd", att, _linear(prev, w, "v")) + last
        mu = ctx.mean(axis=1, keepdims=True)
        var = ((ctx - mu) ** 2).mean(axis=1, keepdims=True)
        return ((ctx - mu) / np.sqrt(var + 1e-5) * w["norm.weight"] + w["norm.bias"]).astype(np.float32)

    def decode(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log-probabilities over known events and entities (the unknown bucket left out)."""
        hid = np.maximum(_linear(u, self.w, "hidden"), 0.0) + u
        return _log_softmax(_linear(hid, self.w, "dec_ev")), _log_softmax(_linear(hid, self.w, "dec_ent"))
