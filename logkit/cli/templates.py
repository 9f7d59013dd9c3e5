"""``logkit templates``: the templates of a log or of a parse state, with counts, share and an example."""

from __future__ import annotations

import click

from logkit.cli.console import get_ui
from logkit.cli.options import format_option, output_options

__all__ = ["command"]


@click.command("templates")
@click.argument("input_path", metavar="INPUT|ARCHIVE|STATE")
@click.option("--sort", type=click.Choice(["count", "id"]), default="count", show_default=True,
              help="Most frequent first, or by template id.")
@format_option
@click.option("--multiline", is_flag=True,
              help="Lines that do not begin with the header join the record before them (stack traces).")
@output_options
def command(input_path: str, sort: str, format_spec: str, multiline: bool, output: str | None,
            output_format: str | None) -> None:
    """List the templates of INPUT (a log, .gz/.zst, or -), ARCHIVE (.lkz) or STATE (`logkit parse --state`).

    One record per template: template_id, template, count, share (of all lines) and an example.

    \b
    Examples:
      logkit templates app.log
      logkit templates app.lkz
      logkit templates app.state.json --sort id -o templates.csv
      zcat app.log.gz | logkit templates - --output-format jsonl
    """
    import os

    from logkit.compress.api import archive_summary, is_archive
    from logkit.fsutil import check_not_input
    from logkit.output import open_writer, resolve_output_format
    from logkit.parse.summary import TEMPLATE_COLUMNS, template_records, templates_of

    ui = get_ui()
    check_not_input(output, [input_path])
    if input_path.endswith(".lkz") and os.path.isfile(input_path) and not is_archive(input_path):
        # a damaged .lkz file: an archive error, not a log of one line
        summary = archive_summary(input_path)
    else:  # a log, or an archive read as the log it holds: the parser's templates and ids either way
        summary = templates_of(input_path, format=format_spec, multiline=multiline)
    if summary.format_reason:
        ui.verbose(f"format: {summary.format_reason}")
    fmt = resolve_output_format(output_format, output)
    with open_writer(fmt, output, columns=TEMPLATE_COLUMNS, kind="templates") as writer:
        for rec in template_records(summary, sort=sort):
            writer.write(rec)
    ui.verbose(f"{len(summary.templates)} templates over {summary.total} lines (from a {summary.kind})")
