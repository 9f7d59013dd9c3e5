"""A window of lines from its lines' probabilities: the worst line decides, further lines are discounted."""

from __future__ import annotations

import math
import random

import pytest

from logkit.models.lines import FURTHER_LINE_WEIGHT, window_probability
from logkit.models.small import SmallDetector
from logkit.records import Event, Group


def _log_not(*ps: float) -> list[float]:
    return [math.log1p(-p) for p in ps]


def test_window_probability_runs_from_the_worst_line_to_the_noisy_or() -> None:
    ps = (0.6, 0.3, 0.2)
    assert window_probability(_log_not(*ps), 0.0) == pytest.approx(0.6)  # the worst line alone
    assert window_probability(_log_not(*ps), 1.0) == pytest.approx(1 - 0.4 * 0.7 * 0.8)  # independent lines
    mid = window_probability(_log_not(*ps))
    assert 0.6 < mid < 1 - 0.4 * 0.7 * 0.8
    assert window_probability([]) == 0.0
    assert 0.0 < FURTHER_LINE_WEIGHT < 1.0


def test_one_anomalous_line_decides_and_a_line_more_never_lowers_a_window() -> None:
    rng = random.Random(3)
    for _ in range(200):
        ps = [rng.random() * 0.999 for _ in range(rng.randint(1, 8))]
        base = window_probability(_log_not(*ps))
        assert base >= max(ps) - 1e-12
        assert window_probability(_log_not(*ps, rng.random() * 0.999)) >= base - 1e-12
    # a certain line among normal ones makes a certain window
    assert window_probability(_log_not(0.999, 0.0, 0.0, 0.0)) == pytest.approx(0.999)


def test_many_unsure_lines_of_one_window_do_not_add_up_as_independent_evidence() -> None:
    # a dump of eight new lines, each unsure (0.4): noisy-OR would call the window certain
    dump = _log_not(*([0.4] * 8))
    assert 1 - 0.6 ** 8 > 0.98
    assert window_probability(dump) < 0.9


def _dump_windows() -> tuple[list[Group], dict[int, int]]:
    """Windows of 6 lines. Anomalous: a window with a FATAL "... crash ..." line. Normal: INFO chatter, and
    windows holding a dump of distinct FATAL register lines. Lines of both FATAL kinds vary in their words,
    so a FATAL line never seen is unsure."""
    rng = random.Random(11)
    groups, labels, line = [], {}, 1
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu"]
    for w in range(150):
        g = Group(f"w{w}", line, line)
        kind = rng.random()
        for i in range(6):
            if kind < 0.15 and i == 0:
                t, level, y = f"{rng.choice(words)} crash {rng.choice(words)} <*>", "FATAL", 1
            elif kind > 0.8:
                t, level, y = f"{rng.choice(words)} {rng.choice(words)} register........<*>", "FATAL", 0
            else:
                t, level, y = rng.choice(["open file <*>", "close file <*>", "sync done <*>"]), "INFO", 0
            g.add(Event(line, "t" + t, t, t.replace("<*>", "1"), None, (("Level", level),)))
            labels[line] = y
            line += 1
        groups.append(g)
    return groups, labels


def test_a_window_of_new_unsure_lines_scores_below_the_noisy_or_of_them() -> None:
    groups, labels = _dump_windows()
    det = SmallDetector().fit(groups, line_labels=labels)
    g = Group("x", 1, 1)
    for i, t in enumerate(["omicron pi <*>", "rho sigma <*>", "tau upsilon <*>", "phi chi <*>"], 1):
        g.add(Event(i, "t" + t, t, t, None, (("Level", "FATAL"),)))  # new words: each line is unsure
    singles = []
    for ev in g.events:
        one = Group("s", 1, 1)
        one.add(ev)
        singles.append(det.score([one])[0].score)
    window = det.score([g])[0].score
    assert min(singles) > 0.05 and max(singles) <= window + 1e-9
    assert window < 1 - math.prod(1 - p for p in singles) - 1e-3
    crash = Group("c", 1, 1)
    crash.add(Event(1, "tc", "alpha crash beta <*>", "alpha crash beta 9", None, (("Level", "FATAL"),)))
    assert det.score([crash])[0].score >= 0.5
