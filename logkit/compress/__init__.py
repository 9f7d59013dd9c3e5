"""The clustering compressor: templates plus typed variable columns in a checksummed container.

Names are imported on first use, so ``logkit decompress`` loads only what decoding needs.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "ArchiveWriter": "archive",
    "compress_bytes": "archive",
    "decompress_bytes": "archive",
    "iter_blocks": "archive",
    "CompressResult": "api",
    "archive_info": "api",
    "compress_file": "api",
    "decompress_file": "api",
    "GrepHit": "query",
    "grep_archive": "query",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'logkit.compress' has no attribute {name!r}")
    return getattr(import_module(f"logkit.compress.{_WHERE[name]}"), name)
