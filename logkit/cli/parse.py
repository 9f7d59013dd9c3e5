"""``logkit parse``: raw log lines to templates with typed variables (records of DESIGN.md section 3.2)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Any

import click

from logkit.cli.console import get_ui
from logkit.cli.options import format_option, output_options

__all__ = ["command"]


@click.command("parse")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@format_option
@click.option("--state", type=click.Path(dir_okay=False), default=None,
              help="Template state JSON: loaded if it exists, saved at the end (ids stay stable).")
@click.option("--follow", is_flag=True, help="Keep reading the file as it grows, like tail -F.")
@click.option("--keep", default="", metavar="TYPES",
              help="Keep values of these variable types in the template text, e.g. STC or STC,LOI.")
@click.option("--multiline", is_flag=True,
              help="Lines that do not begin with the header join the record before them (stack traces).")
@click.option("--encoding", default=None, metavar="NAME",
              help="Decode every line with this codec (default: UTF-8 where a line is valid UTF-8, else cp1252).")
@output_options
def command(inputs: tuple[str, ...], format_spec: str, state: str | None, follow: bool, keep: str,
            multiline: bool, encoding: str | None, output: str | None, output_format: str | None) -> None:
    """Parse INPUT... (files, .gz/.zst, or - for standard input) into one record per line.

    Each record has the line's template (variables written <*>), its template id, and its variables
    with their types (OID, LOI, OBN, TID, SID, TDA, CRS, OBA, STC, OTP).

    \b
    Examples:
      logkit parse app.log -o app.jsonl
      logkit parse app.log --format '<Date> <Time> <Level> <Component>: <Content>'
      tail -f app.log | logkit parse - --format auto
      logkit parse app.log --follow --state app.state.json
    """
    from logkit.cli import acyclic_work
    from logkit.fsutil import check_not_input
    from logkit.output import JsonlWriter, open_writer, resolve_output_format
    from logkit.parse.api import RECORD_COLUMNS, Parser, Source, to_record
    from logkit.parse.emit import record_maker
    from logkit.parse.formats import quoted_spec
    from logkit.parse.sources import input_bytes, is_log_archive, looks_binary, open_binary

    ui = get_ui()
    if follow and (len(inputs) != 1 or inputs[0] == "-"):
        raise click.UsageError("--follow takes exactly one file path (standard input is followed anyway)")
    parser = Parser(format=format_spec, keep=keep, multiline=multiline, state=state, encoding=encoding)
    total = input_bytes(inputs) if not follow else None
    for path in inputs:
        if path != "-" and not is_log_archive(path):
            with open_binary(path) as fh:
                if looks_binary(fh.read(8192)):
                    ui.warn(f"{path} looks like a binary file; parsing it line by line anyway")
    streaming = follow or inputs == ("-",)
    source = Source.follow(inputs[0]) if follow else Source.paths(list(inputs))
    check_not_input(output, inputs)
    fmt = resolve_output_format(output_format, output)
    interrupted = False
    show_bar = not streaming and total is not None and total >= 8 * 2**20  # a bar for files worth waiting on
    passes = 1 if parser.trained else 2  # a parser with a --state reads each file once
    bar = ui.bytes_progress(passes * total if show_bar and total else None, "parsing")
    columns = list(RECORD_COLUMNS)
    try:
        with acyclic_work(), bar as update, \
                open_writer(fmt, output, columns=columns, kind="parse", flush_each=streaming) as writer:
            if show_bar:
                parser.progress = update
            blocks: Iterator[list[Any]]
            if isinstance(writer, JsonlWriter):  # records as JSON text, a block at a time (a stream's as read)
                put: Callable[[list[Any]], None] = writer.write_json_lines
                blocks = parser.parse_blocks(source, writer.parse_maker())
            else:
                put = writer.write_many
                blocks = ([to_record(p) for p in block] for block in parser.parse_blocks(source, record_maker))
            first = True
            try:
                for block in blocks:
                    if first:
                        ui.verbose(f"format: {parser.format_reason}")
                        first = False
                    put(block)
            except KeyboardInterrupt:  # what was written so far is kept and stays valid
                interrupted = True
    finally:
        if state is not None:
            parser.save_state(state)
    st = parser.stats
    if st.unmatched:
        ui.warn(
            f"{st.unmatched} of {st.lines} lines did not match the header format "
            f"{quoted_spec(st.format_spec)}; "
            "they were kept whole as their content"
        )
    ui.verbose(f"{st.lines} lines, {len(parser.templates())} templates")
    if interrupted:
        sys.exit(130)
