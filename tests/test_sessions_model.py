"""The session forest: trees kept as plain arrays, unmet expectations, and unseen templates judged like rare ones."""

from __future__ import annotations

import random

import numpy as np
import pytest

from logkit.models.base import load_detector
from logkit.models.forest import TreeArrays
from logkit.models.sessions import SessionForest, expectations
from logkit.models.small import SmallDetector
from logkit.records import Event, Group

LIFE = ["allocate block <*>", "receive block <*>", "receive block <*>", "store block <*>", "delete block <*>"]


def _session(key: str, templates: list[str], line: int) -> Group:
    g = Group(key, line, line)
    for k, t in enumerate(templates):
        g.add(Event(line + k, "t_" + t.split()[0] + "_" + t.split()[1], t, t.replace("<*>", "1")))
    return g


def _sessions(n: int, seed: int) -> tuple[list[Group], list[int]]:
    """Normal sessions live the whole life; anomalous ones stop before the block is stored, or log a rare
    failure on the way."""
    rng = random.Random(seed)
    groups, labels = [], []
    for i in range(n):
        r = rng.random()
        if r < 0.06:  # received but never stored
            life, y = LIFE[:3], 1
        elif r < 0.08:  # one of many rare failures, each held by a few sessions
            fail = f"{rng.choice(['checksum', 'quota', 'lease', 'disk', 'token'])} failure for <*>"
            life, y = [*LIFE[:3], fail, *LIFE[3:]], 1
        else:
            life, y = list(LIFE) + ["receive block <*>"] * rng.randint(0, 2), 0
        groups.append(_session(f"s{seed}_{i}", life, 10 * i + 1))
        labels.append(y)
    return groups, labels


def test_tree_arrays_score_as_scikit_learn_does() -> None:
    from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6)).astype(np.float32).astype(np.float64)
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0.3).astype(int)
    test = rng.normal(size=(100, 6))
    for model in (ExtraTreesClassifier(20, random_state=0), RandomForestClassifier(20, random_state=0)):
        model.fit(X, y)
        trees = TreeArrays.from_sklearn(model.estimators_)
        assert np.allclose(trees.predict(test), model.predict_proba(test)[:, 1])
        back = TreeArrays.from_arrays(trees.to_arrays("f_"), "f_")
        assert back is not None and np.allclose(back.predict(test), trees.predict(test))


def test_expectations_find_what_always_follows() -> None:
    sets = [{"alloc", "recv", "store"}] * 20 + [{"alloc", "recv"}] + [{"alloc", "recv", "store", "verify"}] * 3
    rules = expectations(sets, share=0.95, support=5)
    assert ("recv", "store") in rules and ("alloc", "recv") in rules
    assert ("alloc", "verify") not in rules  # 3 of 24: no expectation


def test_a_session_that_never_reached_an_event_is_caught_and_explained(tmp_path) -> None:  # type: ignore[no-untyped-def]
    groups, labels = _sessions(400, 0)
    det = SmallDetector().fit(groups, labels)
    test, truth = _sessions(200, 1)
    scores = det.score(test)
    assert all((s.score >= 0.5) == bool(y) for s, y in zip(scores, truth, strict=True))
    cut = next(s for s, g in zip(scores, test, strict=True) if len(g.events) == 3)
    assert "never reached template t_store_block" in cut.reason, cut.reason
    det.save(tmp_path)
    back = load_detector(tmp_path)
    assert [round(s.score, 9) for s in back.score(test)] == [round(s.score, 9) for s in scores]


def test_an_unseen_template_is_judged_like_the_rare_ones() -> None:
    groups, labels = _sessions(400, 0)
    det = SmallDetector().fit(groups, labels)
    forest = det.sessions_
    assert forest is not None
    # the rare templates (each held by a few sessions) were nearly always in anomalous ones
    assert forest.novel_rate > 0.5 > forest.base_rate
    new = _session("new", [*LIFE[:3], "socket reset while sending <*>", *LIFE[3:]], 1)
    s = det.score([new])[0]
    assert s.score >= 0.5 and "never seen in training" in s.reason
    # where the rare templates were harmless, an unseen one says little
    harmless = [int(len(g.events) == 3) for g in groups]  # only the cut sessions are anomalous
    det2 = SmallDetector().fit(groups, harmless)
    assert det2.sessions_ is not None and det2.sessions_.novel_rate < 0.2
    assert det2.score([new])[0].score < 0.5


def test_session_forest_needs_both_classes() -> None:
    from logkit.errors import UsageError

    groups, _ = _sessions(50, 0)
    with pytest.raises(UsageError):
        SmallDetector().fit(groups, [0] * len(groups))
    assert SessionForest().width == 5
