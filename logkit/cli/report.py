"""``logkit report``: one self-contained HTML page about logs, their templates and their anomalies."""

from __future__ import annotations

import click

from logkit.cli.console import get_ui

__all__ = ["command"]


@click.command("report")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--model", "model_dir", default=None, type=click.Path(file_okay=False, exists=True),
              help="Score the logs with this model (logkit train) and show the anomalies.")
@click.option("--format", "format_spec", default=None, metavar="SPEC|auto|none",
              help="Header format of raw logs (default: the model's, else auto).")
@click.option("--session", default=None, metavar="REGEX", help="Score sessions (default: the model's grouping).")
@click.option("--window", default=None, metavar="N|DURATION", help="Score windows of N lines or a time span.")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=0.5, show_default=True,
              help="Score at or above which an item is an anomaly (with --model).")
@click.option("--since", default=None, metavar="T", help="Leave out lines before T (ISO time, or 2h back from now).")
@click.option("--until", default=None, metavar="T", help="Leave out lines after T (ISO time, or 30m back from now).")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The HTML file to write.")
def command(inputs: tuple[str, ...], model_dir: str | None, format_spec: str | None, session: str | None,
            window: str | None, threshold: float, since: str | None, until: str | None, output: str) -> None:
    """Write one HTML page about INPUT...: what the logs hold, how they moved over time, which templates are
    new or rare, and (with --model, or logkit detect output among the inputs) where the anomalies are and why.

    INPUT: raw logs (plain, .gz, .zst, .lkz), logkit parse JSONL or Parquet, logkit detect JSONL or Parquet,
    a logkit batch --out folder, or - for standard input. The page needs no network to open.

    \b
    Examples:
      logkit report app.log -o app.html
      logkit report bgl.log --model m -o bgl.html
      logkit report app.log scores.jsonl --since 2h -o last2h.html
    """
    from logkit.detect.grouping import parse_grouping
    from logkit.report import build_report

    ui = get_ui()
    grouping = parse_grouping(session, window)
    res = build_report(list(inputs), output, model_dir=model_dir, format=format_spec, grouping=grouping,
                       since=since, until=until, threshold=threshold, progress=ui.verbose)
    for w in res.warnings:
        ui.warn(w)
    what = f"{res.lines:,} lines, {res.templates:,} templates"
    if res.scored:
        what += f", {res.anomalies:,} anomalies of {res.scored:,} scored"
    ui.info(f"report: {what}; {res.bytes / 1e6:.2f} MB in {res.seconds:.1f}s")
    click.echo(res.path)
