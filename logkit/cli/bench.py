"""``logkit bench``: the accuracy and speed benchmarks (a click group; one subcommand per benchmark)."""

from __future__ import annotations

import json
import sys

import click

__all__ = ["command"]


@click.group("bench")
def command() -> None:
    """Run the accuracy and speed benchmarks on the benchmark data (DIR, else $LOGKIT_DATA)."""


@command.command("parse")
@click.argument("data_dir", required=False, metavar="[DIR]", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON document.")
@click.option("--speed", is_flag=True,
              help="Also time logkit against drain3 masked on $LOGKIT_DATA/compress/{Apache,Linux}.log.")
@click.option("--no-drain3", is_flag=True, help="Skip the drain3 baseline.")
def parse_cmd(data_dir: str | None, as_json: bool, speed: bool, no_drain3: bool) -> None:
    """Parsing accuracy (GA, PA, FGA, FTA) and lines/s of logkit and drain3 masked per system.

    DIR is a Loghub-2k style folder (default $LOGKIT_DATA/loghub-2k) with formats.json.
    """
    from pathlib import Path

    from logkit.bench.parse import average, bench_parse, bench_speed, find_parse_dir, results_json
    from logkit.cli.console import get_ui

    root = find_parse_dir(data_dir)
    get_ui().verbose(f"benchmark data: {root}")
    results = bench_parse(root, with_drain3=not no_drain3)
    speed_rows = bench_speed(root.parent, formats_dir=root) if speed else None
    if as_json:
        sys.stdout.write(json.dumps(results_json(results, speed_rows), indent=2) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(file=sys.stdout, highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 120)
    table = Table(title=f"logkit bench parse ({Path(root).name})")
    for col in ("system", "parser", "GA", "PA", "FGA", "FTA", "templates", "lines/s"):
        table.add_column(col, justify="left" if col in ("system", "parser") else "right")
    for r in results:
        s = r.scores
        table.add_row(r.system, r.parser, f"{s.ga:.3f}", f"{s.pa:.3f}", f"{s.fga:.3f}", f"{s.fta:.3f}",
                      f"{s.predicted_templates}/{s.truth_templates}", f"{r.lines_per_s:,.0f}")
    for parser in dict.fromkeys(r.parser for r in results):
        a = average(results, parser)
        table.add_row("average", parser, f"{a['ga']:.3f}", f"{a['pa']:.3f}", f"{a['fga']:.3f}",
                      f"{a['fta']:.3f}", "", f"{a['lines_per_s']:,.0f}", style="bold")
    console.print(table)
    if speed_rows:
        st = Table(title="speed: two passes, typing on (lines/s); in this process, and as whole processes on one "
                         "CPU (logkit parse -o /dev/null vs the drain3 baseline, same --format, median of 3)")
        for col in ("file", "lines", "logkit", "drain3 masked", "ratio", "logkit process", "drain3 process",
                    "process ratio"):
            st.add_column(col, justify="left" if col == "file" else "right", no_wrap=col == "file",
                          min_width=10 if col == "file" else None)
        for sr in speed_rows:
            whole = ["", "", ""]
            if sr.logkit_process_s and sr.drain3_process_s and sr.process_ratio:
                whole = [f"{sr.lines / sr.logkit_process_s:,.0f}", f"{sr.lines / sr.drain3_process_s:,.0f}",
                         f"{sr.process_ratio:.2f}x"]
            st.add_row(sr.file, f"{sr.lines:,}", f"{sr.logkit_lines_per_s:,.0f}",
                       f"{sr.drain3_lines_per_s:,.0f}", f"{sr.ratio:.2f}x", *whole)
        console.print(st)



def _register() -> None:
    """The benchmarks defined beside their library code (their heavy imports stay inside them)."""
    from logkit.bench.batch import command as batch_command
    from logkit.bench.compress import command as compress_command
    from logkit.bench.detect import command as detect_command

    command.add_command(compress_command, "compress")
    command.add_command(detect_command, "detect")
    command.add_command(batch_command, "batch")


_register()
