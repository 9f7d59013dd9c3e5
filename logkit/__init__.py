"""logkit: log parsing with typed variables, clustering compression and anomaly detection.

The public API is re-exported here; heavy libraries (pandas, pyarrow, torch) are never imported by
``import logkit``.

Examples
--------
>>> model = logkit.train(lines, "m", session=r"blk_-?\\d+", labels={"blk_1": 0, "blk_2": 1})
>>> for rec in logkit.load_model("m").score(more_lines):
...     print(rec.group, rec.anomaly, rec.reason)
"""

from logkit.detect.api import Model, load_model, train
from logkit.errors import LogkitError
from logkit.records import (
    DecidedBy,
    Event,
    Group,
    LogRecord,
    Param,
    ParsedLine,
    RawLine,
    Score,
    TemplateInfo,
    VarType,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "LogkitError",
    "LogRecord",
    "Param",
    "ParsedLine",
    "RawLine",
    "TemplateInfo",
    "VarType",
    "Event",
    "Group",
    "Score",
    "DecidedBy",
    "Model",
    "load_model",
    "train",
]
