"""The graph model scored in numpy: same numbers as torch, safetensors-style weights, no torch needed to score."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np
import pytest

from logkit.errors import StateError
from logkit.models.graph_numpy import NumpyGraphNet, load_tensors, save_tensors
from logkit.records import Event, Group, Param, VarType

torch = pytest.importorskip("torch")

from logkit.models.graph import WEIGHTS_FILE, GraphDetector  # noqa: E402

FAST = {"dim": 16, "epochs": 8, "max_steps": 60, "batch": 32}


def _windows(n: int, seed: int = 0, bad: frozenset[int] = frozenset()) -> list[Group]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        g = Group(f"w{k}", 1 + 10 * k, 1 + 10 * k)
        for i in range(10):
            line = 1 + 10 * k + i
            if k in bad and i == 4:
                tpl, kinds = "disk failure on <*>", (("Level", "ERROR"),)
            else:
                tpl, kinds = ("read block <*> from <*>", (("Level", "INFO"),))
            params = (Param(f"blk_{rng.randint(1, 5)}", VarType.OID, 0, 0),
                      Param(f"10.0.0.{rng.randint(1, 3)}", VarType.LOI, 0, 0))
            tid = "t9" if "disk" in tpl else f"t{1 + i % 2}"
            g.add(Event(line, tid, tpl, tpl, None, kinds, params if i % 3 else params[:1],
                        (("Host", f"node{rng.randint(1, 2)}"),)))
        out.append(g)
    return out


def test_numpy_forward_matches_torch() -> None:
    from logkit.models.graph_torch import _collate, net_from_tensors
    from logkit.models.graphs import GraphSpec, build_graph

    det = GraphDetector(**FAST).fit(_windows(30))
    items = [det._encode(build_graph(g, GraphSpec())) for g in _windows(6, seed=5, bad=frozenset({2}))]
    items.append(det._encode(build_graph(_windows(1)[0], GraphSpec(entity_types=(), entity_fields=()))))
    net = net_from_tensors(det.tensors_, det._sizes(), det.dim, det.layers, det.context, "cpu")
    npnet = NumpyGraphNet(det.tensors_, det.layers, det.context)
    hist = np.random.default_rng(0).normal(size=(3, det.dim)).astype(np.float32)
    with torch.no_grad():
        z = net.embed(_collate(items, "cpu"))
        ctx = net.forecast(z, torch.from_numpy(hist))
        want = [z, ctx, *net.decode(z), *net.decode(ctx)]
    z2 = npnet.embed(items)
    ctx2 = npnet.forecast(z2, hist)
    got = [z2, ctx2, *npnet.decode(z2), *npnet.decode(ctx2)]
    for a, b in zip(want, got, strict=True):
        a = a.numpy()
        assert a.shape == b.shape
        keep = a > -1e8  # the masked unknown bucket: -inf-like in both
        np.testing.assert_allclose(a[keep], b[keep], rtol=1e-4, atol=1e-4)
        assert (b[~keep] < -1e8).all()


def test_tensors_round_trip_and_damage(tmp_path: Path) -> None:
    arrs = {"a.weight": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([7], dtype=np.int64)}
    save_tensors(tmp_path / "t.safetensors", arrs)
    back = load_tensors(tmp_path / "t.safetensors")
    assert set(back) == set(arrs) and all((back[k] == arrs[k]).all() and back[k].dtype == arrs[k].dtype
                                          for k in arrs)
    raw = (tmp_path / "t.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(raw[:-4])
    (tmp_path / "junk.safetensors").write_bytes(b"\xff" * 16)
    for name in ("cut", "junk", "missing"):
        with pytest.raises(StateError, match="train the model again"):
            load_tensors(tmp_path / f"{name}.safetensors")


def test_scoring_needs_no_torch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    det = GraphDetector(**FAST).fit(_windows(30))
    det.save(tmp_path)
    test = _windows(8, seed=2, bad=frozenset({3}))
    want = [s.score for s in det.score(test)]
    for name in ("torch", "logkit.models.graph_torch"):
        monkeypatch.setitem(sys.modules, name, None)  # importing either now fails
    back = GraphDetector.load(tmp_path)
    assert [s.score for s in back.score(test)] == pytest.approx(want, abs=1e-6)
    save_tensors(tmp_path / WEIGHTS_FILE, {k: v[:1] for k, v in load_tensors(tmp_path / WEIGHTS_FILE).items()})
    with pytest.raises(StateError, match="does not match"):
        GraphDetector.load(tmp_path)


def test_gpu_path_scores_like_numpy_path() -> None:
    """The torch scoring used with --device cuda, run here on the CPU, gives the numpy path's numbers."""
    from logkit.models.graph_torch import net_from_tensors, torch_logprobs
    from logkit.models.graphs import GraphSpec, build_graph

    det = GraphDetector(**FAST).fit(_windows(30))
    items = [det._encode(build_graph(g, GraphSpec())) for g in _windows(5, seed=3, bad=frozenset({1}))]
    z, ev_lp, ent_lp = det._logprobs(items, det.new_context())
    net = net_from_tensors(det.tensors_, det._sizes(), det.dim, det.layers, det.context, "cpu")
    hist = np.zeros((0, det.dim), np.float32)
    z2, ev_lp2, ent_lp2 = torch_logprobs(net, items, hist, det.surprise, "cpu")
    np.testing.assert_allclose(z, z2, atol=1e-4)
    np.testing.assert_allclose(ev_lp, ev_lp2, atol=1e-3)
    np.testing.assert_allclose(ent_lp, ent_lp2, atol=1e-3)
