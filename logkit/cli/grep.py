"""``logkit grep``: grep for logs and archives (archives without decompressing what cannot match)."""

from __future__ import annotations

import sys

import click

from logkit.cli.console import get_ui

__all__ = ["command"]


@click.command("grep")
@click.argument("pattern")
@click.argument("inputs", nargs=-1, metavar="INPUT...")
@click.option("-E", "--extended-regexp", "extended", is_flag=True,
              help="PATTERN is an extended regex (the default).")
@click.option("-F", "--fixed-strings", "fixed", is_flag=True, help="PATTERN is a fixed string.")
@click.option("-i", "--ignore-case", "ignore_case", is_flag=True, help="Ignore case (ASCII letters).")
@click.option("-v", "--invert-match", "invert", is_flag=True, help="Select the lines that do not match.")
@click.option("-w", "--word-regexp", "word", is_flag=True, help="Match whole words only.")
@click.option("-o", "--only-matching", "only", is_flag=True, help="Print only the matched parts, one a line.")
@click.option("-l", "--files-with-matches", "names", is_flag=True, help="Print only the names of inputs that match.")
@click.option("-c", "--count", "count", is_flag=True, help="Print only the number of selected lines.")
@click.option("-n", "--line-number", "line_number", is_flag=True, help="Prefix each line with its number.")
@click.option("-q", "--quiet", "silent", is_flag=True, help="Print nothing; the exit code says whether a line matched.")
@click.option("-A", "--after-context", "after", type=click.IntRange(0), default=0, metavar="N",
              help="Print N lines after each selected line.")
@click.option("-B", "--before-context", "before", type=click.IntRange(0), default=0, metavar="N",
              help="Print N lines before each selected line.")
@click.option("-C", "--context", "context", type=click.IntRange(0), default=None, metavar="N",
              help="Print N lines before and after each selected line.")
def command(pattern: str, inputs: tuple[str, ...], extended: bool, fixed: bool, ignore_case: bool, invert: bool,
            word: bool, only: bool, names: bool, count: bool, line_number: bool, silent: bool, after: int,
            before: int, context: int | None) -> None:
    """Print the lines of INPUT... matching PATTERN, as grep -E does; '-' or no INPUT reads standard input.

    INPUT may be a .lkz archive (templates and columns that cannot match are skipped without being
    decompressed), a plain, .gz or .zst log, or '-'. Exit code 0 when a line was selected, 1 when none
    was, 2 on an error (like grep). After 'grep', -v inverts the match: write 'logkit -v grep ...' or
    --verbose for logkit's own verbosity.

    \b
    Examples:
      logkit grep 'Exception' app.lkz
      logkit grep -c -F 'blk_-1608999687919862906' hdfs.lkz
      logkit grep -w -C 2 -n ERROR app.log.gz
      tail -f app.log | logkit grep -v DEBUG -
    """
    from logkit.compress.grep import GrepOptions, LineKind, grep_input
    from logkit.errors import LogkitError

    if extended and fixed:
        raise click.UsageError("-E and -F exclude each other; give one")
    if context is not None:
        after = after or context
        before = before or context
    options = GrepOptions(pattern, fixed=fixed, ignore_case=ignore_case, invert=invert, word=word,
                          after=after, before=before)
    regex = options.regex()  # a bad pattern: a UsageError, exit 2
    sources = inputs or ("-",)
    out = sys.stdout.buffer
    multi = len(sources) > 1
    found = 0
    failed = False
    for path in sources:
        name = "(standard input)" if path == "-" else path
        prefix = name.encode("utf-8", "surrogateescape") if multi else b""
        stream = path == "-"
        n = 0
        try:
            for hit in grep_input(path, options):
                if hit.kind is LineKind.MATCH:
                    n += 1
                if silent:
                    if n:
                        break
                    continue
                if names:
                    if n:
                        out.write(name.encode("utf-8", "surrogateescape") + b"\n")
                        break
                    continue
                if count:
                    continue
                if hit.kind is LineKind.BREAK:
                    out.write(b"--\n")
                    continue
                sep = hit.kind.value.encode()
                head = (prefix + sep if prefix else b"") + (b"%d" % hit.line_no + sep if line_number else b"")
                if only:
                    if hit.kind is LineKind.MATCH and not invert:
                        for m in regex.finditer(hit.line):
                            if m.end() > m.start():
                                out.write(head + m.group() + b"\n")
                else:
                    out.write(head + hit.line + b"\n")
                if stream:
                    out.flush()
        except LogkitError as exc:  # like grep: say so, go on with the other inputs, exit 2 at the end
            get_ui().error(exc.message)
            failed = True
            continue
        if count and not silent and not names:
            out.write((prefix + b":" if prefix else b"") + b"%d\n" % n)
        found += n
        if silent and found:
            break
    out.flush()
    if failed and not (silent and found):
        raise SystemExit(2)
    if not found:
        raise SystemExit(1)
