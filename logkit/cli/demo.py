"""``logkit demo``: generate a synthetic multi-service log and run the pipeline on it."""

from __future__ import annotations

from pathlib import Path

import click

from logkit.cli.console import get_ui

__all__ = ["command"]


@click.command("demo")
@click.argument("folder", required=False, type=click.Path(file_okay=False), metavar="[DIR]")
@click.option("--lines", default=20_000, show_default=True, type=click.IntRange(min=500),
              help="About how many log lines to generate.")
@click.option("--seed", default=0, show_default=True, help="Seed of the generator (same seed, same logs).")
def command(folder: str | None, lines: int, seed: int) -> None:
    """Generate a synthetic multi-service log in DIR and run the pipeline on it (takes seconds).

    DIR defaults to a 'demo' folder under LOGKIT_HOME. The files (an HDFS data node log, a syslog auth
    log, an nginx access log, a JSON application log, a Java log with stack traces) hold a few injected
    anomalies; the summary says where they are and whether parsing made their templates stand out.

    \b
    Examples:
      logkit demo
      logkit demo /tmp/logkit-demo --lines 50000
    """
    from logkit.config import logkit_home
    from logkit.pipeline.demo import run_demo

    ui = get_ui()
    target = Path(folder) if folder else logkit_home() / "demo"
    run = run_demo(target, lines=lines, seed=seed, progress=ui.verbose)
    click.echo("\n".join(run.summary))
