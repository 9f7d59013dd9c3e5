"""Datasets: the Loghub reader, the synthetic log generator and the data folder lookup."""

from logkit.datasets.home import data_home
from logkit.datasets.loghub import LoghubDataset, list_loghub, load_loghub
from logkit.datasets.synthetic import (
    ANOMALY_KINDS,
    Anomaly,
    GeneratedFile,
    GeneratedLog,
    generate,
    iter_synthetic_lines,
)

__all__ = [
    "data_home",
    "LoghubDataset",
    "list_loghub",
    "load_loghub",
    "ANOMALY_KINDS",
    "Anomaly",
    "GeneratedFile",
    "GeneratedLog",
    "generate",
    "iter_synthetic_lines",
]
