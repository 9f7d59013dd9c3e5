"""Parsing: raw log lines to templates with typed variables (sources, formats, miner, typing)."""

from logkit.parse.api import (
    Parser,
    ParseStats,
    Source,
    is_state_file,
    load_state,
    parse,
    parse_lines,
    template_id,
    to_record,
)

__all__ = [
    "Parser",
    "ParseStats",
    "Source",
    "is_state_file",
    "load_state",
    "parse",
    "parse_lines",
    "template_id",
    "to_record",
]
