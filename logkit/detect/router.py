"""The router: which items go to the LLM (high uncertainty, within a call budget ``N`` or ``P%``)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from logkit.errors import UsageError

__all__ = ["Budget", "parse_budget", "Router", "DEFAULT_BUDGET", "DEFAULT_MIN_UNCERTAINTY"]

DEFAULT_BUDGET = "10%"
DEFAULT_MIN_UNCERTAINTY = 0.5


@dataclass(frozen=True)
class Budget:
    """At most ``count`` items in all, or at most ``percent`` of the items seen so far."""

    count: int | None = None
    percent: float | None = None

    def allowed(self, seen: int) -> int:
        """How many items may have been routed once ``seen`` items were scored."""
        if self.count is not None:
            return self.count
        assert self.percent is not None
        return math.ceil(self.percent / 100.0 * seen - 1e-9)


def parse_budget(text: str) -> Budget:
    """``"25"`` (calls) or ``"10%"`` (share of items) -> :class:`Budget`."""
    t = text.strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*%", t)
    if m and float(m.group(1)) <= 100:
        return Budget(percent=float(m.group(1)))
    if t.isdigit():
        return Budget(count=int(t))
    raise UsageError(f"--llm-budget {text!r} is not understood; give a number of calls (50) or a share (10%)")


class Router:
    """Decides online, item by item, whether an item is routed.

    An item is routed when its uncertainty is at least ``min_uncertainty`` and the budget allows one
    more (a percentage budget allows the share of the items seen so far, rounded up).
    """

    def __init__(self, budget: Budget, *, min_uncertainty: float = DEFAULT_MIN_UNCERTAINTY) -> None:
        self.budget = budget
        self.min_uncertainty = min_uncertainty
        self.seen = 0
        self.routed = 0

    def route(self, uncertainty: float) -> bool:
        """Count one item; True when it goes to the LLM."""
        self.seen += 1
        if uncertainty < self.min_uncertainty:
            return False
        if self.routed + 1 > max(self.budget.allowed(self.seen), 0):
            return False
        self.routed += 1
        return True
