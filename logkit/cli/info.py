"""``logkit info``: what an archive holds: sizes per part, ratio, format version, blocks."""

from __future__ import annotations

import json
import sys

import click

__all__ = ["command"]


@click.command("info")
@click.argument("archive", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object instead of a table (the default when standard output is not a terminal).")
def command(archive: str, as_json: bool) -> None:
    """Describe ARCHIVE ('-': standard input): original and archive sizes, ratio, version, blocks, lines,
    templates, parts. A table on a terminal, one JSON object in a pipe."""
    from logkit.compress.api import archive_info

    info = archive_info(archive)
    if as_json or not _terminal():
        sys.stdout.write(json.dumps(info) + "\n")
        return
    rows = [(k, v) for k, v in info.items() if k != "parts"]
    rows += [(f"part: {k}", v) for k, v in info["parts"].items()]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        text = f"{v:.2f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v)
        sys.stdout.write(f"{k.ljust(width)}  {text}\n")


def _terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False
