"""``logkit batch``: parse, compress, detect or run over many inputs in a process pool or on a Dask cluster."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from logkit.cli.console import get_ui

__all__ = ["command"]


@click.command("batch")
@click.argument("stage", type=click.Choice(["parse", "compress", "detect", "run"]))
@click.argument("inputs", nargs=-1, required=True, metavar="INPUTS...")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Output folder: Parquet datasets, archives and manifest.json.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local worker processes (default: the core count).")
@click.option("--scheduler", default=None, envvar="LOGKIT_DASK_SCHEDULER", metavar="URL",
              help="Run on this Dask scheduler (tcp://host:8786; env LOGKIT_DASK_SCHEDULER).")
@click.option("--force", is_flag=True, help="Redo inputs the manifest marks as done.")
@click.option("--log-json", is_flag=True, help="One JSON line per input on stderr (for schedulers).")
@click.option("--format", "format_spec", default=None, metavar="SPEC|auto|none",
              help="Header format (default auto, or the model's).")
@click.option("--model", "model_dir", default=None, type=click.Path(file_okay=False, exists=True),
              help="Model folder from logkit train (needed by detect; run detects when given).")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=0.5, show_default=True,
              help="Score at or above which an item is an anomaly.")
def command(stage: str, inputs: tuple[str, ...], out_dir: str, workers: int | None, scheduler: str | None,
            force: bool, log_json: bool, format_spec: str | None, model_dir: str | None,
            threshold: float) -> None:
    """Run STAGE over INPUTS (files, folders, globs; plain, .gz or .zst), one task per input.

    \b
    Outputs in --out:
      parsed/source=NAME/date=YYYY-MM-DD/*.parquet   parse records with OpenTelemetry columns
      scores/source=NAME/date=.../*.parquet          detection records (detect, run with --model)
      templates/source=NAME/*.parquet                templates and counts per input
      NAME.lkz                                       archives (compress, run)
      manifest.json                                  per input: size, mtime, hash, outputs, status, metrics
    A re-run skips inputs already done (--force redoes them). Exit 0 all done, 4 some failed, 1 none ran.

    \b
    Examples:
      logkit batch compress /var/log/app/*.log.gz --out /srv/logs/2026-11-24
      logkit batch run 'logs/**/*.log' --out out --model m --workers 2
      logkit batch parse logs/ --out out --scheduler tcp://10.0.0.5:8786
    """
    from logkit.pipeline.batch import run_batch

    ui = get_ui()
    show: Any = None
    bar: Any = None
    start: Any = None
    if log_json:
        def show(entry: dict[str, Any]) -> None:
            line = {k: entry.get(k) for k in ("stage", "input", "status", "error", "outputs", "metrics")}
            sys.stderr.write(json.dumps(line, ensure_ascii=True) + "\n")
            sys.stderr.flush()
    elif ui.interactive:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(TextColumn(f"batch {stage}"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), console=ui.console, transient=True)
        task = bar.add_task(stage, total=None, rate="")
        totals = {"lines": 0, "bytes": 0, "seconds": 0.0}

        def show(entry: dict[str, Any]) -> None:
            m = entry.get("metrics") or {}
            if entry["status"] == "done":
                totals["lines"] += m.get("lines", 0)
                totals["bytes"] += m.get("bytes", 0)
            elapsed = bar.tasks[0].elapsed or 0.0
            rate = f"{totals['lines']:,} lines, {totals['bytes'] / 1e6 / elapsed:.1f} MB/s" if elapsed else ""
            bar.update(task, advance=1, rate=rate)
            if entry["status"] == "failed":
                bar.console.print(f"failed: {entry['input']}: {entry['error']}", markup=False, style="red")

        def start(total: int) -> None:
            bar.update(task, total=total)

        bar.start()
    try:
        result = run_batch(stage, list(inputs), out_dir, workers=workers, scheduler=scheduler, force=force,
                           format=format_spec, model_dir=model_dir, threshold=threshold, progress=show,
                           on_start=start)
    finally:
        if bar is not None:
            bar.stop()
    if not log_json:
        ui.info(result.summary())
    result.raise_for_failures()
