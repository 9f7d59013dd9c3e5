"""The clustering compressor: templates plus typed variable columns in a checksummed container."""

from logkit.compress.api import CompressResult, archive_info, compress_file, decompress_file
from logkit.compress.archive import ArchiveWriter, compress_bytes, decompress_bytes, iter_blocks
from logkit.compress.query import GrepHit, grep_archive

__all__ = [
    "ArchiveWriter",
    "CompressResult",
    "GrepHit",
    "archive_info",
    "compress_bytes",
    "compress_file",
    "decompress_bytes",
    "decompress_file",
    "grep_archive",
    "iter_blocks",
]
