"""``logkit bench parse``: parsing accuracy (GA, PA, FGA, FTA) and speed of logkit and drain3 masked.

Reads a Loghub-2k style folder (``NAME/NAME_2k.log``, ``NAME/NAME_2k.log_structured_corrected.csv``,
``formats.json``); both parsers run in this process on the same lines. logkit runs through its public
two-pass function (:func:`logkit.parse.parse_lines` with the system's header format), so the benchmark
measures what users run; drain3 masked gets the contents that header format splits off.
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from logkit.bench.metrics import ParseScores, score_parsing
from logkit.bench.targets import Target
from logkit.errors import InputError
from logkit.parse.formats import compile_format
from logkit.records import RawLine

__all__ = [
    "SystemResult",
    "SpeedResult",
    "find_parse_dir",
    "load_system",
    "logkit_templates",
    "bench_parse",
    "bench_speed",
    "speed_targets",
    "accuracy_targets",
]

SPEED_FILES = ("Apache.log", "Linux.log")


@dataclass(frozen=True, slots=True)
class SystemResult:
    """One system's scores for one parser, with its lines per second (both passes)."""

    system: str
    parser: str
    lines: int
    scores: ParseScores
    lines_per_s: float


@dataclass
class SpeedResult:
    """One whole file, as whole processes on one CPU: median wall seconds of ``logkit parse`` and of the
    one-pass drain3 baseline, and drain3's over logkit's (logkit's speed-up)."""

    file: str
    lines: int
    logkit_s: float
    drain3_s: float
    runs: int
    ratio: float = field(init=False)

    def __post_init__(self) -> None:
        self.ratio = self.drain3_s / self.logkit_s if self.logkit_s else 0.0


# Targets of issue 21 (DESIGN.md section 3.1: ``bench`` exits 1 when a measured target is missed).
ACCURACY_GOALS = {"ga": 0.95, "pa": 0.90, "fga": 0.90, "fta": 0.80}  # logkit's mean over the 2k systems
SPEED_GOAL = 3.0  # summed drain3 medians / summed logkit medians


def find_parse_dir(path: str | os.PathLike[str] | None) -> Path:
    """The Loghub-2k folder: ``path``, else ``$LOGKIT_DATA/loghub-2k``; InputError when there is none."""
    if path is None:
        data = os.environ.get("LOGKIT_DATA")
        if not data:
            raise InputError("no benchmark data: pass DIR or set LOGKIT_DATA to the benchmark data folder")
        path = Path(data) / "loghub-2k"
    p = Path(path)
    if not (p / "formats.json").is_file():
        raise InputError(f"no benchmark data: {p} has no formats.json; pass DIR or set LOGKIT_DATA")
    return p


def read_lines(path: Path) -> list[bytes]:
    data = path.read_bytes()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def contents_of(path: Path, spec: str) -> list[str]:
    """The message content of every line of a log file, split with a Loghub header spec."""
    fmt = compile_format(spec)
    src = str(path)
    return [fmt.split(RawLine(src, n, data)).content for n, data in enumerate(read_lines(path), 1)]


def load_system(root: Path, name: str) -> tuple[list[bytes], list[str | None]]:
    """One system's raw lines and ground-truth templates (None where the truth has none)."""
    log = root / name / f"{name}_2k.log"
    truth_file = root / name / f"{name}_2k.log_structured_corrected.csv"
    if not log.is_file() or not truth_file.is_file():
        raise InputError(f"benchmark system {name}: {log} or its _structured_corrected.csv is missing")
    lines = read_lines(log)
    with truth_file.open(encoding="utf-8", newline="") as fh:
        truth: list[str | None] = [row.get("EventTemplate") or None for row in csv.DictReader(fh)]
    if len(truth) != len(lines):
        raise InputError(f"benchmark system {name}: {len(lines)} log lines but {len(truth)} truth rows")
    return lines, truth


def logkit_templates(lines: Sequence[bytes], spec: str) -> list[str]:
    """Parse raw lines with logkit's public two-pass function (mine, then emit); one template per line."""
    from logkit.parse import parse_lines

    return [r.template for r in parse_lines(lines, format=spec)]


def drain3_split(lines: Sequence[bytes], spec: str) -> list[str]:
    """drain3 masked on the contents that ``spec`` splits off each line (header split included)."""
    from logkit.bench.drain3_baseline import drain3_templates

    fmt = compile_format(spec)
    return drain3_templates([fmt.split(RawLine("-", n, d)).content for n, d in enumerate(lines, 1)])


Runner = Callable[[Sequence[bytes], str], list[str]]


def _timed(fn: Runner, lines: Sequence[bytes], spec: str) -> tuple[list[str], float]:
    t0 = time.perf_counter()
    out = fn(lines, spec)
    dt = time.perf_counter() - t0
    return out, (len(lines) / dt if dt > 0 else float("inf"))


