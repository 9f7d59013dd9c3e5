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


@command.command("compress")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object per file (and the mean) instead of a table.")
def compress_cmd(files: tuple[str, ...], as_json: bool) -> None:
    """Ratio and speed of logkit against xz -9e and zstd -19 --long on FILE... (default
    $LOGKIT_DATA/compress/*.log), with a byte-exact round-trip check.

    'decomp proc' is 'logkit decompress' as a whole process (CPU time); 'grep x' is the speed-up of
    'logkit grep WORD' over decompress + grep -E for the most frequent word on under 1 % of the lines
    (in this process, and 'proc': whole processes, CPU seconds of 'decompress | grep -E' over 'grep')."""
    from logkit.bench.compress import render, run_bench

    rows = run_bench(list(files) or None)
    if as_json:
        for r in rows:
            sys.stdout.write(json.dumps(r) + "\n")
    else:
        sys.stdout.write(render(rows) + "\n")


@command.command("detect")
@click.argument("data", required=False, type=click.Path(file_okay=False, exists=True))
@click.option("--method", type=click.Choice(["router", "graph"]), default="router", show_default=True,
              help="Detection method to benchmark (graph: with PCA and Isolation Forest baselines).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per data set instead of a table.")
def detect_cmd(data: str | None, method: str, as_json: bool) -> None:
    """Precision, recall, F1, ROC-AUC, routed share, calibration error on HDFS sessions and BGL windows
    (DATA default $LOGKIT_DATA)."""
    if method == "graph":
        from logkit.bench.detect_common import data_root
        from logkit.bench.detect_graph import render_graph, run_graph_bench

        grows = run_graph_bench(data_root(data))
        sys.stdout.write("".join(json.dumps(r) + "\n" for r in grows) if as_json else render_graph(grows) + "\n")
        return
    from logkit.bench.detect import missed, render, run_bench

    rows = run_bench(data)
    if as_json:
        for r in rows:
            sys.stdout.write(json.dumps(r) + "\n")
    else:
        sys.stdout.write(render(rows) + "\n")
    misses = missed(rows)
    for m in misses:
        sys.stderr.write(f"target missed: {m}\n")
    if misses:
        sys.exit(1)


@command.command("batch")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON document.")
@click.option("--mb", "min_mb", type=click.FloatRange(min=0.001), default=200.0, show_default=True,
              help="Repeat the input files until they hold at least this many megabytes.")
@click.option("--stage", type=click.Choice(["parse", "compress", "run"]), default="parse", show_default=True,
              help="The batch stage to time.")
def batch_cmd(as_json: bool, min_mb: float, stage: str) -> None:
    """lines/s of logkit batch with --workers 1 and 2 over $LOGKIT_DATA/compress/*.log repeated to --mb MB,
    and the peak RSS of each worker process (the copies live in a temporary folder, deleted after)."""
    from logkit.bench.batch import SPEEDUP_TARGET, batch_targets, bench_batch
    from logkit.bench.compress import default_files
    from logkit.bench.targets import missed, target_lines

    result = bench_batch(default_files(), stage=stage, min_mb=min_mb)
    targets = batch_targets(result)
    if as_json:
        sys.stdout.write(json.dumps({**result, "targets": [t.as_dict() for t in targets]}, indent=2) + "\n")
        if missed(targets):
            sys.exit(1)
        return
    out = [f"logkit bench batch: {stage} over {result['files']} files, {result['bytes'] / 1e6:.0f} MB (largest "
           f"input {result['largest_input_bytes'] / 1e6:.1f} MB), {result['cpus']} CPU(s)"]
    for r in result["rows"]:
        rss = ", ".join(f"{x:.0f}" for x in r["peak_rss_mb_per_worker"])
        out.append(f"  --workers {r['workers']}: {r['lines']:,} lines in {r['seconds']:.1f} s = "
                   f"{r['lines_per_s']:,.0f} lines/s ({r['mb_per_s']:.1f} MB/s), worker CPU "
                   f"{r['worker_cpu_seconds']:.1f} s; peak RSS per worker MB: {rss}"
                   + (f"; {r['failed']} failed" if r["failed"] else ""))
    out.append(f"  speed-up --workers 2 / --workers 1: {result['speedup']:.2f}x (target >= {SPEEDUP_TARGET}x)")
    out += target_lines(targets)
    sys.stdout.write("\n".join(out) + "\n")
    if missed(targets):  # like every bench: exit 1 when a measured target is missed
        sys.exit(1)
