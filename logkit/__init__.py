"""logkit: log parsing with typed variables, clustering compression and anomaly detection.

The public API is re-exported here; heavy libraries (pandas, pyarrow, torch) are never imported by
``import logkit``, and detection (``Model``, ``load_model``, ``train``) is imported when first used.

Examples
--------
>>> model = logkit.train(lines, "m", session=r"blk_-?\\d+", labels={"blk_1": 0, "blk_2": 1})
>>> for rec in logkit.load_model("m").score(more_lines):
...     print(rec.group, rec.anomaly, rec.reason)
"""

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from logkit.detect.api import Model, load_model, train

__version__ = "0.1.0"

_DETECT = ("Model", "load_model", "train")  # imported on first use: every command starts without detection


def __getattr__(name: str) -> Any:
    if name in _DETECT:
        from logkit.detect import api

        return getattr(api, name)
    raise AttributeError(f"module 'logkit' has no attribute {name!r}")

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
