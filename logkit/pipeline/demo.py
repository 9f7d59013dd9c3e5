"""The demo behind ``logkit demo``: generate a synthetic multi-service log and run the pipeline on it.

The demo is a list of steps (:data:`STEPS`) sharing one :class:`DemoRun`; later stages (compress, detect)
add a step each. Each step calls the library and records what a person should see in the summary.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["DemoRun", "FileResult", "STEPS", "run_demo", "RARE_SHARE"]

RARE_SHARE = 0.01  # a template under 1 % of its file's lines counts as rare


@dataclass
class FileResult:
    """What parsing one generated file gave."""

    name: str
    parsed_path: Path
    lines: int
    format_reason: str
    templates: list[Any]  # TemplateInfo, most frequent first
    var_types: Counter[str]
    line_templates: dict[int, str] = field(default_factory=dict)  # anomaly line -> template id


@dataclass
class DemoRun:
    """State shared by the demo's steps and the summary they add to."""

    folder: Path
    lines: int
    seed: int
    generated: Any = None  # GeneratedLog
    files: dict[str, FileResult] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def step_generate(run: DemoRun) -> None:
    """Write the synthetic sample (five services, injected anomalies)."""
    from logkit.datasets.synthetic import generate

    gen = generate(run.folder, lines=run.lines, seed=run.seed)
    run.generated = gen
    run.summary.append(f"Generated {gen.lines:,} lines in {len(gen.files)} files under {run.folder}:")
    for f in gen.files:
        run.summary.append(f"  {f.path.name:<12} {f.lines:>7,} lines  ({f.service})")


def step_parse(run: DemoRun) -> None:
    """Parse every file with ``--format auto`` and write ``NAME.parsed.jsonl`` beside it."""
    from logkit.output import open_writer
    from logkit.parse.api import RECORD_COLUMNS, Parser, to_record

    gen = run.generated
    for f in gen.files:
        wanted = gen.anomaly_lines(f.path.name)
        parser = Parser(format="auto", multiline=f.multiline)
        out = f.path.with_name(f.path.stem + ".parsed.jsonl")
        types: Counter[str] = Counter()
        at: dict[int, str] = {}
        with open_writer("jsonl", out, columns=RECORD_COLUMNS, kind="parse") as writer:
            for p in parser.parse_path(str(f.path)):
                rec = to_record(p)
                writer.write(rec)
                for q in p.params:
                    types[q.type.value] += 1
                if rec["line"] in wanted:
                    at[rec["line"]] = p.template_id
        run.files[f.path.name] = FileResult(f.path.name, out, parser.stats.lines, parser.format_reason,
                                            parser.templates(), types, at)
    total_t = sum(len(r.templates) for r in run.files.values())
    run.summary.append("")
    run.summary.append(f"Parsed every file (--format auto): {total_t} templates in all")
    for r in run.files.values():
        run.summary.append(f"  {r.name:<12} {len(r.templates):>4} templates  format: {r.format_reason}")
    run.summary.append("")
    run.summary.append("Top templates:")
    for r in run.files.values():
        for t in r.templates[:2]:
            run.summary.append(f"  {r.name:<12} {t.count:>6,}  {_clip(t.template, 90)}")
    types = sum((r.var_types for r in run.files.values()), Counter())
    run.summary.append("")
    run.summary.append("Variables by type: " + ", ".join(f"{k} {v:,}" for k, v in types.most_common()))


def step_anomalies(run: DemoRun) -> None:
    """For each injected anomaly: its lines, and whether the templates of those lines are rare."""
    run.summary.append("")
    run.summary.append(f"Injected anomalies (a template is rare under {RARE_SHARE:.0%} of its file's lines):")
    for a in run.generated.anomalies:
        res = run.files.get(a.file)
        if res is None:
            continue
        counts = {t.template_id: t.count for t in res.templates}
        tids = {res.line_templates[n] for n in a.lines if n in res.line_templates}
        rare = [t for t in tids if counts.get(t, 0) < RARE_SHARE * max(res.lines, 1)]
        verdict = f"{len(rare)} of {len(tids)} templates rare"
        run.summary.append(f"  {a.kind:<15} {a.file}:{_ranges(a.lines)}  {verdict}  - {a.description}")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _ranges(lines: tuple[int, ...]) -> str:
    """``(3, 4, 5, 9)`` -> ``3-5,9``."""
    parts: list[str] = []
    start = prev = None
    for n in sorted(lines):
        if prev is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            parts.append(f"{start}-{prev}" if prev != start else f"{start}")
        start = prev = n
    if start is not None:
        parts.append(f"{start}-{prev}" if prev != start else f"{start}")
    return ",".join(parts)


def step_compress(run: DemoRun) -> None:
    """Compress every generated file into a .lkz archive and check the round trip byte for byte."""
    from logkit.compress import decompress_bytes
    from logkit.compress.api import compress_file

    run.summary.append("")
    run.summary.append("Compressed every file (lossless .lkz archives):")
    for f in run.generated.files:
        archive = f.path.with_name(f.path.name + ".lkz")
        compress_file(str(f.path), str(archive))
        original = f.path.read_bytes()
        exact = decompress_bytes(archive.read_bytes()) == original
        ratio = len(original) / max(archive.stat().st_size, 1)
        run.summary.append(
            f"  {f.path.name:<12} {len(original):>9,} bytes -> {archive.stat().st_size:>8,}  "
            f"ratio {ratio:5.1f}  round trip {'exact' if exact else 'DIFFERS'}"
        )


# The demo's steps in order; a later stage appends its own (name, function) here.
STEPS: list[tuple[str, Callable[[DemoRun], None]]] = [
    ("generate", step_generate),
    ("parse", step_parse),
    ("compress", step_compress),
    ("anomalies", step_anomalies),
]


def run_demo(folder: Path, *, lines: int = 20_000, seed: int = 0,
             progress: Callable[[str], None] | None = None) -> DemoRun:
    """Run every step of :data:`STEPS` in ``folder`` and return the shared state (with its summary)."""
    run = DemoRun(folder=folder, lines=lines, seed=seed)
    for name, step in STEPS:
        if progress is not None:
            progress(f"demo: {name} ...")
        t0 = time.perf_counter()
        step(run)
        run.timings[name] = time.perf_counter() - t0
    run.summary.append("")
    run.summary.append("Took " + ", ".join(f"{k} {v:.1f}s" for k, v in run.timings.items())
                       + f"; parsed output: {folder}/*.parsed.jsonl")
    return run


