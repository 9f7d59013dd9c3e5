"""Detectors behind one estimator contract (the small model, the LLM client, the graph model).

Models read :class:`logkit.records.Group` values and import nothing from :mod:`logkit.detect`.
``GraphDetector`` (numpy, and torch to train) is imported when first asked for.
"""

from typing import Any

from logkit.models.base import REGISTRY, Detector, Verdict, load_detector, register
from logkit.models.small import SmallDetector

__all__ = ["Detector", "Verdict", "REGISTRY", "register", "load_detector", "SmallDetector", "GraphDetector"]


def __getattr__(name: str) -> Any:
    if name == "GraphDetector":
        from logkit.models.graph import GraphDetector

        return GraphDetector
    raise AttributeError(f"module 'logkit.models' has no attribute {name!r}")
