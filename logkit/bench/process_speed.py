"""Whole-process timings for ``logkit bench parse --speed``: ``logkit parse`` against the drain3 baseline.

Each command runs as its own process (interpreter start, imports, reading, both passes, writing), pinned to
one CPU where the OS allows it, the two in turn (A B A B ...) so a drifting machine affects both alike; the
figure is the median wall time of each. Both get the same file and the same header format, and both
write their output to the null device.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from logkit.errors import LogkitError

__all__ = ["ProcessTiming", "time_processes", "parse_commands"]


@dataclass
class ProcessTiming:
    """Median wall seconds of each command over ``runs`` paired runs, and the ratio B/A (A's speed-up)."""

    a_seconds: float
    b_seconds: float
    runs: int
    cpu: int | None
    speedup: float = field(init=False)

    def __post_init__(self) -> None:
        self.speedup = self.b_seconds / self.a_seconds if self.a_seconds else 0.0


def parse_commands(path: str, spec: str) -> tuple[list[str], list[str]]:
    """The two commands compared: ``logkit parse`` (JSONL to the null device) and the drain3 baseline."""
    py = sys.executable
    ours = [py, "-m", "logkit", "parse", path, "--format", spec, "-o", os.devnull]
    theirs = [py, "-m", "logkit.bench.drain3_baseline", path, "--format", spec]
    return ours, theirs


def _one_cpu() -> int | None:
    """A CPU this process may run on (the last allowed one), or None where affinity is not supported."""
    getter = getattr(os, "sched_getaffinity", None)
    if getter is None:
        return None
    return max(getter(0))


def _run(cmd: Sequence[str], cpu: int | None) -> float:
    def pin() -> None:
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})

    t0 = time.perf_counter()
    done = subprocess.run(list(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=pin, check=False)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        raise LogkitError(f"speed benchmark command {' '.join(cmd[:4])} ... failed: {last[0]}")
    return seconds


def time_processes(a: Sequence[str], b: Sequence[str], runs: int = 3) -> ProcessTiming:
    """Run ``a`` and ``b`` in turn ``runs`` times each (after one unrecorded warm-up of each)."""
    cpu = _one_cpu()
    _run(a, cpu)
    _run(b, cpu)
    times_a, times_b = [], []
    for _ in range(runs):
        times_a.append(_run(a, cpu))
        times_b.append(_run(b, cpu))
    return ProcessTiming(statistics.median(times_a), statistics.median(times_b), runs, cpu)
