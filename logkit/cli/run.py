"""``logkit run``: one pass over an input feeding an archive, a parse Parquet file and a detector."""

from __future__ import annotations

import sys
from typing import Any

import click

from logkit.cli.console import get_ui

__all__ = ["command"]


@click.command("run")
@click.argument("input_path", metavar="INPUT")
@click.option("--format", "format_spec", default=None, metavar="SPEC|auto|none",
              help="Header format (default auto, or the model's).")
@click.option("--archive", type=click.Path(dir_okay=False), default=None, help="Write a .lkz archive here.")
@click.option("--model", "model_dir", type=click.Path(file_okay=False, exists=True), default=None,
              help="Score with this model (from logkit train); records go to standard output.")
@click.option("--parsed", type=click.Path(dir_okay=False), default=None,
              help="Write parse records here (.parquet, .jsonl or .csv).")
@click.option("--follow", is_flag=True, help="Keep reading the file as it grows (tail -F).")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=0.5, show_default=True,
              help="Score at or above which an item is an anomaly.")
def command(input_path: str, format_spec: str | None, archive: str | None, model_dir: str | None,
            parsed: str | None, follow: bool, threshold: float) -> None:
    """Parse INPUT once and feed every stage given: --archive, --parsed and --model.

    Detection records (JSON Lines) go to standard output; the archive and the Parquet file are written
    atomically when the input ends.

    \b
    Examples:
      logkit run app.log --archive app.lkz --parsed app.parquet --model m > scores.jsonl
      logkit run app.log --model m --archive app.lkz --follow
    """
    from logkit.output import JsonlWriter
    from logkit.pipeline.run import run_input

    ui = get_ui()
    interrupted = False
    with JsonlWriter(None, flush_each=True) as out:
        def on_score(rec: dict[str, Any]) -> None:
            out.write(rec)

        try:
            res = run_input(input_path, format=format_spec, archive=archive, model_dir=model_dir, parsed=parsed,
                            on_score=on_score, threshold=threshold, follow=follow)
        except KeyboardInterrupt:
            interrupted = True
    if interrupted:
        sys.exit(130)
    ui.verbose(f"format: {res.format_spec}")
    msg = f"{input_path}: {res.lines:,} lines, {len(res.templates):,} templates"
    if archive:
        msg += f"; archive {archive} ({res.raw_bytes:,} -> {res.archive_bytes:,} bytes)"
    if model_dir:
        msg += f"; {res.scores:,} scored, {res.anomalies:,} anomalies"
    ui.info(msg)
