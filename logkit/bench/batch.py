"""``logkit bench batch``: lines/s of ``logkit batch`` with 1 and 2 local workers, and peak memory per worker.

The input is ``$LOGKIT_DATA/compress/*.log`` copied over and over into a temporary folder until it holds at
least ``--mb`` megabytes (default 200); the folder and the outputs are deleted afterwards.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from logkit.bench.targets import Target

SPEEDUP_TARGET = 1.7  # --workers 2 over --workers 1 (DESIGN.md: batch scales with the workers)

__all__ = ["make_inputs", "bench_batch", "batch_targets", "SPEEDUP_TARGET"]


def make_inputs(files: list[str], folder: Path, min_bytes: int) -> tuple[int, int]:
    """Copy ``files`` round after round into ``folder`` (``r03_Apache.log``, ...) until ``min_bytes`` are
    there; returns ``(files written, bytes)``."""
    total = count = 0
    rnd = 0
    while total < min_bytes:
        for f in files:
            dest = folder / f"r{rnd:03d}_{os.path.basename(f)}"
            shutil.copyfile(f, dest)
            total += dest.stat().st_size
            count += 1
        rnd += 1
        if not files:
            break
    return count, total


def _cpu_children() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _one(stage: str, folder: Path, out: Path, workers: int) -> dict[str, Any]:
    from logkit.pipeline.batch import run_batch

    cpu0 = _cpu_children()
    t0 = time.perf_counter()
    res = run_batch(stage, [str(folder)], out, workers=workers, force=True)
    wall = time.perf_counter() - t0
    cpu = _cpu_children() - cpu0  # the pool's processes have exited: their CPU time is counted
    done = [e for e in res.entries if e["status"] == "done"]
    lines = sum(e["metrics"].get("lines", 0) for e in done)
    size = sum(e["metrics"].get("bytes", 0) for e in done)
    rss: dict[int, float] = {}
    for e in done:
        pid = e["metrics"]["pid"]
        rss[pid] = max(rss.get(pid, 0.0), e["metrics"]["peak_rss_mb"])
    return {"workers": workers, "inputs": len(res.entries), "failed": res.count("failed"), "lines": lines,
            "bytes": size, "seconds": round(wall, 2), "lines_per_s": round(lines / wall, 1) if wall else 0.0,
            "mb_per_s": round(size / 1e6 / wall, 2) if wall else 0.0, "worker_cpu_seconds": round(cpu, 2),
            "peak_rss_mb_per_worker": sorted(rss.values(), reverse=True)}


def bench_batch(files: list[str], *, stage: str = "parse", min_mb: float = 200.0,
                workers: tuple[int, ...] = (1, 2)) -> dict[str, Any]:
    """Time ``logkit batch STAGE`` over ``files`` repeated to ``min_mb`` MB with each worker count.

    Returns the rows (lines/s, MB/s, CPU seconds of the workers, peak RSS per worker process), the size of
    the largest input (read the peak RSS against it: bounded memory does not grow with it) and ``speedup``:
    the lines/s of the last worker count over the first. On a busy machine the speed-up says little; equal
    worker CPU seconds across rows show that the work itself does not grow with workers.
    """
    with tempfile.TemporaryDirectory(prefix="logkit-bench-batch-") as tmp:
        root = Path(tmp)
        inputs = root / "inputs"
        inputs.mkdir()
        n, size = make_inputs(files, inputs, int(min_mb * 1e6))
        rows = []
        for w in workers:
            out = root / f"out{w}"
            rows.append(_one(stage, inputs, out, w))
            shutil.rmtree(out, ignore_errors=True)
    first, last = rows[0]["lines_per_s"], rows[-1]["lines_per_s"]
    largest = max((os.path.getsize(f) for f in files), default=0)  # peak RSS is read against this
    return {"stage": stage, "files": n, "bytes": size, "largest_input_bytes": largest, "cpus": os.cpu_count(),
            "rows": rows, "speedup": round(last / first, 3) if first else 0.0}


def batch_targets(result: dict[str, Any]) -> list[Target]:
    """The measured targets of a batch benchmark: the speed-up of two workers over one, and no failed input."""
    failed = sum(int(r.get("failed") or 0) for r in result.get("rows", []))
    return [Target("batch speed-up --workers 2 / 1", float(result.get("speedup") or 0.0), SPEEDUP_TARGET, unit="x"),
            Target("batch failed inputs", float(failed), 0.0, at_most=True)]
