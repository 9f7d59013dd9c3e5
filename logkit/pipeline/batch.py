"""Batch jobs: one task per input, run in a local process pool or on a Dask cluster (the same task function).

Stages: ``parse`` (Parquet dataset ``OUT/parsed``), ``compress`` (``OUT/<name>.lkz``), ``detect`` (Parquet
dataset ``OUT/scores``) and ``run`` (all of them from one pass). Per-input templates go to
``OUT/templates/source=<name>/``. Template ids are hashes of the final template text, so outputs of
different inputs, workers and machines join on ``template_id``. ``OUT/manifest.json`` makes re-runs
idempotent.
"""

from __future__ import annotations

import contextlib
import glob
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logkit.errors import DependencyError, InputError, LogkitError, StateError, UsageError
from logkit.fsutil import make_folder
from logkit.pipeline.manifest import Manifest, content_hash, expand_inputs, output_names

__all__ = ["STAGES", "TaskSpec", "BatchResult", "BatchFailed", "run_task", "run_batch"]

STAGES = ("parse", "compress", "detect", "run")
DASK_MISSING = "--scheduler needs Dask: pip install 'logkit[dask]'"


class BatchFailed(LogkitError):
    """Some inputs of a batch job failed (exit code 4); each is in the manifest."""

    exit_code = 4


@dataclass(frozen=True)
class TaskSpec:
    """Everything a worker needs for one input (plain values: it travels to other processes and machines)."""

    stage: str
    path: str  # absolute: workers on other machines (a shared file system) or folders read it as it is
    name: str
    out_dir: str
    given: str = ""  # the path as the user gave it (reported in the manifest and in ``resource``)
    format: str | None = None
    model_dir: str | None = None
    threshold: float = 0.5

    @property
    def key(self) -> str:
        """The input's absolute path: its identity in the manifest."""
        return self.path

    @property
    def tag(self) -> str:
        """A short hash of :attr:`key` that starts the names of this input's dataset files."""
        import hashlib

        return "part-" + hashlib.blake2b(self.key.encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()

    def options(self) -> dict[str, Any]:
        """The options whose change makes a done input due again."""
        return {"format": self.format, "model": os.path.abspath(self.model_dir) if self.model_dir else None,
                "threshold": self.threshold if self.model_dir else None}


def _peak_rss_mb() -> float:
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1 << 20 if sys.platform == "darwin" else 1 << 10), 1)


def _tmp_name(tag: str) -> str:
    return f".{tag}"  # hidden while written: pyarrow, DuckDB and Spark skip names starting with "."


def _publish(out: Path, name: str, tag: str, files: Sequence[str], datasets: Sequence[str]) -> list[str]:
    """Rename this input's freshly written ``.TAG-*.parquet.tmp`` files to ``TAG-*.parquet`` (one atomic
    rename each) and delete its older files; returns the outputs relative to ``out``."""
    moved: list[str] = []
    for f in files:
        p = Path(f)
        dest = p.with_name(p.name[1:].removesuffix(".tmp"))
        os.replace(p, dest)
        moved.append(dest.relative_to(out).as_posix())
    keep = set(moved)
    for ds in datasets:
        for old in glob.glob(str(out / ds / f"source={name}" / "**" / f"{tag}-*.parquet"), recursive=True):
            if Path(old).relative_to(out).as_posix() not in keep:
                Path(old).unlink(missing_ok=True)
    return moved


def _drop_unfinished(out: Path, name: str, tag: str) -> None:
    """Delete temporary files a killed run of this input left behind."""
    for ds in ("parsed", "scores", "templates"):
        for old in glob.glob(str(out / ds / f"source={name}" / "**" / f"{_tmp_name(tag)}-*.tmp"), recursive=True):
            Path(old).unlink(missing_ok=True)


def _write_templates(spec: TaskSpec, templates: Sequence[Any]) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from logkit.output import _sanitize

    rows = [_sanitize({"template_id": t.template_id, "template": t.template, "count": t.count,
                       "example": t.example}) for t in templates]
    table = pa.Table.from_pylist(rows, schema=pa.schema([("template_id", pa.string()), ("template", pa.string()),
                                                         ("count", pa.int64()), ("example", pa.string())]))
    folder = Path(spec.out_dir) / "templates" / f"source={spec.name}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_tmp_name(spec.tag)}-0.parquet.tmp"
    pq.write_table(table, path, compression="zstd")
    return str(path)


