"""``logkit bench compress``: logkit's archive against xz -9e and zstd -19 --long on whole log files."""

from __future__ import annotations

import glob
import math
import os
import time
from pathlib import Path
from typing import Any

from logkit.errors import InputError

__all__ = ["default_files", "rare_word", "bench_file", "run_bench", "render"]


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


def rare_word(data: bytes, most: float = 0.01) -> bytes | None:
    """A word of 4+ letters on the most lines among those on fewer than ``most`` of the lines (the rare
    pattern of the grep speed-up; ``None`` when there is none)."""
    import re
    from collections import Counter

    lines = data.split(b"\n")
    words = re.compile(rb"[A-Za-z]{4,}")
    counts = Counter(w for line in lines for w in set(words.findall(line)))
    limit = most * len(lines)
    rare = [(n, w) for w, n in counts.items() if n < limit]
    return max(rare)[1] if rare else None


def _child_cpu(cmd: str) -> float:
    """CPU seconds (user + system) of a shell command's processes (standard output discarded)."""
    import resource
    import subprocess
    import sys

    def used() -> float:
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime

    before = used()
    subprocess.run(["sh", "-c", cmd], stdout=subprocess.DEVNULL, check=False,
                   env={**os.environ, "PYTHON": sys.executable})
    return used() - before


def _grep_speedup(path: str, archive: bytes, data: bytes, word: bytes) -> dict[str, Any]:
    """Grep of ``word`` inside the archive against decompress + regex scan: in this process, and as whole
    processes (``logkit grep W A`` against ``logkit decompress A | grep -E W``, CPU seconds)."""
    import re
    import shlex
    import tempfile

    from logkit.compress.archive import decompress_bytes
    from logkit.compress.query import grep_archive

    regex = re.compile(word)
    hits, t_g = _timed(lambda: sum(1 for _ in grep_archive(path, word.decode(), data=archive)))
    full, t_f = _timed(lambda: sum(1 for line in decompress_bytes(archive).split(b"\n") if regex.search(line)))
    row: dict[str, Any] = {"grep_word": word.decode(), "grep_hits": hits, "grep_exact": hits == full,
                           "grep_speedup": t_f / t_g if t_g else 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        arch = os.path.join(tmp, "a.lkz")
        Path(arch).write_bytes(archive)
        logkit = '"$PYTHON" -m logkit'
        q = shlex.quote(word.decode())
        t_grep = _child_cpu(f"{logkit} grep {q} {arch}")
        t_pipe = _child_cpu(f"{logkit} decompress {arch} | grep -E {q}")
        t_dec = _child_cpu(f"{logkit} decompress {arch} -o /dev/null")
    row["grep_speedup_proc"] = t_pipe / t_grep if t_grep else 0.0
    row["decompress_mb_s_proc"] = len(data) / 1e6 / t_dec if t_dec else 0.0
    return row


def bench_file(path: str) -> dict[str, Any]:
    """One row: sizes, ratios (logkit, xz -9e, zstd -19 --long=27), logkit MB/s both ways (in this
    process, and decompression as a whole process), exactness, and the grep speed-up on a rare word."""
    import lzma

    import zstandard

    from logkit.compress.archive import compress_bytes, decompress_bytes

    data = Path(path).read_bytes()
    if not data:
        raise InputError(f"{path} is empty: nothing to measure; give log files with lines in them")
    mb = len(data) / 1e6
    archive, t_c = _timed(compress_bytes, data)
    back, t_d = _timed(decompress_bytes, archive)
    xz = lzma.compress(data, preset=9 | lzma.PRESET_EXTREME)
    params = zstandard.ZstdCompressionParameters.from_level(19, window_log=27, enable_ldm=True)
    zst = zstandard.ZstdCompressor(compression_params=params).compress(data)
    size = max(len(data), 1)
    word = rare_word(data)
    grep = _grep_speedup(path, archive, data, word) if word else {}
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
        **grep,
    }


def run_bench(files: list[str] | None = None, data: str | None = None) -> list[dict[str, Any]]:
    """Benchmark every file (default :func:`default_files`); the last row is the geometric mean."""
    paths = list(files) if files else default_files(data)
    rows = [bench_file(p) for p in paths]
    if rows:
        def gmean(key: str) -> float:
            if any(r[key] <= 0 for r in rows):  # a rate too fast to time: no mean
                return 0.0
            return math.exp(sum(math.log(r[key]) for r in rows) / len(rows))

        rows.append({
            "file": "geometric mean",
            "bytes": sum(r["bytes"] for r in rows),
            "logkit_bytes": sum(r["logkit_bytes"] for r in rows),
            **{k: gmean(k) for k in ("logkit", "xz_9e", "zstd_19_long", "vs_xz", "compress_mb_s",
                                     "decompress_mb_s")},
            **{k: gmean(k) for k in ("decompress_mb_s_proc", "grep_speedup", "grep_speedup_proc")
               if all(r.get(k) for r in rows)},
            "exact": all(r["exact"] and r.get("grep_exact", True) for r in rows),
        })
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    """A plain-text table of :func:`run_bench` rows."""
    head = ["file", "bytes", "logkit", "xz -9e", "zstd -19", "vs xz", "comp MB/s", "decomp MB/s",
            "decomp proc", "grep x", "grep x proc", "exact"]
    lines = [head]

    def opt(r: dict[str, Any], key: str, suffix: str = "") -> str:
        return f"{r[key]:.1f}{suffix}" if r.get(key) else "-"

    for r in rows:
        lines.append([
            r["file"], f"{r['bytes']:,}", f"{r['logkit']:.1f}", f"{r['xz_9e']:.1f}",
            f"{r['zstd_19_long']:.1f}",
            f"{r['vs_xz']:.2f}x", f"{r['compress_mb_s']:.1f}", f"{r['decompress_mb_s']:.1f}",
            opt(r, "decompress_mb_s_proc"), opt(r, "grep_speedup", "x"), opt(r, "grep_speedup_proc", "x"),
            "yes" if r["exact"] and r.get("grep_exact", True) else "NO",
        ])
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    out = []
    for row in lines:
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in pairs]
        out.append("  ".join(cells))
    return "\n".join(out)
