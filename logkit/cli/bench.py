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
@click.option("--scale", is_flag=True,
              help="Also score the 2k sample lines inside their full files ($LOGKIT_DATA/compress/{Linux,Apache}.log).")
@click.option("--wild", "wild_dir", metavar="DIR", type=click.Path(file_okay=False),
              help="Also score the generalization suite: the real logs of logkit/bench/wild.py, fetched into DIR.")
@click.option("--speed", is_flag=True,
              help="Also time logkit parse against one-pass drain3 masked on $LOGKIT_DATA/compress/{Apache,Linux}.log.")
@click.option("--no-drain3", is_flag=True, help="Skip the drain3 baseline (accuracy tables).")
def parse_cmd(data_dir: str | None, as_json: bool, scale: bool, wild_dir: str | None, speed: bool,
              no_drain3: bool) -> None:
    """Parsing accuracy (GA, PA, FGA, FTA) and lines/s of logkit and drain3 masked per system.

    DIR is a Loghub-2k style folder (default $LOGKIT_DATA/loghub-2k) with formats.json. Exits 1 when a
    measured target is missed (the 2k means; --scale, --wild and --speed add theirs).
    """
    from logkit.bench.parse import accuracy_targets, bench_parse, bench_speed, find_parse_dir, speed_targets
    from logkit.bench.targets import missed
    from logkit.cli.console import get_ui

    root = find_parse_dir(data_dir)
    get_ui().verbose(f"benchmark data: {root}")
    results = bench_parse(root, with_drain3=not no_drain3)
    targets = accuracy_targets(results)
    scale_rows = wild_rows = speed_rows = None
    if scale:
        from logkit.bench.scale import bench_scale, scale_targets

        scale_rows = bench_scale(root.parent, with_drain3=not no_drain3)
        targets += scale_targets(scale_rows)
    if wild_dir is not None:
        from logkit.bench.wild import bench_wild, wild_targets

        wild_rows = bench_wild(wild_dir, with_drain3=not no_drain3)
        targets += wild_targets(wild_rows)
    if speed:
        speed_rows = bench_speed(root.parent, formats_dir=root)
        targets += speed_targets(speed_rows)
    if as_json:
        from logkit.cli.bench_report import results_document

        doc = results_document(results, scale_rows, wild_rows, speed_rows, targets)
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        from logkit.cli.bench_report import print_tables

        print_tables(root, results, scale_rows, wild_rows, speed_rows, targets)
    if missed(targets):
        raise SystemExit(1)


def _register() -> None:
    """The benchmarks defined beside their library code (their heavy imports stay inside them)."""
    from logkit.bench.batch import command as batch_command
    from logkit.bench.compress import command as compress_command
    from logkit.bench.detect import command as detect_command

    command.add_command(compress_command, "compress")
    command.add_command(detect_command, "detect")
    command.add_command(batch_command, "batch")


_register()
