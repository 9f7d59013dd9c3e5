"""Anomaly detection: grouping lines into sessions and windows, the one scoring path, routing to the LLM."""

from logkit.detect.api import Model, detect, load_model, train
from logkit.detect.grouping import Grouping, group_events, parse_grouping
from logkit.detect.labels import Labels, read_labels
from logkit.detect.router import Budget, Router, parse_budget
from logkit.detect.scoring import Scorer, ScoreStats

__all__ = [
    "Model",
    "load_model",
    "train",
    "detect",
    "Scorer",
    "ScoreStats",
    "Grouping",
    "parse_grouping",
    "group_events",
    "Labels",
    "read_labels",
    "Budget",
    "Router",
    "parse_budget",
]