def _do_task(spec: TaskSpec, metrics: dict[str, Any]) -> list[str]:
    from logkit.compress.archive import part_path
    from logkit.pipeline.run import check_text, one_pass

    out = Path(spec.out_dir)
    if spec.stage not in STAGES:
        raise UsageError(f"unknown batch stage {spec.stage!r}; use one of {', '.join(STAGES)}")
    if not os.path.isfile(spec.path):
        raise InputError(f"{spec.given}: no such file; check the path or glob")
    archive = None
    if spec.stage in ("compress", "run"):
        archive = out / f"{spec.name}.lkz"
        part_path(archive).unlink(missing_ok=True)  # ours, left by a killed run of this job
    if spec.stage == "compress":
        from logkit.compress.api import compress_file

        check_text(spec.path)
        cres = compress_file(spec.path, archive, format_spec=spec.format or "auto", force=True)
        metrics.update(lines=cres.lines, bytes=cres.raw_bytes, archive_bytes=cres.archive_bytes)
        return [f"{spec.name}.lkz"]
    from logkit.pipeline.otel import (
        PartitionedWriter,
        observed_time,
        parsed_row,
        parsed_schema,
        record_row,
        score_schema,
    )

    model = None
    if spec.stage in ("detect", "run") and spec.model_dir:
        from logkit.detect.api import load_model

        model = load_model(spec.model_dir)
    _drop_unfinished(out, spec.name, spec.tag)
    resource = {"log.file.path": spec.given, "log.file.name": os.path.basename(spec.path)}
    observed = observed_time(spec.path)
    writers: dict[str, PartitionedWriter] = {}
    on_parsed = on_score = None
    if spec.stage in ("parse", "run"):
        pw = writers["parsed"] = PartitionedWriter(out / "parsed", parsed_schema(), basename=_tmp_name(spec.tag),
                                                   suffix=".parquet.tmp")

        def on_parsed(p: Any) -> None:
            pw.write(parsed_row(p, spec.name, resource, observed))

    if model is not None:
        sw = writers["scores"] = PartitionedWriter(out / "scores", score_schema(), basename=_tmp_name(spec.tag),
                                                   suffix=".parquet.tmp")

        def on_score(rec: dict[str, Any]) -> None:
            start = rec.get("start")
            sw.write(record_row({**rec, "resource": resource, "source": spec.name,
                                 "date": start[:10] if isinstance(start, str) and len(start) >= 10 else None},
                                sw.schema))

    files: list[str] = []
    try:
        fmt = spec.format or (model.format_spec if model is not None else "auto")
        res = one_pass(spec.path, format=fmt, archive=archive, on_parsed=on_parsed, model=model,
                       on_score=on_score, threshold=spec.threshold)
        for w in writers.values():
            files += w.close()
        if "parsed" in writers:
            files.append(_write_templates(spec, res.templates))
    except BaseException:
        for w in writers.values():
            w.abort()  # closes its open files and deletes every file it wrote (temporary names only)
        for f in files:
            Path(f).unlink(missing_ok=True)
        raise
    datasets = [*writers, "templates"] if "parsed" in writers else list(writers)
    outputs = _publish(out, spec.name, spec.tag, files, datasets)
    metrics.update(lines=res.lines, bytes=res.raw_bytes, templates=len(res.templates), format=res.format_spec)
    if model is not None:
        metrics.update(scores=res.scores, anomalies=res.anomalies)
    if archive is not None:
        metrics["archive_bytes"] = res.archive_bytes
        outputs.append(f"{spec.name}.lkz")
    return outputs


