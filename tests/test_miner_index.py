"""The miner's index of clusters by constant word changes which clusters a line is compared with, never
the result: the same templates and params as comparing every cluster of the line's length."""

from __future__ import annotations

import random

import pytest

from logkit.parse import clusters
from logkit.parse.miner import TemplateMiner
from tests.test_parse_blocks import _body

WORDS = ["alpha", "beta", "gamma", "delta", "open", "close", "read", "write", "user", "from", "to", "size",
         "id=", "req_web", "node", "KB", "MB", "ms", "failed", "ok", "(uid=0)", "port", "job", "task"]


def _lines(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        k = rng.randrange(3, 9)
        words = []
        for _ in range(k):
            r = rng.random()
            if r < 0.55:
                words.append(rng.choice(WORDS[: rng.randrange(4, len(WORDS))]))
            elif r < 0.75:
                words.append(str(rng.randrange(10_000)))
            elif r < 0.85:
                words.append(f"{rng.choice(WORDS)}{rng.randrange(100)}")
            else:
                words.append(f"10.0.{rng.randrange(9)}.{rng.randrange(250)}:{rng.randrange(9000)}")
        out.append(" ".join(words))
    return out + _body(rng, 300).decode("utf-8", "replace").split("\n")


class _AllClusters(clusters._ConstIndex):
    """An index that offers every cluster: the plain comparison with all clusters of a length."""

    def candidates(self, line: set[tuple[int, str]]) -> set[int]:
        return set(self.filed)


@pytest.mark.parametrize("max_templates", [100_000, 20])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_index_gives_what_comparing_every_cluster_gives(seed: int, max_templates: int,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _lines(random.Random(seed), 1500)

    def run() -> tuple[list[tuple[str, tuple[tuple[str, str], ...]]], list[tuple[str, int, str]]]:
        miner = TemplateMiner(max_templates=max_templates)
        for line in lines:
            miner.learn(line)
        out = []
        for line in lines:
            m = miner.match(line)
            out.append((m.template, tuple((p.value, p.type.value) for p in m.params)))
        return out, miner.templates()

    indexed = run()
    monkeypatch.setattr("logkit.parse.miner._ConstIndex", _AllClusters)
    plain = run()
    assert indexed == plain
    assert len(indexed[1]) > 10


def test_state_round_trip_keeps_the_index(monkeypatch: pytest.MonkeyPatch) -> None:
    # A line whose masked form was seen stays with the cluster it joined, where a restored miner finds
    # the closest cluster afresh (absorptions make such choices differ more often): so the index rebuilt
    # from a state is checked against comparing every cluster, from the same state.
    lines = _lines(random.Random(5), 800)
    miner = TemplateMiner()
    for line in lines[:400]:
        miner.learn(line)
    state = miner.to_dict()
    again = TemplateMiner.from_dict(state)
    assert [row[:2] for row in again.templates()] == [row[:2] for row in miner.templates()]
    monkeypatch.setattr("logkit.parse.miner._ConstIndex", _AllClusters)
    plain = TemplateMiner.from_dict(state)
    for line in lines[400:]:
        again.learn(line)
        plain.learn(line)
    assert [again.match(x) for x in lines] == [plain.match(x) for x in lines]
