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

__all__ = ["DemoRun", "FileResult", "STEPS", "run_demo", "DEMO_WINDOW"]



@dataclass
class FileResult:
    """What parsing one generated file gave."""

    name: str
    parsed_path: Path
    lines: int
    format_reason: str
    templates: list[Any]  # TemplateInfo, most frequent first
    var_types: Counter[str]


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
    scores: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # file path -> detection records
    report: Path | None = None


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
    from logkit.parse.api import RECORD_COLUMNS, Parser, Source, to_record

    gen = run.generated
    for f in gen.files:
        parser = Parser(format="auto", multiline=f.multiline)
        out = f.path.with_name(f.path.stem + ".parsed.jsonl")
        types: Counter[str] = Counter()
        with open_writer("jsonl", out, columns=RECORD_COLUMNS, kind="parse") as writer:
            for p in parser.parse(Source.paths(str(f.path))):
                rec = to_record(p)
                writer.write(rec)
                for q in p.params:
                    types[q.type.value] += 1
        run.files[f.path.name] = FileResult(f.path.name, out, parser.stats.lines, parser.format_reason,
                                            parser.templates(), types)
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
        compress_file(str(f.path), str(archive), force=True)
        original = f.path.read_bytes()
        exact = decompress_bytes(archive.read_bytes()) == original
        ratio = len(original) / max(archive.stat().st_size, 1)
        run.summary.append(
            f"  {f.path.name:<12} {len(original):>9,} bytes -> {archive.stat().st_size:>8,}  "
            f"ratio {ratio:5.1f}  round trip {'exact' if exact else 'DIFFERS'}"
        )


DEMO_WINDOW = 50  # lines per window for the demo's detector


def step_detect(run: DemoRun) -> None:
    """Train a detector per service on a normal sample (another seed, no anomalies), score the sample
    with the injected anomalies in windows, and say which anomalies a flagged window caught."""
    from logkit.datasets.synthetic import generate
    from logkit.detect.api import detect, load_model, train
    from logkit.detect.grouping import Grouping

    normal = generate(run.folder / "normal", lines=run.lines, seed=run.seed + 1, anomalies=False)
    normal_files = {f.path.name: f for f in normal.files}
    grouping = Grouping("count", size=DEMO_WINDOW)
    flagged: dict[str, list[dict[str, Any]]] = {}
    windows = 0
    for f in run.generated.files:
        twin = normal_files.get(f.path.name)
        if twin is None:
            continue
        model_dir = run.folder / "models" / f.service
        train(str(twin.path), model_dir, grouping=grouping)
        records = list(detect(str(f.path), load_model(model_dir)))
        run.scores[str(f.path)] = records
        windows += len(records)
        flagged[f.path.name] = [r for r in records if r["anomaly"]]
    def covers(r: dict[str, Any], a: Any) -> bool:
        return bool(r["first_line"] <= max(a.lines) and r["last_line"] >= min(a.lines))

    caught = 0
    lines_out: list[str] = []
    for a in run.generated.anomalies:
        hits = [r for r in flagged.get(a.file, []) if covers(r, a)]
        if hits:
            caught += 1
            best = max(hits, key=lambda r: r["score"])
            verdict = f"caught (score {best['score']:.2f}: {_clip(str(best['reason']), 70)})"
        else:
            verdict = "missed"
        lines_out.append(f"  {a.kind:<15} {a.file}:{_ranges(a.lines)}  {verdict}")
    inside = {
        (r["first_line"], name)
        for name, rs in flagged.items() for r in rs for a in run.generated.anomalies if a.file == name and covers(r, a)
    }
    others = sum(len(rs) for rs in flagged.values()) - len(inside)
    run.summary.append("")
    run.summary.append(
        f"Detected anomalies (a detector per service trained on a normal sample, {DEMO_WINDOW}-line windows): "
        f"caught {caught} of {len(run.generated.anomalies)}; {others} other of {windows:,} windows flagged"
    )
    run.summary.extend(lines_out)


def step_report(run: DemoRun) -> None:
    """Write one HTML page about every generated file, with the anomalies the detect step found."""
    from logkit.report import build_report

    target = run.folder / "report.html"
    paths = [str(f.path) for f in run.generated.files]
    res = build_report(paths, target, scores=run.scores, title=f"logkit demo ({run.lines:,} lines, seed {run.seed})")
    run.report = target
    run.summary.append("")
    run.summary.append(f"Wrote a report page: {res.lines:,} lines, {res.templates} templates, {res.anomalies} "
                       f"anomalies, {res.bytes / 1e6:.2f} MB, opens offline in a browser (path below)")


# The demo's steps in order; a later stage appends its own (name, function) here.
STEPS: list[tuple[str, Callable[[DemoRun], None]]] = [
    ("generate", step_generate),
    ("parse", step_parse),
    ("compress", step_compress),
    ("detect", step_detect),
    ("report", step_report),
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
    if run.report is not None:  # the last line: the page to open
        run.summary.append(f"Report: {run.report}")
    return run


