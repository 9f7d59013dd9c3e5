"""Options shared by several verbs: output (-o, --output-format) and input format (--format)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["output_options", "format_option", "OUTPUT_FORMATS"]

F = TypeVar("F", bound=Callable[..., Any])
OUTPUT_FORMATS = ["table", "jsonl", "csv", "parquet"]


def output_options(func: F) -> F:
    """``-o PATH`` and ``--output-format`` (default from the extension, else table/jsonl by terminal)."""
    func = click.option(
        "--output-format",
        type=click.Choice(OUTPUT_FORMATS),
        default=None,
        help="Output kind; default from the -o extension, else a table on a terminal and JSONL in a pipe.",
    )(func)
    func = click.option(
        "-o",
        "--output",
        "output",
        type=click.Path(dir_okay=False, writable=True, allow_dash=True),
        default=None,
        help="Write data here (default: standard output).",
    )(func)
    return func


def format_option(func: F) -> F:
    """``--format SPEC|auto|none``: the header format in the Loghub notation."""
    return click.option(
        "--format",
        "format_spec",
        default="auto",
        show_default=True,
        metavar="SPEC|auto|none",
        help="Header format, e.g. '<Date> <Time> <Level> <Component>: <Content>'; auto detects it "
        "(-v says what it chose); none makes the whole line the content.",
    )(func)
