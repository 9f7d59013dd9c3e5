"""One pass, all stages: each line of an input is parsed once and feeds the archive, the Parquet and detection.

A file is read twice, as ``logkit parse`` does (the same public :meth:`Parser.parse`): pass 1 mines
templates, pass 2 emits every line with its template's final form, year-less dates taking the year the file
was written. Pass 2 is the one pass every sink shares: the compressor has its own tokenizer and takes raw
bytes, so the parser's ``on_chunk`` hook hands it the very chunks pass 2 reads; the parsed lines go to the
Parquet writer and to the detector. ``--follow`` parses a growing file in one pass and flushes an archive
block whenever a detection record is emitted or the stream goes idle.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logkit.errors import ArchiveError, InputError
from logkit.fsutil import check_not_input, make_folder
from logkit.interrupts import Interrupts
from logkit.records import ParsedLine, TemplateInfo

__all__ = ["PassResult", "one_pass", "run_input", "check_text"]

BINARY_PEEK = 64 << 10
FOLLOW_FLUSH_S = 3.0  # a stream's archive closes a block at least this often (a killed run loses no more)
FOLLOW_IDLE_S = 300.0  # with --follow, a session with no line for this long (by timestamps) closes


@dataclass
class PassResult:
    """What one pass over an input did: lines, bytes read, templates, detection records, anomalies."""

    lines: int = 0
    raw_bytes: int = 0
    templates: list[TemplateInfo] = field(default_factory=list)
    format_spec: str = ""
    scores: int = 0
    anomalies: int = 0
    archive_bytes: int = 0


def check_text(path: str) -> None:
    """Raise :class:`InputError` when ``path`` looks like a binary file rather than a log."""
    from logkit.parse.sources import is_log_archive, looks_binary, open_binary

    if path == "-" or is_log_archive(path):  # an archive is read as the log it holds
        return
    fh = open_binary(path)
    try:
        sample = fh.read(BINARY_PEEK)
    except InputError:  # damaged .gz/.zst: the reader's message names the file and the fix
        raise
    except Exception as exc:
        raise InputError(f"{path}: cannot be read as a log ({exc}); check the file") from None
    finally:
        fh.close()
    if looks_binary(sample):
        raise InputError(f"{path}: looks like a binary file, not a text log; leave it out of the inputs")


@contextlib.contextmanager
def _archive(target: str | os.PathLike[str] | None) -> Iterator[Any]:
    """An :class:`ArchiveWriter` on ``TARGET.part``, renamed onto ``target`` when the block succeeds."""
    if target is None:
        yield None
        return
    from logkit.compress.archive import ArchiveWriter, part_path

    dest = Path(target)
    tmp = part_path(dest)
    if tmp.exists():
        raise ArchiveError(f"{tmp} exists (left by an interrupted run): recover it with 'logkit decompress "
                           f"--salvage {tmp}', or delete it")
    make_folder(dest.parent)  # a missing output folder is created, as for every other output
    with open(tmp, "xb") as out:
        writer = ArchiveWriter(out)
        try:
            yield writer
        except KeyboardInterrupt:  # SIGINT/SIGTERM: every line read makes a complete archive, put in place
            _finish_archive(writer, out)
            os.replace(tmp, dest)
            raise
        except BaseException:
            if not isinstance(sys.exc_info()[1], SystemExit):
                out.close()
                tmp.unlink(missing_ok=True)
            else:  # what was read stays a valid archive (salvageable .part)
                writer.close()
            raise
        _finish_archive(writer, out)
    os.replace(tmp, dest)


def _finish_archive(writer: Any, out: Any) -> None:
    """Write the archive's last block, index and footer, and sync the file (a signal waits until done)."""
    from logkit.interrupts import Interrupts

    with Interrupts() as signals, signals.shield(raise_after=False):
        writer.close()
        out.flush()
        os.fsync(out.fileno())


