"""``logkit compress``: a log file (or standard input) into a ``.lkz`` archive."""

from __future__ import annotations

import click

from logkit.cli.console import get_ui
from logkit.cli.options import format_option

__all__ = ["command"]


@click.command("compress")
@click.argument("input_path", metavar="INPUT")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="Archive path (default INPUT.lkz; needed for standard input; - is standard output).")
@click.option("-f", "--force", is_flag=True, help="Replace an existing archive.")
@format_option
def command(input_path: str, output: str | None, force: bool, format_spec: str) -> None:
    """Compress INPUT (a file, .gz/.zst, or - for standard input) into a lossless .lkz archive.

    Lines are stored as templates plus typed columns; blocks are appended as they fill, and the
    finished archive is renamed into place (a killed run leaves ARCHIVE.part, readable with
    'logkit decompress --salvage'). Standard input closes a block at least every 3 seconds while lines
    come; Ctrl-C (or SIGTERM) finishes the archive with every line read and exits 130. An existing
    archive is replaced only with --force.

    \b
    Examples:
      logkit compress app.log                 # writes app.log.lkz
      tail -f app.log | logkit compress - -o app.lkz
      logkit compress app.log -o - | ssh host 'cat > app.lkz'
    """
    from logkit.compress.api import compress_file

    res = compress_file(input_path, output, format_spec=format_spec, force=force)
    get_ui().info(
        f"{res.archive}: {res.raw_bytes:,} -> {res.archive_bytes:,} bytes (ratio {res.ratio:.1f}),"
        f" {res.lines:,} lines in {res.blocks} block(s)" + (" (interrupted: every line read is in it)"
                                                             if res.interrupted else "")
    )
    if res.interrupted:
        raise SystemExit(130)
