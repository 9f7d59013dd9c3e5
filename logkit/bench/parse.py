"""``logkit bench parse``: parsing accuracy (GA, PA, FGA, FTA) and speed of logkit and drain3 masked.

Reads a Loghub-2k style folder (``NAME/NAME_2k.log``, ``NAME/NAME_2k.log_structured_corrected.csv``,
``formats.json``); both parsers run in this process on the same contents.
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
from logkit.errors import InputError
from logkit.parse.formats import compile_format
from logkit.parse.miner import TemplateMiner
from logkit.records import RawLine

__all__ = [
    "SystemResult",
    "SpeedResult",
    "find_parse_dir",
    "load_system",
    "logkit_templates",
    "bench_parse",
    "bench_speed",
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
    """Throughput on one whole file: logkit (add + match, typing on) against drain3 masked."""

    file: str
    lines: int
    logkit_lines_per_s: float
    drain3_lines_per_s: float
    ratio: float = field(init=False)
    # whole processes (see logkit.bench.process_speed): median wall seconds and drain3's over logkit's
    logkit_process_s: float | None = None
    drain3_process_s: float | None = None
    process_ratio: float | None = None

    def __post_init__(self) -> None:
        self.ratio = self.logkit_lines_per_s / self.drain3_lines_per_s if self.drain3_lines_per_s else 0.0


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


def _read_lines(path: Path) -> list[bytes]:
    data = path.read_bytes()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def contents_of(path: Path, spec: str) -> list[str]:
    """The message content of every line of a log file, split with a Loghub header spec."""
    fmt = compile_format(spec)
    src = str(path)
    return [fmt.split(RawLine(src, n, data)).content for n, data in enumerate(_read_lines(path), 1)]


def load_system(root: Path, name: str, spec: str) -> tuple[list[str], list[str | None]]:
    """One system's contents and ground-truth templates (None where the truth has none)."""
    log = root / name / f"{name}_2k.log"
    truth_file = root / name / f"{name}_2k.log_structured_corrected.csv"
    if not log.is_file() or not truth_file.is_file():
        raise InputError(f"benchmark system {name}: {log} or its _structured_corrected.csv is missing")
    contents = contents_of(log, spec)
    with truth_file.open(encoding="utf-8", newline="") as fh:
        truth: list[str | None] = [row.get("EventTemplate") or None for row in csv.DictReader(fh)]
    if len(truth) != len(contents):
        raise InputError(f"benchmark system {name}: {len(contents)} log lines but {len(truth)} truth rows")
    return contents, truth


def logkit_templates(contents: Sequence[str]) -> list[str]:
    """Mine with logkit's miner in two passes (learn, then match with typing); one template per line."""
    miner = TemplateMiner()
    learn = miner.learn
    for c in contents:
        learn(c)
    match = miner.match
    return [match(c).template for c in contents]


def _timed(fn: Callable[[Sequence[str]], list[str]], contents: Sequence[str]) -> tuple[list[str], float]:
    t0 = time.perf_counter()
    out = fn(contents)
    dt = time.perf_counter() - t0
    return out, (len(contents) / dt if dt > 0 else float("inf"))


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
    from logkit.bench.drain3_baseline import drain3_templates

    base = find_parse_dir(root)
    formats: dict[str, str] = json.loads((base / "formats.json").read_text(encoding="utf-8"))
    names = [s for s in formats if systems is None or s in systems]
    parsers: list[tuple[str, Callable[[Sequence[str]], list[str]]]] = [("logkit", logkit_templates)]
    if with_drain3:
        parsers.append(("drain3", drain3_templates))
    out: list[SystemResult] = []
    for name in names:
        contents, truth = load_system(base, name, formats[name])
        for label, fn in parsers:
            pred, speed = _timed(fn, contents)
            out.append(SystemResult(name, label, len(contents), score_parsing(truth, pred), speed))
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


def bench_speed(data: str | os.PathLike[str] | None = None,
                files: Sequence[str] = SPEED_FILES, formats_dir: str | os.PathLike[str] | None = None,
                process_runs: int = 3) -> list[SpeedResult]:
    """Time logkit's two passes (typing on) and drain3 masked on whole files, in this process, and then
    as whole processes (``process_runs`` paired runs of each, one CPU; 0: none).

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
    from logkit.bench.drain3_baseline import drain3_two_pass

    out = []
    for name in files:
        path = root / "compress" / name
        if not path.is_file():
            raise InputError(f"speed benchmark file {path} is missing; set LOGKIT_DATA to the data folder")
        spec = formats.get(Path(name).stem.split("_")[0], "<Content>")
        contents = contents_of(path, spec)
        _, ours = _timed(logkit_templates, contents)
        _, theirs = _timed(drain3_two_pass, contents)
        row = SpeedResult(name, len(contents), ours, theirs)
        if process_runs > 0:
            from logkit.bench.process_speed import parse_commands, time_processes

            timing = time_processes(*parse_commands(str(path), spec), runs=process_runs)
            row.logkit_process_s = timing.a_seconds
            row.drain3_process_s = timing.b_seconds
            row.process_ratio = timing.speedup
        out.append(row)
    return out


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
        doc["speed"] = [asdict(s) for s in speed]
    return doc
