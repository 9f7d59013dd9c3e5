"""Parsing: raw log lines to templates with typed variables (sources, formats, miner, typing)."""