def bench_parse(root: str | os.PathLike[str] | None = None, *, with_drain3: bool = True,
                systems: Sequence[str] | None = None) -> list[SystemResult]:
    """Score logkit (and drain3 masked) on every system of a Loghub-2k folder.

    Parameters
    ----------
    root : path, optional
        The folder; default ``$LOGKIT_DATA/loghub-2k``.
    with_drain3 : bool
        Also run the drain3 baseline.
    systems : sequence of str, optional
        Only these systems (default: every system in ``formats.json``).

    Returns
    -------
    list of SystemResult
        Per system and parser, in the order of ``formats.json``.
    """
    base = find_parse_dir(root)
    formats: dict[str, str] = json.loads((base / "formats.json").read_text(encoding="utf-8"))
    names = [s for s in formats if systems is None or s in systems]
    parsers: list[tuple[str, Runner]] = [("logkit", logkit_templates)]
    if with_drain3:
        parsers.append(("drain3", drain3_split))
    out: list[SystemResult] = []
    for name in names:
        lines, truth = load_system(base, name)
        for label, fn in parsers:
            pred, speed = _timed(fn, lines, formats[name])
            out.append(SystemResult(name, label, len(lines), score_parsing(truth, pred), speed))
    return out


def average(results: Sequence[SystemResult], parser: str) -> dict[str, float]:
    """Mean GA, PA, FGA, FTA and lines/s of one parser over the systems."""
    rows = [r for r in results if r.parser == parser]
    if not rows:
        return {}
    keys = ("ga", "pa", "fga", "fta")
    avg = {k: sum(getattr(r.scores, k) for r in rows) / len(rows) for k in keys}
    avg["lines_per_s"] = sum(r.lines_per_s for r in rows) / len(rows)
    return avg


def accuracy_targets(results: Sequence[SystemResult]) -> list[Target]:
    """logkit's mean GA, PA, FGA and FTA over the systems against :data:`ACCURACY_GOALS`."""
    avg = average(results, "logkit")
    if not avg:
        return []
    return [Target(f"2k mean {k.upper()}", avg[k], goal) for k, goal in ACCURACY_GOALS.items()]


def bench_speed(data: str | os.PathLike[str] | None = None,
                files: Sequence[str] = SPEED_FILES, formats_dir: str | os.PathLike[str] | None = None,
                runs: int = 3) -> list[SpeedResult]:
    """Time ``logkit parse`` and the one-pass drain3 baseline on whole files as whole processes (``runs``
    paired runs each after a warm-up, one CPU; see :mod:`logkit.bench.process_speed`).

    The files live in ``DATA/compress`` (``DATA`` default ``$LOGKIT_DATA``); each file's header format
    is the one ``loghub-2k/formats.json`` gives its system (the file name's stem).
    """
    if data is None:
        env = os.environ.get("LOGKIT_DATA")
        if not env:
            raise InputError("no benchmark data: set LOGKIT_DATA to the benchmark data folder")
        data = env
    root = Path(data)
    fdir = Path(formats_dir) if formats_dir is not None else root / "loghub-2k"
    formats: dict[str, str] = json.loads((fdir / "formats.json").read_text(encoding="utf-8"))
    from logkit.bench.process_speed import parse_commands, time_processes

    out = []
    for name in files:
        path = root / "compress" / name
        if not path.is_file():
            raise InputError(f"speed benchmark file {path} is missing; set LOGKIT_DATA to the data folder")
        spec = formats.get(Path(name).stem.split("_")[0], "<Content>")
        timing = time_processes(*parse_commands(str(path), spec), runs=runs)
        out.append(SpeedResult(name, len(read_lines(path)), timing.a_seconds, timing.b_seconds, runs))
    return out


def summed_ratio(rows: Sequence[SpeedResult]) -> float:
    """drain3's summed medians over logkit's: the speed-up over all the files together."""
    ours = sum(r.logkit_s for r in rows)
    return sum(r.drain3_s for r in rows) / ours if ours else 0.0


def speed_targets(rows: Sequence[SpeedResult]) -> list[Target]:
    """The summed-median speed-up against :data:`SPEED_GOAL` (each file's ratio is reported, not a target)."""
    return [Target("speed-up over drain3, summed medians", summed_ratio(rows), SPEED_GOAL, unit="x")] if rows else []


def results_json(results: Sequence[SystemResult], speed: Sequence[SpeedResult] | None = None) -> dict:
    """The results as plain data for ``--json``."""
    doc: dict = {
        "systems": [
            {"system": r.system, "parser": r.parser, "lines": r.lines, "lines_per_s": round(r.lines_per_s, 1),
             **{k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(r.scores).items()}}
            for r in results
        ],
        "average": {p: {k: round(v, 4) for k, v in average(results, p).items()}
                    for p in dict.fromkeys(r.parser for r in results)},
    }
    if speed is not None:
        doc["speed"] = {"files": [asdict(s) for s in speed], "summed_ratio": round(summed_ratio(speed), 4)}
    return doc
