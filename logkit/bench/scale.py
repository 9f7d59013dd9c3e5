"""``logkit bench parse --scale``: the 2k sample lines scored inside their full file.

For a system with a full file (``DATA/compress/NAME.log``) and a 2k sample with ground truth
(``DATA/loghub-2k/NAME``), the full file is parsed whole, the sample's lines are found in it, and those
lines' templates are scored against the 2k ground truth, beside the same lines' templates from parsing the
2k file alone. A parser whose templates only fit the small sample loses grouping accuracy at full size.

Finding the sample lines: by exact raw line text (a ``\\r`` before the ``\\n`` left out), in order: each
sample line is matched to the first full-file line with the same text after the full-file line the sample
line before it matched. A line repeated in the sample so takes successive occurrences in the full file,
never the same full-file line twice; a sample line with no such occurrence is left out of both scores (and
counted).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from logkit.bench.metrics import ParseScores, score_parsing
from logkit.bench.parse import drain3_split, load_system, logkit_templates, read_lines
from logkit.bench.targets import Target
from logkit.errors import InputError

__all__ = ["SCALE_SYSTEMS", "GA_TOLERANCE", "ScaleResult", "match_in_order", "bench_scale", "scale_targets"]

SCALE_SYSTEMS = ("Linux", "Apache")
GA_TOLERANCE = 0.02  # target: GA of the sample lines parsed in the full file within this of the 2k-alone GA


@dataclass(frozen=True, slots=True)
class ScaleResult:
    """One system and parser: the matched sample lines scored from the full file and from the 2k file."""

    system: str
    parser: str
    full_lines: int
    sample_lines: int
    matched: int
    full: ParseScores  # the matched lines' templates from parsing the full file
    alone: ParseScores  # the same lines' templates from parsing the 2k file alone
    full_templates: int  # distinct templates in the whole full file


def _strip_cr(lines: Sequence[bytes]) -> list[bytes]:
    return [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]


def match_in_order(sample: Sequence[bytes], full: Sequence[bytes]) -> list[int | None]:
    """For each sample line, the index of its full-file line (see the module note), or None."""
    where: dict[bytes, list[int]] = {}
    for j, line in enumerate(_strip_cr(full)):
        where.setdefault(line, []).append(j)
    out: list[int | None] = []
    after = 0
    for line in _strip_cr(sample):
        spots = where.get(line)
        k = bisect.bisect_left(spots, after) if spots else 0
        if spots and k < len(spots):
            out.append(spots[k])
            after = spots[k] + 1
        else:
            out.append(None)
    return out


def logkit_file(path: Path, spec: str) -> list[str]:
    """The template of each line of a whole file, parsed as `logkit parse` does (fit, then parse)."""
    from logkit.parse import Parser, Source

    return [r.template for r in Parser(format=spec).parse(Source.paths(str(path)))]


def bench_scale(data: str | Path, systems: Sequence[str] | None = None, *,
                with_drain3: bool = True) -> list[ScaleResult]:
    """Score each system's sample lines inside its full file and alone, for logkit (and drain3 masked).

    ``data`` is a folder laid out like ``$LOGKIT_DATA`` (``compress/NAME.log``, ``loghub-2k/NAME/...``,
    ``loghub-2k/formats.json``); ``systems`` default :data:`SCALE_SYSTEMS`.
    """
    systems = SCALE_SYSTEMS if systems is None else systems
    root = Path(data)
    formats_file = root / "loghub-2k" / "formats.json"
    if not formats_file.is_file():
        raise InputError(f"no benchmark data: {formats_file} is missing; set LOGKIT_DATA to the data folder")
    formats: dict[str, str] = json.loads(formats_file.read_text(encoding="utf-8"))
    out: list[ScaleResult] = []
    for name in systems:
        full_path = root / "compress" / f"{name}.log"
        if not full_path.is_file() or name not in formats:
            raise InputError(f"scale benchmark {name}: {full_path} or its format in formats.json is missing")
        spec = formats[name]
        sample, truth = load_system(root / "loghub-2k", name)
        full = read_lines(full_path)
        spots = match_in_order(sample, full)
        pairs = [(i, j) for i, j in enumerate(spots) if j is not None]  # (sample line, full-file line)
        kept = [i for i, _ in pairs]
        if not kept:
            raise InputError(f"scale benchmark {name}: none of the 2k sample lines is in {full_path}")
        runs: list[tuple[str, list[str], list[str]]] = [
            ("logkit", logkit_file(full_path, spec), logkit_templates(sample, spec))]
        if with_drain3:
            runs.append(("drain3", drain3_split(full, spec), drain3_split(sample, spec)))
        sub_truth = [truth[i] for i in kept]
        for parser, whole, alone in runs:
            if len(whole) != len(full):
                raise InputError(f"scale benchmark {name}: {parser} gave {len(whole)} records for "
                                 f"{len(full)} lines of {full_path}")
            in_full = [whole[j] for _, j in pairs]
            out.append(ScaleResult(name, parser, len(full), len(sample), len(kept),
                                   score_parsing(sub_truth, in_full),
                                   score_parsing(sub_truth, [alone[i] for i in kept]), len(set(whole))))
    return out


def scale_targets(results: Sequence[ScaleResult]) -> list[Target]:
    """logkit's GA drop from 2k-alone to full file, per system, against :data:`GA_TOLERANCE`."""
    return [Target(f"scale {r.system} GA drop (2k alone - full file)", r.alone.ga - r.full.ga, GA_TOLERANCE,
                   at_most=True) for r in results if r.parser == "logkit"]


def scale_json(results: Sequence[ScaleResult]) -> list[dict]:
    """The results as plain data for ``--json``."""
    keys = ("ga", "pa", "fga", "fta")
    return [{"system": r.system, "parser": r.parser, "full_lines": r.full_lines, "sample_lines": r.sample_lines,
             "matched": r.matched, "full_templates": r.full_templates,
             "full": {k: round(getattr(r.full, k), 4) for k in keys},
             "alone": {k: round(getattr(r.alone, k), 4) for k in keys}} for r in results]
