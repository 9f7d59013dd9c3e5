"""Loghub-2.0 parsing metrics on tiny hand-made examples with known answers."""

from __future__ import annotations

import pytest

from logkit.bench.metrics import score_parsing


def test_perfect() -> None:
    truth = ["a <*>", "a <*>", "b"]
    s = score_parsing(truth, list(truth))
    assert (s.ga, s.pa, s.fga, s.fta) == (1.0, 1.0, 1.0, 1.0)


def test_grouping_right_strings_wrong() -> None:
    truth = ["a <*>", "a <*>", "b"]
    pred = ["x", "x", "y"]
    s = score_parsing(truth, pred)
    assert s.ga == 1.0 and s.fga == 1.0
    assert s.pa == 0.0 and s.fta == 0.0


def test_merged_groups() -> None:
    # truth: A x2, B x1, C x1; prediction merges A and B, gets C right
    truth = ["A", "A", "B", "C"]
    pred = ["P", "P", "P", "C"]
    s = score_parsing(truth, pred)
    assert s.ga == pytest.approx(1 / 4)  # only C's line is grouped exactly
    # PGA = 1/2 (C of {P, C}), RGA = 1/3 -> F1 = 0.4
    assert s.fga == pytest.approx(0.4)
    assert s.pa == pytest.approx(1 / 4)
    # C is a correct template: PTA = 1/2, RTA = 1/3
    assert s.fta == pytest.approx(0.4)
    assert (s.predicted_templates, s.truth_templates) == (2, 3)


def test_split_group_and_string_check() -> None:
    # truth T x4; prediction splits it in two groups, one with the right string
    truth = ["T", "T", "T", "T"]
    pred = ["T", "T", "U", "U"]
    s = score_parsing(truth, pred)
    assert s.ga == 0.0 and s.fga == 0.0
    assert s.pa == 0.5
    # the evaluator counts T as correct (all its lines have truth T): PTA 1/2, RTA 1/1
    assert s.fta == pytest.approx(2 / 3)


def test_lines_without_truth_are_dropped() -> None:
    s = score_parsing(["a", None, ""], ["a", "zzz", "yyy"])
    assert (s.ga, s.pa) == (1.0, 1.0)


def test_length_mismatch() -> None:
    with pytest.raises(ValueError):
        score_parsing(["a"], [])
