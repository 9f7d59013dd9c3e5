"""The small model on windows of lines: informative-word features (token weights, punctuation shapes), a
window from its lines."""

from __future__ import annotations

import random

import pytest

from logkit.models.features import Featurizer, punctuation_shapes, token_weights
from logkit.models.lines import FURTHER_LINE_WEIGHT
from logkit.models.small import SmallDetector
from logkit.records import Event, Group


def _ev(template: str, level: str = "INFO") -> Event:
    return Event(1, "t" + template, template, template, None, (("Level", level),))


def test_punctuation_shapes_collapse_repeats_and_mark_variables() -> None:
    assert punctuation_shapes("alpha rounded..........<*>") == ["p:.*"]
    assert punctuation_shapes("r1=<*> r2=<*>") == ["p:=*", "p:=*"]
    assert punctuation_shapes("plain words only") == []


def test_rare_tokens_weigh_more_than_what_every_line_has() -> None:
    lines = [_ev("open file <*>"), _ev("close file <*>"), _ev("disk failure on <*>")]
    weights, unseen = token_weights(lines)
    feat = Featurizer([], sequence=False, weights=weights, unseen_weight=unseen)
    vec = feat.line_vector(_ev("disk failure on <*>"))
    (level,) = Featurizer.tokens(_ev(""))  # the level field, which every line has
    (disk,) = Featurizer.tokens(Event(1, "d", "disk", "disk"))
    assert weights[level] == min(weights.values()) < weights[disk]
    assert unseen == max(weights.values())  # a token no line had is as rare as the rarest
    # an unseen word gets the unseen weight, and the vector is L2-normalised
    new = feat.line_vector(_ev("quokka"))
    assert abs(sum(v * v for v in new.values()) - 1.0) < 1e-9 and abs(sum(v * v for v in vec.values()) - 1.0) < 1e-9
    assert max(new.values()) > min(new.values())


def _windows() -> tuple[list[Group], dict[int, int]]:
    """Windows of 4 lines; a window holding a "disk error" line is anomalous (line labels)."""
    rng = random.Random(5)
    groups, labels, line = [], {}, 1
    for w in range(120):
        g = Group(f"w{w}", line, line)
        for _ in range(4):
            bad = rng.random() < 0.08
            t = "disk error while reading <*>" if bad else rng.choice(["open file <*>", "close file <*>"])
            g.add(Event(line, "t" + t.split()[0], t, t.replace("<*>", "7"), None,
                        (("Level", "ERROR" if bad else "INFO"),)))
            labels[line] = int(bad)
            line += 1
        groups.append(g)
    return groups, labels


def test_a_window_is_its_worst_line_with_the_others_discounted_and_its_reason_is_read_on_demand() -> None:
    groups, labels = _windows()
    det = SmallDetector().fit(groups, line_labels=labels)
    assert det.token_weights_ is not None

    def one(*templates: str) -> Group:
        g = Group("x", 1, 1)
        for i, t in enumerate(templates, 1):
            g.add(Event(i, "t" + t.split()[0], t, t, None, (("Level", "WARN"),)))
        return g

    a, b = "quokka zephyr <*>", "wombat yak <*>"  # never seen: each scored on its kind's rate
    pa, pb = (det.score([one(t)])[0].score for t in (a, b))
    both = det.score([one(a, b)])[0]
    hi, lo = max(pa, pb), min(pa, pb)  # the worst line whole, the other discounted (window_probability)
    assert both.score == pytest.approx(1 - (1 - hi) * (1 - lo) ** FURTHER_LINE_WEIGHT, abs=1e-6)
    assert hi <= both.score <= 1 - (1 - pa) * (1 - pb)
    # a line repeated is one piece of evidence
    assert det.score([one(a, a, a)])[0].score == pytest.approx(pa, abs=1e-9)
    bad = det.score([one("disk error while reading <*>")])[0]
    assert bad.score >= 0.5 and "disk error while reading" in bad.reason and "weighed most" in bad.reason
