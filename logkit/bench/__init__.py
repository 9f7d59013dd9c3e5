"""Benchmarks behind ``logkit bench``: logkit and its baselines measured in the same process."""

__all__: list[str] = []
