"""The price of never-seen events (logkit.models.novelty) and the graph score's sum over several rare events."""

from __future__ import annotations

import random

import pytest

from logkit.models.graphs import GraphSpec, build_graph
from logkit.models.novelty import NoveltyPrior
from logkit.records import Event, Group

INFO = (("Level", "INFO"), ("Component", "disk"))
ERROR = (("Level", "ERROR"), ("Component", "net"))
KNOWN = [("t1", "opened file <*> for reading", INFO), ("t2", "closed file <*> after reading", INFO),
         ("t3", "connection to <*> refused", ERROR)]


def _group(k: int, events: list[tuple[str, str, tuple[tuple[str, str], ...]]]) -> Group:
    g = Group(f"w{k}", 1 + 10 * k, 1 + 10 * k)
    for n, (tid, tpl, kinds) in enumerate(events):
        g.add(Event(1 + 10 * k + n, tid, tpl, tpl, None, kinds))
    return g


def _train(n: int = 40) -> list[Group]:
    rng = random.Random(0)
    out = []
    for k in range(n):
        evs = [KNOWN[0] if i % 2 == 0 else KNOWN[1] for i in range(9)]
        evs.append(KNOWN[2] if rng.random() < 0.3 else KNOWN[0])
        out.append(_group(k, evs))
    return out


def _prior(word_weight: float = 1.0) -> NoveltyPrior:
    return NoveltyPrior.from_graphs([build_graph(g, GraphSpec()) for g in _train()], word_weight)


def test_unseen_template_in_known_words_costs_less_than_one_in_new_words() -> None:
    prior = _prior()
    variant = prior.cost("opened file <*> for writing", INFO, 0.01)  # a new variant of known lines
    strange = prior.cost("kernel panic on cpu <*>", INFO, 0.01)  # words the training lines never used
    assert variant < strange
    assert prior.word_cost("opened file <*> for reading") < prior.word_cost("kernel panic")
    assert prior.word_base < prior.word_cost("kernel panic")  # the typical training line reads better
    flat = _prior(word_weight=0.0)
    assert flat.cost("opened file <*> for writing", INFO, 0.01) == flat.cost("kernel panic on cpu <*>", INFO, 0.01)


def test_kind_priced_jointly_and_a_new_kind_costs_most() -> None:
    prior = _prior(word_weight=0.0)
    common, rare = prior.kind_cost(INFO), prior.kind_cost(ERROR)
    assert 0 < common < rare < prior.kind_cost((("Level", "FATAL"), ("Component", "disk")))
    # the known fields in a combination never seen together: priced as a new kind, not as their sum
    assert prior.kind_cost((("Level", "ERROR"), ("Component", "disk"))) == pytest.approx(
        prior.kind_cost((("Level", "FATAL"), ("Component", "cpu"))))
    assert prior.cost("x <*>", INFO, 0.5) == pytest.approx(common + 0.6931471805599453)


def test_round_trip() -> None:
    prior = _prior(word_weight=0.5)
    back = NoveltyPrior.from_dict(prior.to_dict())
    for tpl, kinds in [("kernel panic on cpu <*>", ERROR), ("opened file <*> for writing", INFO)]:
        assert back.cost(tpl, kinds, 0.02) == pytest.approx(prior.cost(tpl, kinds, 0.02))


def test_several_rare_events_outweigh_one() -> None:
    pytest.importorskip("torch")
    from logkit.models.graph import GraphDetector

    det = GraphDetector(dim=16, epochs=8, max_steps=60, batch=32).fit(_train(60))
    base = [KNOWN[0] if i % 2 == 0 else KNOWN[1] for i in range(10)]
    new = [("t7", "kernel panic on cpu <*>", ERROR), ("t8", "watchdog reset board <*>", ERROR),
           ("t9", "fan stalled in slot <*>", ERROR)]
    one = _group(0, base[:9] + new[:1])
    three = _group(1, base[:7] + new)
    s_one, s_three = (s.score for s in det.score([one, three]))
    assert s_one < s_three
    assert det.score([_group(2, base)])[0].score < 0.5 <= s_three


def test_entity_value_splits_at_the_first_separator() -> None:
    from logkit.models.graphs import WindowGraph

    assert WindowGraph.entity_value("Node=R02-M1-N0-C:J12-U11") == "R02-M1-N0-C:J12-U11"  # a header field
    assert WindowGraph.entity_value("LOI:/10.0.0.1:50010") == "/10.0.0.1:50010"  # a variable
    assert WindowGraph.entity_value("OBN:a=b") == "a=b"
    assert WindowGraph.entity_value("no separator") == "no separator"