def one_pass(
    path: str,
    *,
    format: str = "auto",
    archive: str | os.PathLike[str] | None = None,
    on_parsed: Callable[[ParsedLine], None] | None = None,
    model: Any = None,
    on_score: Callable[[dict[str, Any]], None] | None = None,
    threshold: float = 0.5,
    follow: bool = False,
    stop: Callable[[], bool] | None = None,
) -> PassResult:
    """Parse ``path`` once and feed every sink from the same pass.

    Parameters
    ----------
    path : str
        A log file (plain, ``.gz``/``.zst``) or ``-`` (standard input, parsed as a stream).
    format : str
        Header spec, ``auto`` or ``none``.
    archive : path, optional
        Write a ``.lkz`` archive of the input's bytes here (atomically).
    on_parsed : callable, optional
        Called with each :class:`ParsedLine`, in input order.
    model : Model, optional
        A trained model (:func:`logkit.detect.api.load_model`): its parser state parses the input and its
        grouping applies; records come from its one scoring path (:meth:`Model.scorer`).
    on_score : callable, optional
        Called with each detection record (DESIGN.md 3.4) as its group closes.
    follow : bool
        Keep reading a growing file (one pass): archive blocks are written as detection records are emitted
        and at least every :data:`FOLLOW_FLUSH_S` while lines wait for one; sessions close after
        :data:`FOLLOW_IDLE_S` without a line.
    """
    from logkit.parse.api import Parser, Source

    res = PassResult()
    # with a model, its parser state: template ids as in training, the parse `logkit detect` makes
    scorer = model.scorer(threshold=threshold, batch=1 if follow else 256,
                          idle=FOLLOW_IDLE_S if follow else None) if model is not None else None
    parser = scorer.parser(format) if scorer is not None else Parser(format=format)
    known = {t.template: t.count for t in parser.templates()}  # counts of the state (training), not this input
    if not follow:
        check_text(path)
    elif path != "-":
        from logkit.parse.sources import check_readable

        check_readable(path)  # a mistyped path is an error, as for `parse --follow`, not an endless wait
    with _archive(archive) as writer, Interrupts() as signals:

        stream = follow or path == "-"

        def sink(chunk: bytes) -> None:
            res.raw_bytes += len(chunk)
            if writer is not None:
                with signals.shield():  # a signal waits until the block being written is whole
                    writer.write(chunk)
                    if stream:  # a block at least every FOLLOW_FLUSH_S while lines come: kill -9 loses no more
                        writer.flush_older_than(FOLLOW_FLUSH_S)

        if follow:

            def idle(_stop: Callable[[], bool] | None = stop) -> bool:
                # the follower calls this when nothing new has come: a quiet stream gets its block written
                if writer is not None:
                    with signals.shield():
                        writer.flush_older_than(FOLLOW_FLUSH_S)
                return _stop() if _stop is not None else False

            def parsed() -> Generator[ParsedLine, None, None]:
                # the follower hands each complete line's exact bytes to the archive as it reads it
                yield from parser.parse(Source.follow(path, stop=idle), on_chunk=sink)
        else:  # a file: pass 1 mines, pass 2 (the one every sink shares) emits; "-": one pass

            def parsed() -> Generator[ParsedLine, None, None]:
                yield from parser.parse(Source.paths(path), on_chunk=sink)

        def counted() -> Iterator[ParsedLine]:
            # closing: when a sink raises, the parser's generators end now and close the input file
            with contextlib.closing(parsed()) as lines:
                for p in lines:
                    res.lines += 1
                    if on_parsed is not None:
                        with signals.shield():
                            on_parsed(p)
                    yield p

        if scorer is None:
            for _ in counted():
                pass
        else:
            _detect(counted(), scorer, res, on_score,
                    _Shielded(writer, signals) if follow and writer is not None else None)
    res.templates = _this_input(parser.templates(), known)
    res.format_spec = parser.stats.format_spec
    if archive is not None:
        res.archive_bytes = Path(archive).stat().st_size
    return res


class _Shielded:
    """An archive writer whose ``flush`` holds SIGINT/SIGTERM until the block is written."""

    def __init__(self, writer: Any, signals: Interrupts) -> None:
        self.writer = writer
        self.signals = signals

    def flush(self) -> None:
        with self.signals.shield():
            self.writer.flush()


def _this_input(templates: list[TemplateInfo], known: dict[str, int]) -> list[TemplateInfo]:
    """The templates of this input: counts less those a loaded parser state held before it."""
    if not known:
        return templates
    out = [TemplateInfo(t.template_id, t.template, t.count - known.get(t.template, 0), t.example)
           for t in templates]
    return [t for t in out if t.count > 0]


def _detect(lines: Iterator[ParsedLine], scorer: Any, res: PassResult,
            on_score: Callable[[dict[str, Any]], None] | None, flush_to: Any) -> None:
    """Score the parsed lines through the one scoring path (:class:`logkit.detect.scoring.Scorer`)."""
    for rec in scorer.score(lines):
        res.scores += 1
        res.anomalies += rec.anomaly
        if on_score is not None:
            on_score(rec.to_dict())
        if flush_to is not None:
            flush_to.flush()


def run_input(
    path: str,
    *,
    format: str | None = None,
    archive: str | None = None,
    model_dir: str | None = None,
    parsed: str | None = None,
    on_score: Callable[[dict[str, Any]], None] | None = None,
    threshold: float = 0.5,
    follow: bool = False,
    stop: Callable[[], bool] | None = None,
) -> PassResult:
    """``logkit run``: one pass over ``path`` feeding an archive, a parse Parquet file and a detector.

    ``parsed`` gets the records of DESIGN.md 3.2 (``.parquet``, ``.jsonl`` or ``.csv`` by extension);
    detection records go to ``on_score``. ``format`` defaults to the model's format, else ``auto``.
    """
    from logkit.errors import UsageError
    from logkit.output import open_writer, resolve_output_format
    from logkit.parse.api import RECORD_COLUMNS, to_record

    if follow and path == "-":
        raise UsageError("--follow takes a file path (standard input is followed anyway)")
    if archive is None and model_dir is None and parsed is None:
        raise UsageError("nothing to do: give --archive, --model and/or --parsed")
    check_not_input(archive, [path], "--archive")
    check_not_input(parsed, [path], "--parsed")
    if not 0.0 <= threshold <= 1.0:  # also NaN, which would silently flag nothing
        raise UsageError(f"--threshold {threshold} is not a number from 0 to 1; give e.g. 0.5")
    model = None
    if model_dir is not None:
        from logkit.detect.api import load_model

        model = load_model(model_dir)
    fmt = format or (model.format_spec if model is not None else "auto")
    writer_cm: Any = contextlib.nullcontext(None)
    if parsed is not None:
        writer_cm = open_writer(resolve_output_format(None, parsed), parsed, columns=RECORD_COLUMNS,
                                kind="parse", flush_each=follow)
    with writer_cm as out:
        on_parsed = (lambda p: out.write(to_record(p))) if out is not None else None
        return one_pass(path, format=fmt, archive=archive, on_parsed=on_parsed, model=model, on_score=on_score,
                        threshold=threshold, follow=follow, stop=stop)