def run_task(spec: TaskSpec) -> dict[str, Any]:
    """Do one input's work; never raises for a bad input: returns a manifest entry (``status`` done/failed).

    This is the function both the local pool and Dask workers run.
    """
    t0 = time.perf_counter()
    entry: dict[str, Any] = {"stage": spec.stage, "key": spec.key, "input": spec.given, "name": spec.name,
                             "options": spec.options()}
    try:
        st = os.stat(spec.path)
        entry.update(size=st.st_size, mtime=st.st_mtime, hash=content_hash(spec.path))
    except OSError:
        pass
    metrics: dict[str, Any] = {}
    try:
        entry["outputs"] = _do_task(spec, metrics)
        entry["status"] = "done"
        entry["error"] = None
    except LogkitError as exc:
        entry.update(status="failed", error=exc.message, outputs=[])
    except Exception as exc:  # a bug must not stop the other inputs; the message says what happened
        entry.update(status="failed", error=f"internal error: {type(exc).__name__}: {exc}", outputs=[])
    seconds = time.perf_counter() - t0
    metrics.update(seconds=round(seconds, 3), pid=os.getpid(), peak_rss_mb=_peak_rss_mb())
    if metrics.get("lines") and seconds > 0:
        metrics["lines_per_s"] = round(metrics["lines"] / seconds, 1)
    entry["metrics"] = metrics
    return entry


@dataclass
class BatchResult:
    """How a batch job went: entries of this run (done, skipped and failed), and the manifest path."""

    manifest: str
    entries: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        """How many inputs ended with ``status`` (``done``, ``skipped`` or ``failed``)."""
        return sum(1 for e in self.entries if e["status"] == status)

    def summary(self) -> str:
        """One line: counts, lines and time."""
        lines = sum(e.get("metrics", {}).get("lines", 0) for e in self.entries if e["status"] == "done")
        return (f"{len(self.entries)} input(s): {self.count('done')} done, {self.count('skipped')} skipped "
                f"(already done), {self.count('failed')} failed; {lines:,} lines in {self.seconds:.1f} s")

    def raise_for_failures(self) -> None:
        """Raise :class:`BatchFailed` (exit 4) when some inputs failed, a plain error (exit 1) when all did."""
        failed = [e for e in self.entries if e["status"] == "failed"]
        if not failed:
            return
        first = f"first: {failed[0]['error']}"
        if len(failed) == len(self.entries):
            raise InputError(f"none of the {len(failed)} input(s) could be processed ({first}); "
                             f"details in {self.manifest}")
        raise BatchFailed(f"{len(failed)} of {len(self.entries)} input(s) failed ({first}); "
                          f"details in {self.manifest}")


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _local(specs: Sequence[TaskSpec], workers: int) -> Iterator[dict[str, Any]]:
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    ctx = None
    if "torch" in sys.modules:  # torch (a graph model checked here) does not survive fork: its workers hang
        import multiprocessing

        ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=max(1, min(workers, len(specs))), mp_context=ctx) as pool:
        futures = {pool.submit(run_task, s): s for s in specs}
        for fut in as_completed(futures):
            try:
                yield fut.result()
            except BrokenProcessPool:
                s = futures[fut]
                yield {"stage": s.stage, "key": s.key, "input": s.given, "name": s.name, "options": s.options(),
                       "status": "failed", "outputs": [], "metrics": {},
                       "error": "the worker process died (out of memory?); try fewer --workers"}


def probe_scheduler(address: str, timeout: float = 3.0) -> None:
    """Raise :class:`InputError` at once when nothing listens at a ``tcp://host:port`` scheduler address.

    Dask itself retries a refused connection until its own time-out; this check fails in milliseconds.
    Addresses of other schemes (``inproc://``, ``tls://`` …) are left to Dask.
    """
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else "tcp://" + address)
    if parts.scheme != "tcp":
        return
    try:
        host, port = parts.hostname, parts.port or 8786
    except ValueError:
        raise UsageError(f"--scheduler {address!r} is not an address; write it like tcp://host:8786") from None
    if not host:
        raise UsageError(f"--scheduler {address!r} is not an address; write it like tcp://host:8786")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise InputError(f"cannot reach the Dask scheduler at {address} ({why}); start it, or check --scheduler "
                         "or LOGKIT_DASK_SCHEDULER") from None


def _dask(specs: Sequence[TaskSpec], scheduler: str) -> Iterator[dict[str, Any]]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise DependencyError(DASK_MISSING) from None
    probe_scheduler(scheduler)
    try:
        client = Client(scheduler, timeout="15s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({exc}); check --scheduler or "
                         "LOGKIT_DASK_SCHEDULER") from None
    try:
        futures = client.map(run_task, list(specs), pure=False)
        for fut in as_completed(futures, loop=client.loop):
            yield fut.result()
    finally:
        client.close()


