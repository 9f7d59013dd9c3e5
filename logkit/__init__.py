"""logkit: log parsing with typed variables, clustering compression and anomaly detection.

The public API is re-exported here; heavy libraries (pandas, pyarrow, torch) are never imported by
``import logkit``.
"""

from logkit.errors import LogkitError
from logkit.records import LogRecord, Param, ParsedLine, RawLine, TemplateInfo, VarType

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
]
