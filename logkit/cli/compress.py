"""``logkit compress``: a log file (or standard input) into a ``.lkz`` archive."""

from __future__ import annotations

import click

from logkit.cli.console import get_ui
from logkit.cli.options import format_option

__all__ = ["command"]


@click.command("compress")
@click.argument("input_path", metavar="INPUT")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), default=None,
              help="Archive path (default INPUT.lkz; needed for standard input).")
@format_option
def command(input_path: str, output: str | None, format_spec: str) -> None:
    """Compress INPUT (a file, .gz/.zst, or - for standard input) into a lossless .lkz archive.

    Lines are stored as templates plus typed columns; blocks are appended as they fill, and the
    finished archive is renamed into place (a killed run leaves ARCHIVE.part, readable with
    'logkit decompress --salvage').

    \b
    Examples:
      logkit compress app.log                 # writes app.log.lkz
      tail -f app.log | logkit compress - -o app.lkz
    """
    from logkit.compress.api import compress_file

    res = compress_file(input_path, output, format_spec=format_spec)
    get_ui().info(
        f"{res.archive}: {res.raw_bytes:,} -> {res.archive_bytes:,} bytes (ratio {res.ratio:.1f}),"
        f" {res.lines:,} lines in {res.blocks} block(s)"
    )
