"""``logkit info``: what an archive holds: sizes per part, ratio, format version, blocks."""

from __future__ import annotations

import json
import sys

import click

__all__ = ["command"]


@click.command("info")
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def command(archive: str, as_json: bool) -> None:
    """Describe ARCHIVE: original and archive sizes, ratio, version, blocks, lines, templates, parts."""
    from logkit.compress.api import archive_info

    info = archive_info(archive)
    if as_json:
        sys.stdout.write(json.dumps(info) + "\n")
        return
    rows = [(k, v) for k, v in info.items() if k != "parts"]
    rows += [(f"part: {k}", v) for k, v in info["parts"].items()]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        text = f"{v:.2f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v)
        sys.stdout.write(f"{k.ljust(width)}  {text}\n")
