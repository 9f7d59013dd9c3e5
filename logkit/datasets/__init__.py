"""Datasets: the Loghub reader, the synthetic log generator and the data folder lookup."""

__all__: list[str] = []
