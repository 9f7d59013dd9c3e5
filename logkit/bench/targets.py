"""Measured targets of the benchmarks: a figure, its goal, and whether it was met (DESIGN.md section 3.1:
``logkit bench`` exits 1 when a measured target is missed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["Target", "missed", "target_lines"]


@dataclass(frozen=True, slots=True)
class Target:
    """``value`` measured against ``goal``: met when ``value >= goal`` (``at_most``: when ``value <= goal``)."""

    name: str
    value: float
    goal: float
    at_most: bool = False
    unit: str = ""
    met: bool = field(init=False)

    def __post_init__(self) -> None:
        ok = self.value <= self.goal if self.at_most else self.value >= self.goal
        object.__setattr__(self, "met", ok)

    def line(self) -> str:
        """One line for the report: ``target NAME: 0.912 (goal >= 0.900) met``."""
        sign = "<=" if self.at_most else ">="
        return (f"target {self.name}: {self.value:.3f}{self.unit} (goal {sign} {self.goal:.3f}{self.unit}) "
                f"{'met' if self.met else 'MISSED'}")

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "value": round(self.value, 4), "goal": self.goal,
                "at_most": self.at_most, "met": self.met}


def missed(targets: Sequence[Target]) -> list[Target]:
    """The targets not met."""
    return [t for t in targets if not t.met]


def target_lines(targets: Sequence[Target]) -> list[str]:
    """Each target's report line, then a summary line."""
    out = [t.line() for t in targets]
    bad = missed(targets)
    if targets:
        out.append(f"{len(targets) - len(bad)} of {len(targets)} targets met" + (
            f"; missed: {', '.join(t.name for t in bad)}" if bad else ""))
    return out