def run_batch(
    stage: str,
    inputs: Sequence[str],
    out_dir: str | os.PathLike[str],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    format: str | None = None,
    model_dir: str | None = None,
    threshold: float = 0.5,
    progress: Callable[[dict[str, Any]], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> BatchResult:
    """Run ``stage`` over every input; returns what happened (the CLI turns failures into exit 4 or 1).

    Parameters
    ----------
    stage : str
        ``parse``, ``compress``, ``detect`` or ``run``.
    inputs : sequence of str
        Files, folders and globs (plain, ``.gz``, ``.zst``).
    out_dir : path
        Output folder (created); holds ``manifest.json``.
    workers : int, optional
        Local processes (default: the core count).
    scheduler : str, optional
        A Dask scheduler address (``tcp://host:8786``): the same task runs on that cluster.
    force : bool
        Redo inputs the manifest marks as done.
    format, model_dir, threshold
        Header format; model folder (needed by ``detect``; ``run`` detects when given); score threshold.
    progress : callable, optional
        Called with each input's entry as it finishes (``status`` ``done``, ``skipped`` or ``failed``).
    on_start : callable, optional
        Called once with the number of inputs found, before any work.
    """
    if stage not in STAGES:
        raise UsageError(f"unknown batch stage {stage!r}; use one of {', '.join(STAGES)}")
    if stage == "detect" and not model_dir:
        raise UsageError("batch detect needs --model DIR (a folder written by logkit train)")
    if format not in (None, "auto", "none"):
        from logkit.parse.formats import compile_format

        compile_format(format)  # a bad spec is one error for the job, not one per input
    if model_dir is not None:
        from logkit.detect.api import load_model

        load_model(model_dir)  # a bad model is one error for the job, not one per input
    if workers is not None and workers < 1:
        raise UsageError("--workers must be at least 1")
    out = Path(out_dir)
    make_folder(out)
    found = expand_inputs(inputs, out_dir=out)
    if not found:
        raise InputError("no input files found; check the paths and globs")
    if on_start is not None:
        on_start(len(found))
    with _job_lock(out):
        return _run_locked(stage, found, out, workers, scheduler, force, format, model_dir, threshold, progress)


@contextlib.contextmanager
def _job_lock(out: Path) -> Iterator[None]:
    """One job at a time per output folder (an advisory lock on ``OUT/.logkit-batch.lock``)."""
    import fcntl

    fh = open(out / ".logkit-batch.lock", "a+b")  # noqa: SIM115 - held for the job's length
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StateError(f"another logkit batch job is writing to {out}; wait for it, or give another --out") \
                from None
        yield
    finally:
        fh.close()


def _run_locked(stage: str, found: Sequence[Any], out: Path, workers: int | None, scheduler: str | None,
                force: bool, format: str | None, model_dir: str | None, threshold: float,
                progress: Callable[[dict[str, Any]], None] | None) -> BatchResult:
    t0 = time.perf_counter()
    manifest = Manifest(out)
    names = output_names([f.path for f in found])
    result = BatchResult(str(manifest.path))

    def record(entry: dict[str, Any]) -> None:
        if entry["status"] != "skipped":
            manifest.put(entry)
        result.entries.append(entry)
        if progress is not None:
            progress(entry)

    todo: list[TaskSpec] = []
    for f in found:
        spec = TaskSpec(stage, os.path.abspath(f.path), names[f.path], str(out.resolve()), f.path, format,
                        os.path.abspath(model_dir) if model_dir else None, threshold)
        if f.missing:
            record({"stage": stage, "key": spec.key, "input": f.path, "name": spec.name, "options": spec.options(),
                    "status": "failed", "outputs": [], "metrics": {},
                    "error": f"{f.path}: no such file, folder or matching glob"})
            continue
        if not force:
            try:
                st = os.stat(f.path)
            except OSError:
                st = None
            prev = manifest.get(stage, spec.key)
            if (st is not None and prev is not None and prev.get("options") == spec.options()
                    and manifest.is_done(stage, spec.key, st.st_size, st.st_mtime, out)):
                record({**prev, "status": "skipped"})
                continue
        todo.append(spec)
    if todo:
        # largest first: the last task to finish is a small one, so the workers stay busy to the end
        todo.sort(key=lambda t: -_size(t.path))
        runner = _dask(todo, scheduler) if scheduler else _local(todo, workers or os.cpu_count() or 1)
        for entry in runner:
            record(entry)
    result.seconds = time.perf_counter() - t0
    return result

