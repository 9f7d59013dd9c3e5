"""``logkit report`` as a library call: inputs -> one streaming pass -> :class:`Aggregate` -> one HTML file.

Each input is read once for its lines (raw logs through the parser's one path, :class:`Parser`); with a
model, its detection records come first (:mod:`logkit.report.score`), so the lines of the anomalies kept
for the page can be picked out while the lines stream by. Memory is bounded by the templates, the
buckets and the anomalies kept (:mod:`logkit.report.aggregate`), never by the number of lines.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from logkit.errors import UsageError
from logkit.report.aggregate import Aggregate, InputSummary, level_name, to_seconds
from logkit.report.inputs import BATCH, LOG, SCORES, ReportInput, classify, parsed_lines, score_records

__all__ = ["ReportResult", "Excerpts", "build_report", "parse_bound", "EXCERPT_LINES"]

EXCERPT_LINES = 12  # lines shown per anomaly
_WINDOW_KEY = re.compile(r"w\d+$|\d{4}-\d\d-\d\d[T ]")  # a window's name (count or time), not a session id


@dataclass
class ReportResult:
    """What a report holds and where it was written."""

    path: str
    bytes: int = 0
    lines: int = 0
    templates: int = 0
    scored: int = 0
    anomalies: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


def parse_bound(text: str | None, option: str, now: datetime | None = None) -> float | None:
    """``--since``/``--until``: an ISO time, or a duration back from now (``2h``), as axis seconds."""
    if text is None:
        return None
    from logkit.detect.grouping import parse_duration

    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            back = parse_duration(text)
        except UsageError:
            raise UsageError(f"{option} {text!r} is neither an ISO time (2024-03-11T08:00) nor a duration back "
                             "from now (30m, 2h)") from None
        now = now or datetime.now()  # naive logs are read in local time: compare with the local clock
        return to_seconds(now) - back
    return to_seconds(when)


class Excerpts:
    """Collects up to :data:`EXCERPT_LINES` lines of each anomaly of one input as its lines stream by.

    A window's lines are its first ones; a session's are the lines in its range that name it (found with
    the model's session pattern, or by its id when there is no model).
    """

    def __init__(self, anomalies: Sequence[dict[str, Any]], pattern: str | None) -> None:
        self.todo = sorted(anomalies, key=lambda r: int(r.get("first_line") or 0))
        for r in self.todo:
            r["_lines"] = []
        self.next = 0
        self.active: list[dict[str, Any]] = []
        self.findall = re.compile(pattern).findall if pattern else None

    def see(self, line_no: int, content: str, line: bytes | str) -> None:
        """Offer one line: its message part, and the whole line (bytes are decoded only when it is kept)."""
        todo = self.todo
        while self.next < len(todo) and int(todo[self.next].get("first_line") or 0) <= line_no:
            self.active.append(todo[self.next])
            self.next += 1
        if not self.active:
            return
        keep: list[dict[str, Any]] = []
        ids: set[str] | None = None
        for r in self.active:
            if line_no > int(r.get("last_line") or 0) or len(r["_lines"]) >= EXCERPT_LINES:
                continue
            keep.append(r)
            key = str(r.get("group"))
            if _WINDOW_KEY.match(key):
                wanted = True
            elif self.findall is not None:
                if ids is None:
                    ids = {i if isinstance(i, str) else i[0] for i in self.findall(content)}
                wanted = key in ids
            else:
                wanted = key in content
            if wanted:
                if isinstance(line, bytes):
                    from logkit.records import decode

                    line = str(decode(line)).rstrip("\r")
                r["_lines"].append((line_no, line))
        self.active = keep

    @property
    def idle(self) -> bool:
        """Whether no line can be wanted any more."""
        return not self.active and self.next >= len(self.todo)


def _types(params: Iterable[Any]) -> Iterator[str]:
    for q in params:
        yield q.type.value


def _raw_lines(agg: Aggregate, summ: InputSummary, path: str, parser: Any, excerpts: Excerpts | None) -> None:
    """Stream a raw log through the parser into the aggregate (the hot loop of a report)."""
    from logkit.parse.api import Source
    from logkit.pipeline.otel import severity

    before = parser.stats.unmatched
    add = agg.add_line
    levels: dict[tuple[str | None, int | None], str | None] = {}
    for p in parser.parse(Source.paths(path)):
        rec = p.record
        fields = rec.fields
        if fields:
            sev = severity(fields)
            level = levels.get(sev, "")
            if level == "":
                level = levels[sev] = level_name(*sev)
        else:
            level = None
        add(summ, rec.raw.line_no, rec.timestamp, level, p.template_id, p.template, _types(p.params), rec.content)
        if excerpts is not None:
            excerpts.see(rec.raw.line_no, rec.content, rec.raw.data)
            if excerpts.idle:
                excerpts = None
    summ.unmatched = parser.stats.unmatched - before
    from logkit.parse.formats import display_spec

    spec = parser.stats.format_spec or "none"
    summ.format = "none (the whole line is the message)" if spec == "none" else display_spec(spec)
    summ.note = parser.format_reason


def _parsed(agg: Aggregate, summ: InputSummary, inp: ReportInput, sub: str | None,
            excerpts: Excerpts | None) -> None:
    add = agg.add_line
    summ.format = "(parsed by logkit)"
    for ln in parsed_lines(inp, sub):
        add(summ, ln.line_no, ln.when, ln.level, ln.template_id, ln.template, ln.types, ln.text)
        if excerpts is not None:
            excerpts.see(ln.line_no, ln.text, ln.text)


def _given(records: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    return records


@dataclass
class _Item:
    """One input of the page: where its lines come from and the detection records that go with them."""

    label: str
    kind: str
    lines: ReportInput | None = None
    lines_sub: str | None = None
    scores: list[Callable[[], Iterable[dict[str, Any]]]] = field(default_factory=list)
    score_with_model: bool = False


def _plan(found: Sequence[ReportInput], names: Mapping[str, str], scores: Mapping[str, Iterable[dict[str, Any]]],
          model: Any, warnings: list[str]) -> list[_Item]:
    items: list[_Item] = []
    score_only: list[ReportInput] = []
    for inp in found:
        label = names.get(inp.path, inp.path)
        if inp.kind == BATCH:
            root = Path(inp.path)
            sources = sorted({d.name.split("=", 1)[1] for sub in ("parsed", "scores") if (root / sub).is_dir()
                              for d in (root / sub).iterdir() if d.is_dir() and d.name.startswith("source=")})
            for src in sources:
                has_lines = (root / "parsed" / f"source={src}").is_dir()
                it = _Item(f"{label}/{src}", BATCH, inp if has_lines else None,
                           f"parsed/source={src}" if has_lines else None)
                if (root / "scores" / f"source={src}").is_dir():
                    it.scores.append(partial(score_records, inp, f"scores/source={src}"))
                items.append(it)
            if model is not None:
                warnings.append(f"{label}: a batch folder is not scored again with --model (its scores/ are shown)")
        elif inp.kind == SCORES:
            score_only.append(inp)
        else:
            it = _Item(label, inp.kind, inp)
            if model is not None:
                if inp.parquet:
                    warnings.append(f"{label}: Parquet is not scored with --model; score the log, or give "
                                    "logkit detect output beside it")
                else:
                    it.score_with_model = True
            if inp.path in scores:
                it.scores.append(partial(_given, scores[inp.path]))
            items.append(it)
    line_items = [it for it in items if it.lines is not None]
    for inp in score_only:  # scores go with the log when there is one log; else they stand alone
        if len(line_items) == 1:
            line_items[0].scores.append(partial(score_records, inp))
        else:
            it = _Item(names.get(inp.path, inp.path), SCORES)
            it.scores.append(partial(score_records, inp))
            items.append(it)
    return items


@contextlib.contextmanager
def _spooled(inputs: Sequence[str]) -> Iterator[tuple[list[str], dict[str, str]]]:
    """Standard input copied to a temporary file (a report reads a log more than once)."""
    if "-" not in inputs:
        yield list(inputs), {}
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="logkit-report-") as tmp:
        target = os.path.join(tmp, "stdin")
        with open(target, "wb") as fh:
            shutil.copyfileobj(sys.stdin.buffer, fh)
        yield [target if p == "-" else p for p in inputs], {target: "-"}


def _mode_from_umask(fd: int) -> None:
    """Give a new file the mode the umask asks for (a temporary file starts as 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    with contextlib.suppress(OSError):
        os.fchmod(fd, 0o666 & ~mask)


def build_report(
    inputs: Sequence[str],
    output: str | os.PathLike[str],
    *,
    model_dir: str | None = None,
    format: str | None = None,
    grouping: Any = None,
    since: str | None = None,
    until: str | None = None,
    threshold: float = 0.5,
    scores: Mapping[str, Iterable[dict[str, Any]]] | None = None,
    title: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReportResult:
    """Write one self-contained HTML page about ``inputs`` to ``output``.

    Parameters
    ----------
    inputs : sequence of str
        Raw logs (plain, ``.gz``, ``.zst``, ``.lkz``), ``logkit parse`` JSONL or Parquet, ``logkit detect``
        JSONL or Parquet, ``logkit batch`` output folders, or ``-``.
    output : path
        The ``.html`` file to write (replaced atomically).
    model_dir : str, optional
        A model folder (``logkit train``): raw logs and parse JSONL are scored with it.
    format : str, optional
        Header spec for raw logs; default the model's, else ``auto``.
    grouping : Grouping, optional
        Overrides the model's sessions or windows.
    since, until : str, optional
        ISO times or durations back from now (``2h``): lines and items outside are left out.
    threshold : float
        Score at or above which an item is an anomaly (with ``model_dir``).
    scores : mapping, optional
        Detection records already computed, by input path (as given in ``inputs``).
    title : str, optional
        The page's title (default: the inputs' names).
    progress : callable, optional
        Called with a short message as each input starts.
    """
    from logkit.fsutil import atomic_open, check_not_input
    from logkit.report.page import render

    t0 = time.perf_counter()
    if not inputs:
        raise UsageError("give at least one INPUT")
    if str(output) == "-" or not str(output).lower().endswith((".html", ".htm")):
        raise UsageError(f"-o {output}: a report is an HTML file; give -o PATH.html")
    check_not_input(output, inputs)
    if grouping is not None and model_dir is None:
        raise UsageError("--session/--window choose how a model scores; give --model DIR too")
    if not 0.0 <= threshold <= 1.0:
        raise UsageError(f"--threshold {threshold} is not a number from 0 to 1; give e.g. 0.5")
    lo, hi = parse_bound(since, "--since"), parse_bound(until, "--until")
    if lo is not None and hi is not None and lo > hi:
        raise UsageError(f"--since {since} is after --until {until}; swap them")
    result = ReportResult(str(output))
    model = None
    if model_dir is not None:
        from logkit.report.score import load

        model = load(model_dir)
    agg = Aggregate(since=lo, until=hi)
    with _spooled(inputs) as (paths, names):
        found = [classify(p) for p in paths]
        items = _plan(found, names, scores or {}, model, result.warnings)
        parser = None
        for it in items:
            if progress is not None:
                progress(f"report: {it.label}")
            summ = agg.start_input(it.label, it.kind)
            offset = agg.read
            recs: list[Iterable[dict[str, Any]]] = [f() for f in it.scores]
            if it.score_with_model and it.lines is not None:
                from logkit.report.score import score_input

                recs.append(score_input(it.lines.path, model, format=format, grouping=grouping,
                                        threshold=threshold))
            for stream in recs:
                for rec in stream:
                    agg.add_score(summ, rec, offset)
            if it.lines is None:
                summ.format = "(scores only)"
                continue
            wanted = [r for _, _, r in agg.detailed if r["_source"] == it.label and "_lines" not in r]
            pattern = None
            if model is not None:
                g = grouping or model.grouping
                pattern = g.session if g.kind == "session" else None
            excerpts = Excerpts(wanted, pattern) if wanted else None
            if it.kind == LOG:
                if parser is None:
                    from logkit.report.score import parser_for

                    parser = parser_for(model, format)
                _raw_lines(agg, summ, it.lines.path, parser, excerpts)
            else:
                _parsed(agg, summ, it.lines, it.lines_sub, excerpts)
        if agg.skipped and not agg.lines:
            result.warnings.append(f"none of the {agg.skipped:,} lines read falls within --since/--until; "
                                   "widen them (the page has no lines)")
        page = render(agg, title=title or ", ".join(names.get(p, p) for p in paths), model=model,
                      model_dir=model_dir, grouping=grouping, since=since, until=until, warnings=result.warnings)
    with atomic_open(output, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(page)
        _mode_from_umask(fh.fileno())
    result.bytes = len(page.encode("utf-8"))
    result.lines = agg.lines
    result.templates = len(agg.templates)
    result.scored = agg.scored
    result.anomalies = agg.anomalies
    result.seconds = time.perf_counter() - t0
    return result

