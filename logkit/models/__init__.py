"""Detectors behind one estimator contract (the small model, the LLM client, the graph model)."""

__all__: list[str] = []
