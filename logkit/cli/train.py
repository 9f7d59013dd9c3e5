"""``logkit train``: learn a detector from a log (or ``logkit parse`` JSONL) and save it in a model folder."""

from __future__ import annotations

import click

from logkit.cli.console import get_ui
from logkit.cli.options import format_option

__all__ = ["command"]


@click.command("train")
@click.argument("input_path", metavar="INPUT")
@click.option("--model", "model_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write the model into (method, format and grouping are kept there).")
@click.option("--method", type=click.Choice(["router", "graph"]), default="router", show_default=True,
              help="router: the small calibrated model whose unsure items go to an LLM; graph: a torch model of "
              "event/entity graphs per window, no labels needed (pip install 'logkit[graph]').")
@click.option("--labels", type=click.Path(dir_okay=False, exists=True), default=None,
              help="CSV of session,label or line,label (0/1 or Normal/Anomaly); without it, learn normal "
              "behaviour only.")
@format_option
@click.option("--session", default=None, metavar="REGEX",
              help="Group lines by session ids, e.g. 'blk_-?\\d+'.")
@click.option("--window", default=None, metavar="N|DURATION", help="Group lines in windows of N lines or "
              "of a time span (30s, 5m, 1h).")
def command(input_path: str, model_dir: str, method: str, labels: str | None, format_spec: str,
            session: str | None, window: str | None) -> None:
    """Train a detector on INPUT (a log file, .gz/.zst, - for standard input, or logkit parse JSONL).

    \b
    Examples:
      logkit train hdfs.log --model m --session 'blk_-?\\d+' --labels labels.csv
      logkit train bgl.log --model m --window 10 --labels lines.csv
      logkit train app.log --model m --window 5m
      logkit train bgl.log --model m --method graph --window 10
    """
    from logkit.detect.api import train
    from logkit.detect.grouping import parse_grouping
    from logkit.detect.labels import read_labels

    grouping = parse_grouping(session, window)
    if grouping is None:
        raise click.UsageError("give a grouping: --session REGEX, --window N or --window DURATION")
    lab = read_labels(labels) if labels else None
    if _empty(input_path):  # an input without lines is an error of the input (1), not of the call (2)
        from logkit.errors import InputError

        raise InputError(f"{input_path} is empty: nothing to train on; give a log with lines")
    model = train(input_path, model_dir, grouping=grouping, format=format_spec, labels=lab, method=method)
    ui = get_ui()
    kind = f"{lab.kind} labels" if lab else "no labels (normal behaviour only)"
    ui.info(f"trained {method} on {model.trained.get('groups')} groups ({grouping.describe()}, {kind}); "
            f"model in {model_dir}")


def _empty(path: str) -> bool:
    """Whether the file ``path`` holds no bytes (decompressed; an archive: no lines). Standard input is not
    read ahead: it says so when it ends."""
    if path == "-":
        return False
    from logkit.parse.sources import check_readable, iter_chunks

    check_readable(path)
    chunks = iter_chunks(path)
    try:
        return not any(chunks)
    finally:
        chunks.close()
