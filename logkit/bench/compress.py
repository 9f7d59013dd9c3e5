"""``logkit bench compress``: logkit's archive against xz -9e and zstd -19 --long on whole log files."""

from __future__ import annotations

import glob
import math
import os
import time
from pathlib import Path
from typing import Any

import click

from logkit.errors import InputError

__all__ = ["default_files", "bench_file", "run_bench", "render", "command"]


def default_files(data: str | None = None) -> list[str]:
    """``$LOGKIT_DATA/compress/*.log`` (or ``DATA/compress/*.log``)."""
    root = data or os.environ.get("LOGKIT_DATA")
    if not root:
        raise InputError("no files given and LOGKIT_DATA is not set; give FILE... or set LOGKIT_DATA")
    files = sorted(glob.glob(os.path.join(root, "compress", "*.log")))
    if not files:
        raise InputError(f"no {root}/compress/*.log files; give FILE... or fix LOGKIT_DATA")
    return files


def _timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def bench_file(path: str) -> dict[str, Any]:
    """One row: sizes, ratios (logkit, xz -9e, zstd -19 --long=27), logkit MB/s both ways, exactness."""
    import lzma

    import zstandard

    from logkit.compress.archive import compress_bytes, decompress_bytes

    data = Path(path).read_bytes()
    mb = len(data) / 1e6
    archive, t_c = _timed(compress_bytes, data)
    back, t_d = _timed(decompress_bytes, archive)
    xz = lzma.compress(data, preset=9 | lzma.PRESET_EXTREME)
    params = zstandard.ZstdCompressionParameters.from_level(19, window_log=27, enable_ldm=True)
    zst = zstandard.ZstdCompressor(compression_params=params).compress(data)
    size = max(len(data), 1)
    return {
        "file": os.path.basename(path),
        "bytes": len(data),
        "logkit_bytes": len(archive),
        "logkit": size / len(archive),
        "xz_9e": size / len(xz),
        "zstd_19_long": size / len(zst),
        "vs_xz": len(xz) / len(archive),
        "compress_mb_s": mb / t_c if t_c else 0.0,
        "decompress_mb_s": mb / t_d if t_d else 0.0,
        "exact": back == data,
    }


def run_bench(files: list[str] | None = None, data: str | None = None) -> list[dict[str, Any]]:
    """Benchmark every file (default :func:`default_files`); the last row is the geometric mean."""
    paths = list(files) if files else default_files(data)
    rows = [bench_file(p) for p in paths]
    if rows:
        def gmean(key: str) -> float:
            return math.exp(sum(math.log(r[key]) for r in rows) / len(rows))

        rows.append({
            "file": "geometric mean",
            "bytes": sum(r["bytes"] for r in rows),
            "logkit_bytes": sum(r["logkit_bytes"] for r in rows),
            **{k: gmean(k) for k in ("logkit", "xz_9e", "zstd_19_long", "vs_xz", "compress_mb_s",
                                     "decompress_mb_s")},
            "exact": all(r["exact"] for r in rows),
        })
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    """A plain-text table of :func:`run_bench` rows."""
    head = ["file", "bytes", "logkit", "xz -9e", "zstd -19", "vs xz", "comp MB/s", "decomp MB/s", "exact"]
    lines = [head]
    for r in rows:
        lines.append([
            r["file"], f"{r['bytes']:,}", f"{r['logkit']:.1f}", f"{r['xz_9e']:.1f}",
            f"{r['zstd_19_long']:.1f}",
            f"{r['vs_xz']:.2f}x", f"{r['compress_mb_s']:.1f}", f"{r['decompress_mb_s']:.1f}",
            "yes" if r["exact"] else "NO",
        ])
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    out = []
    for row in lines:
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in pairs]
        out.append("  ".join(cells))
    return "\n".join(out)


@click.command("compress")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object per file (and the mean) instead of a table.")
def command(files: tuple[str, ...], as_json: bool) -> None:
    """Ratio and speed of logkit against xz -9e and zstd -19 --long on FILE... (default
    $LOGKIT_DATA/compress/*.log), with a byte-exact round-trip check."""
    import json
    import sys

    rows = run_bench(list(files) or None)
    if as_json:
        for r in rows:
            sys.stdout.write(json.dumps(r) + "\n")
    else:
        sys.stdout.write(render(rows) + "\n")
