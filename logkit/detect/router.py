"""The router: which items go to the LLM (high uncertainty, within a call budget ``N`` or ``P%``)."""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from logkit.errors import UsageError

__all__ = ["Budget", "parse_budget", "Router", "DEFAULT_BUDGET", "DEFAULT_MIN_UNCERTAINTY"]

DEFAULT_BUDGET = "10%"
DEFAULT_MIN_UNCERTAINTY = 0.5
MAX_KEYS = 100_000  # patterns remembered as routed (bounded memory on endless streams)


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
        self.repeats = 0
        self._keys: set[Hashable] = set()

    def route(self, uncertainty: float) -> bool:
        """Count one item; True when it goes to the LLM."""
        self.seen += 1
        if uncertainty < self.min_uncertainty:
            return False
        if self.routed + 1 > max(self.budget.allowed(self.seen), 0):
            return False
        self.routed += 1
        return True

    def route_batch(self, uncertainties: Sequence[float], keys: Sequence[Hashable] | None = None) -> list[bool]:
        """Count a batch of items; route the most uncertain of them that the budget allows.

        Within a batch the budget goes to the highest uncertainties first (not the first to arrive), so
        a batch of one behaves as :meth:`route`. With ``keys`` (an item's pattern, e.g. its set of
        templates), a pattern is asked once: an item whose key was routed before is not routed again, so
        the budget goes to patterns not asked yet (see :meth:`asked`).
        """
        self.seen += len(uncertainties)
        room = max(max(self.budget.allowed(self.seen), 0) - self.routed, 0)
        out = [False] * len(uncertainties)
        for i in sorted(range(len(uncertainties)), key=lambda i: -uncertainties[i]):
            if room <= 0 or uncertainties[i] < self.min_uncertainty:
                break
            if keys is not None:
                if keys[i] in self._keys:
                    continue
                if len(self._keys) < MAX_KEYS:
                    self._keys.add(keys[i])
            out[i] = True
            room -= 1
            self.routed += 1
        return out

    def asked(self, key: Hashable) -> bool:
        """Whether an item with this pattern was routed before."""
        return key in self._keys
