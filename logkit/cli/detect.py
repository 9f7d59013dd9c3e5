"""``logkit detect``: score sessions or windows with a trained model (records of DESIGN.md section 3.4)."""

from __future__ import annotations

import signal
import sys

import click

from logkit.cli.console import get_ui
from logkit.cli.options import output_options

__all__ = ["command"]


@click.command("detect")
@click.argument("input_path", metavar="INPUT")
@click.option("--model", "model_dir", required=True, type=click.Path(file_okay=False, exists=True),
              help="Model folder written by logkit train.")
@click.option("--format", "format_spec", default=None, metavar="SPEC|auto|none",
              help="Header format (default: the one the model was trained with).")
@click.option("--session", default=None, metavar="REGEX", help="Group by session ids (default: the model's).")
@click.option("--window", default=None, metavar="N|DURATION", help="Windows of N lines or a time span.")
@click.option("--follow", is_flag=True,
              help="Keep reading the file as it grows; sessions close after --idle.")
@click.option("--idle", default="5m", show_default=True, metavar="DURATION",
              help="With --follow, a session with no line for this long closes.")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=0.5, show_default=True,
              help="Score at or above which an item is an anomaly.")
@click.option("--fail-on-anomaly", is_flag=True, help="Exit with code 3 when any anomaly was found.")
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True,
              help="Device for the graph method (the router method runs on the CPU).")
@click.option("--llm-url", default=None,
              help="OpenAI-compatible base URL (env LOGKIT_LLM_URL, OPENAI_BASE_URL).")
@click.option("--llm-model", default=None, help="LLM model name (env LOGKIT_LLM_MODEL).")
@click.option("--llm-budget", default="10%", show_default=True, metavar="N|P%",
              help="Most items sent to the LLM: a number of calls or a share of items.")
@output_options
def command(input_path: str, model_dir: str, format_spec: str | None, session: str | None,
            window: str | None, follow: bool, idle: str, threshold: float, fail_on_anomaly: bool,
            device: str, llm_url: str | None, llm_model: str | None, llm_budget: str, output: str | None,
            output_format: str | None) -> None:
    """Score INPUT (a log, .gz/.zst, - for standard input, or logkit parse JSONL) with a trained model.

    One record per session or window: score, threshold, anomaly, uncertainty, routed, reason.

    \b
    Examples:
      logkit detect hdfs.log --model m -o scores.jsonl
      logkit parse - | logkit detect - --model m
      logkit detect app.log --model m --follow --idle 2m
    """
    import os

    from logkit.detect.api import RECORD_COLUMNS, load_model
    from logkit.detect.grouping import parse_duration, parse_grouping
    from logkit.detect.router import parse_budget
    from logkit.fsutil import check_not_input
    from logkit.output import open_writer, resolve_output_format

    ui = get_ui()
    check_not_input(output, [input_path])
    if follow and input_path == "-":
        raise click.UsageError("--follow takes a file path (standard input is followed anyway)")
    parse_budget(llm_budget)
    grouping = parse_grouping(session, window)
    idle_s = parse_duration(idle)
    model = load_model(model_dir, device=device)
    if device != "cpu" and model.method == "router":
        ui.warn(f"--device {device} is ignored: the router method runs on the CPU")
    url = llm_url or os.environ.get("LOGKIT_LLM_URL") or os.environ.get("OPENAI_BASE_URL")
    judge = None
    if url:
        from logkit.config import logkit_home
        from logkit.models.llm import CACHE_FILE, open_judge

        judge = open_judge(url, llm_model or os.environ.get("LOGKIT_LLM_MODEL") or "",
                           api_key=os.environ.get("OPENAI_API_KEY") or None, model_dir=model_dir,
                           cache_path=logkit_home() / CACHE_FILE)
    fmt = resolve_output_format(output_format, output)
    found = False
    interrupted = False
    streaming = follow or input_path == "-"
    scorer = model.scorer(grouping=grouping, threshold=threshold, budget=llm_budget, llm=judge,
                          batch=1 if streaming else 256, idle=idle_s if follow else None)
    records = scorer.score(input_path, format=format_spec, follow=follow)
    cols = list(RECORD_COLUMNS) + (["top"] if model.method == "graph" else [])
    with open_writer(fmt, output, columns=cols, kind="detect", flush_each=streaming) as writer:
        try:
            for rec in records:
                found = found or rec.anomaly
                writer.write(rec.to_dict())
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if judge is not None:
                judge.close()
                ui.info(judge.stats.summary())
                ui.info(scorer.stats.summary())
                for err in judge.stats.errors[:3]:
                    ui.warn(err)
            else:
                ui.verbose(scorer.stats.summary())
    if interrupted:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        sys.exit(130)
    if fail_on_anomaly and found:
        sys.exit(3)
