"""``logkit grep``: matching lines of archives without decompressing what cannot match."""

from __future__ import annotations

import sys

import click

__all__ = ["command"]


@click.command("grep")
@click.argument("pattern")
@click.argument("archives", nargs=-1, required=True, metavar="ARCHIVE...")
@click.option("-E", "--extended-regexp", "extended", is_flag=True,
              help="PATTERN is an extended regex (the default).")
@click.option("-F", "--fixed-strings", "fixed", is_flag=True, help="PATTERN is a fixed string.")
@click.option("-i", "--ignore-case", "ignore_case", is_flag=True, help="Ignore case (ASCII letters).")
@click.option("-c", "--count", "count", is_flag=True, help="Print only the number of matching lines.")
@click.option("-n", "--line-number", "line_number", is_flag=True, help="Prefix each line with its number.")
def command(pattern: str, archives: tuple[str, ...], extended: bool, fixed: bool, ignore_case: bool,
            count: bool, line_number: bool) -> None:
    """Print the lines of ARCHIVE... matching PATTERN, as 'logkit decompress ARCHIVE | grep -E PATTERN'.

    Templates and columns that cannot match are skipped without being decompressed.
    Exit code 1 (without a message) when nothing matched, like grep.

    \b
    Examples:
      logkit grep 'Exception' app.lkz
      logkit grep -c -F 'blk_-1608999687919862906' hdfs.lkz
    """
    from logkit.compress.query import grep_archive

    if extended and fixed:
        raise click.UsageError("-E and -F exclude each other; give one")
    out = sys.stdout.buffer
    multi = len(archives) > 1
    found = 0
    for archive in archives:
        prefix = archive.encode("utf-8", "surrogateescape") + b":" if multi else b""
        n = 0
        for hit in grep_archive(archive, pattern, fixed=fixed, ignore_case=ignore_case):
            n += 1
            if not count:
                num = b"%d:" % hit.line_no if line_number else b""
                out.write(prefix + num + hit.line + b"\n")
        if count:
            out.write(prefix + b"%d\n" % n)
        found += n
    out.flush()
    if not found:
        raise SystemExit(1)
