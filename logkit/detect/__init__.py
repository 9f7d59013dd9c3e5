"""Anomaly detection: grouping lines into sessions and windows, features, routing to the LLM."""

__all__: list[str] = []
