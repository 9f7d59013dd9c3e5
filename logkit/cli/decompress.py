"""``logkit decompress``: the exact original bytes of a ``.lkz`` archive."""

from __future__ import annotations

import os
import sys

import click

from logkit.cli.console import get_ui

__all__ = ["command"]


@click.command("decompress")
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="Write here (default: standard output).")
@click.option("--salvage", is_flag=True,
              help="Read the finished blocks of an incomplete archive (e.g. ARCHIVE.part of a killed run).")
def command(archive: str, output: str | None, salvage: bool) -> None:
    """Write the original bytes of ARCHIVE (exact: CRLF, invalid UTF-8, no final newline, all of it).

    \b
    Examples:
      logkit decompress app.lkz > app.log
      logkit decompress app.lkz.part --salvage -o recovered.log
    """
    from logkit.compress.api import decompress_file
    from logkit.fsutil import atomic_open, check_not_input

    ui = get_ui()
    check_not_input(output, [archive])
    if output is None or output == "-":
        blocks, size = decompress_file(archive, sys.stdout.buffer, salvage=salvage)
        sys.stdout.buffer.flush()
    elif os.path.exists(output) and not os.path.isfile(output):
        # a device or pipe (/dev/null, a FIFO) is written in place: renaming a file onto it would replace it
        with open(output, "wb") as fh:
            blocks, size = decompress_file(archive, fh, salvage=salvage)
    else:
        with atomic_open(output, "wb") as fh:
            blocks, size = decompress_file(archive, fh, salvage=salvage)
    if salvage:
        ui.info(f"salvaged {blocks} finished block(s), {size:,} bytes")
