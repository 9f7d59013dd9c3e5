"""The parse library API: sources -> header format -> template miner -> :class:`ParsedLine`.

A file is read twice (mine, then emit) so every line carries its template's final form in bounded memory;
standard input and ``--follow`` are parsed in one pass. Template ids are derived from the final template
text, so they agree across runs, files and processes.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from logkit.errors import FormatError, UsageError
from logkit.fsutil import read_versioned_json, write_json_atomic
from logkit.parse.fastrec import new_parsed_line
from logkit.parse.formats import HeaderFormat, LineFormat, NoFormat, display_spec, resolve_format
from logkit.parse.jsontext import _IDS, EmitState, json_blocks, record_json, template_id, to_record
from logkit.parse.miner import Match, TemplateMiner
from logkit.parse.multiline import join_multiline
from logkit.parse.sources import iter_raw_lines, iter_text_blocks
from logkit.parse.timestamps import reference_time
from logkit.records import LogRecord, Param, ParsedLine, RawLine, TemplateInfo, VarType

__all__ = [
    "RECORD_COLUMNS",
    "Parser",
    "ParseStats",
    "parse",
    "parse_lines",
    "template_id",
    "to_record",
    "record_json",
    "load_state",
    "is_state_file",
    "STATE_KIND",
    "STATE_VERSION",
]

STATE_KIND = "logkit-parse-state"
STATE_VERSION = 1
RECORD_COLUMNS = ("source", "line", "timestamp", "fields", "template_id", "template", "params")
SAMPLE_LINES = 200  # lines read to choose or check a header format
STREAM_SAMPLE_LINES = 50  # on a stream, --format auto decides after this many lines
# The JSON emit pass reuses the header matches of the first pass (it then neither reads nor matches those files
# again) for files whose lines take this many bytes at most, all together: about 5 bytes of memory a byte.
KEEP_BYTES = 8 * 2**20


def _to_bytes(text: str) -> bytes:
    """Text to the bytes of a log line; surrogates that no byte stands for are written as UTF-8 would."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _batched(texts: Iterator[str], size: int = 4096) -> Iterator[list[str]]:
    """``texts`` in lists of ``size`` (the last one shorter)."""
    while True:
        block = list(itertools.islice(texts, size))
        if not block:
            return
        yield block


def _whole_line(text: str) -> None:
    """The header "match" of ``--format none``: none, so the whole line is the content."""
    return None


def _written_at(path: str) -> datetime | None:
    """When ``path`` was last written (local time), or None when that cannot be known."""
    try:
        return datetime.fromtimestamp(os.stat(path).st_mtime)
    except (OSError, ValueError, OverflowError):
        return None


def _report_progress(
    raws: Iterator[RawLine], phase: str, done: list[int], report: Callable[[str, int], None]
) -> Iterator[RawLine]:
    n = 0
    total = done[0]
    for raw in raws:
        total += len(raw.data) + 1
        n += 1
        if n == 8192:
            done[0] = total
            report(phase, total)
            n = 0
        yield raw
    done[0] = total
    report(phase, total)


@dataclass
class ParseStats:
    """What a parse saw: lines, lines the header did not match, and the format chosen."""

    lines: int = 0
    unmatched: int = 0
    format_spec: str = ""
    format_reason: str = ""
    per_source: dict[str, int] = field(default_factory=dict)


def _keep_types(keep: Iterable[VarType | str] | str) -> frozenset[VarType]:
    if isinstance(keep, str):
        try:
            return VarType.parse_list(keep)
        except ValueError as exc:
            raise UsageError(f"--keep: {exc}") from None
    out = set()
    for k in keep:
        if isinstance(k, VarType):
            out.add(k)
        else:
            try:
                out |= VarType.parse_list(k)
            except ValueError as exc:
                raise UsageError(f"--keep: {exc}") from None
    return frozenset(out)


def _apply_keep(match: Match, keep: frozenset[VarType]) -> tuple[str, tuple[Param, ...]]:
    """Write the values of kept types into the template text; those params leave the list."""
    if not keep or not any(p.type in keep for p in match.params):
        return match.template, match.params
    pieces = match.template.split("<*>")
    if len(pieces) != len(match.params) + 1:  # a literal "<*>" in the text: leave it as it is
        return match.template, match.params
    out = [pieces[0]]
    kept: list[Param] = []
    for p, piece in zip(match.params, pieces[1:], strict=True):
        if p.type in keep:
            out.append(" ".join(p.value.split()))
        else:
            out.append("<*>")
            kept.append(p)
        out.append(piece)
    return "".join(out), tuple(kept)


def is_state_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a parse state file (JSON whose ``kind`` is ours)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return head.lstrip()[:1] == b"{" and STATE_KIND.encode() in head


def _read_state(path: str | os.PathLike[str]) -> dict[str, Any]:
    return read_versioned_json(path, kind=STATE_KIND, version=STATE_VERSION, what="logkit parse state",
                               fix="delete it to start afresh, or give another --state path")


def load_state(path: str | os.PathLike[str]) -> list[TemplateInfo]:
    """The templates saved in a ``--state`` file, most frequent first."""
    data = _read_state(path)
    out = [
        TemplateInfo(t["template_id"], t["template"], int(t["count"]), t.get("example", ""))
        for t in data.get("templates", [])
    ]
    out.sort(key=lambda t: (-t.count, t.template_id))
    return out


class Parser:
    """Parse log inputs into :class:`ParsedLine` records with typed variables.

    Parameters
    ----------
    format : str
        A Loghub-notation header spec, ``"auto"`` (detect) or ``"none"`` (whole line is content).
    keep : iterable of VarType or str
        Variable types whose values stay in the template text (``{"STC"}``: one template per status).
    multiline : bool
        Lines that do not begin with the header join the record before them.
    state : path, optional
        A JSON state file: loaded when it exists, written by :meth:`save_state`.
    max_templates : int
        Bound on the templates the miner keeps in memory.
    progress : callable, optional
        Called as ``progress(phase, bytes_read)`` every few thousand lines of files (``"mining"`` for the
        first pass, ``"writing"`` for the second; bytes count both passes, so a file of N bytes ends at 2N).
    """

    def __init__(
        self,
        *,
        format: str = "auto",
        keep: Iterable[VarType | str] | str = (),
        multiline: bool = False,
        state: str | os.PathLike[str] | None = None,
        max_templates: int = 100_000,
        progress: Callable[[str, int], None] | None = None,
    ) -> None:
        self.format_spec = format
        self.progress = progress
        self.keep = _keep_types(keep)
        self.multiline = multiline
        self.state_path = Path(state) if state is not None else None
        self.max_templates = max_templates
        self.stats = ParseStats()
        self._fmt: LineFormat | None = None
        # template text -> [count, example]: what this parser emitted (and, with state, earlier runs)
        self._counts: dict[str, list[Any]] = {}
        self.miner = TemplateMiner(max_templates=max_templates)
        if self.state_path is not None and self.state_path.exists():
            data = _read_state(self.state_path)
            self.miner = TemplateMiner.from_dict(data["miner"])
            for t in data.get("templates", []):
                self._counts[t["template"]] = [int(t["count"]), t.get("example", "")]
            if self.format_spec == "auto" and data.get("format"):
                self._fmt = resolve_format(data["format"], [])[0]
                self.stats.format_spec = data["format"]
                self.stats.format_reason = f"format {data['format']!r} from the state file"

    # -- format -----------------------------------------------------------------------------------
    @property
    def format_reason(self) -> str:
        """What ``--format`` chose and why (one line)."""
        return self.stats.format_reason

    def _choose_format(self, sample: Sequence[RawLine], what: str) -> LineFormat:
        if self._fmt is not None:
            return self._fmt
        fmt, reason = resolve_format(self.format_spec, sample)
        if isinstance(fmt, HeaderFormat) and self.format_spec not in ("auto", "none"):
            nonempty = [r for r in sample if r.data.strip()]
            if nonempty and not any(fmt.matches(r) for r in nonempty):
                raise FormatError(
                    f"--format {display_spec(self.format_spec)!r} matches none of the first {len(nonempty)} lines of "
                    f"{what}; compare it with a line of the log, or use --format auto"
                )
        self._fmt = fmt
        self.stats.format_spec = getattr(fmt, "spec", "none")
        self.stats.format_reason = reason
        if self.multiline and isinstance(fmt, NoFormat):
            self.multiline = False
            self.stats.format_reason += " (--multiline ignored: without a header every line is a record)"
        return fmt

    def _joined(self, raws: Iterable[RawLine], fmt: LineFormat) -> Iterable[RawLine]:
        """With ``--multiline``, continuation lines joined to the record before them."""
        return join_multiline(raws, fmt) if self.multiline and isinstance(fmt, HeaderFormat) else raws

    def _records(self, raws: Iterable[RawLine], fmt: LineFormat) -> Iterator[LogRecord]:
        raws = self._joined(raws, fmt)
        header = isinstance(fmt, HeaderFormat)
        split = fmt.split
        stats = self.stats
        for raw in raws:
            rec = split(raw)
            stats.lines += raw.n_lines
            if header and not rec.fields and raw.data.strip():
                stats.unmatched += 1
            yield rec

    def _learn(self, raws: Iterable[RawLine], fmt: LineFormat) -> None:
        """Pass 1: feed every record's content to the miner (no fields or timestamps needed)."""
        raws = self._joined(raws, fmt)
        learn = self.miner.learn
        content = fmt.content
        for raw in raws:
            learn(content(raw))

    def _learn_text(self, path: str, fmt: HeaderFormat | NoFormat, done: list[int],
                    kept: list[tuple[list[Any], int]] | None = None, room: int = 0) -> bool:
        """Pass 1 over a file's decoded text, a block of lines at a time (what :meth:`_learn` does, cheaper);
        ``self.progress`` hears of each block.

        With ``kept`` (a header with fields), each block goes into it as its lines with each header match in
        place of its line's text, while the blocks' sizes add up to ``room`` bytes at most; past that ``kept`` is
        emptied. Returns whether it holds the whole file.
        """
        learn = self.miner.learn
        report = self.progress
        match = fmt.match if isinstance(fmt, HeaderFormat) else _whole_line
        ci = fmt.regex.groupindex["Content"] if isinstance(fmt, HeaderFormat) else 0
        matches: list[Any] = []
        put = matches.append
        for block, size in iter_text_blocks(path):
            for text in block:
                if text[-1:] == "\r":
                    text = text[:-1]
                m = match(text)
                put(m)
                learn(text if m is None else (m.group(ci) or ""))
            if kept is not None:
                room -= size
                if room >= 0:  # a line the header did not match stays as it was read (pass 2 matches it again)
                    kept.append(([t if m is None else m for t, m in zip(block, matches, strict=True)], size))
                else:
                    kept.clear()
                    kept = None
            matches.clear()
            if report is not None:
                done[0] += size
                report("mining", done[0])
        return kept is not None

    # -- emitting -----------------------------------------------------------------------------------
    def _emit(self, rec: LogRecord, match: Match) -> ParsedLine:
        template, params = _apply_keep(match, self.keep) if self.keep else (match.template, match.params)
        entry = self._counts.get(template)
        if entry is None:
            if len(self._counts) >= 4 * self.max_templates:
                self._forget_rare()
            self._counts[template] = [1, rec.content[:2000]]
        else:
            entry[0] += 1
        return new_parsed_line(rec, _IDS.get(template) or template_id(template), template, params)

    def _forget_rare(self) -> None:
        keep = sorted(self._counts.items(), key=lambda kv: -kv[1][0])[: self.max_templates]
        self._counts.clear()  # in place: the emit pass of ``parse_paths_json`` holds the dict
        self._counts.update(keep)

    # -- public entry points -------------------------------------------------------------------------
    def parse_paths(
        self, paths: Sequence[str], *, on_chunk: Callable[[bytes], None] | None = None
    ) -> Iterator[ParsedLine]:
        """Parse files (two passes over all of them: mine, then emit); ``-`` is parsed as a stream.

        ``on_chunk`` is called with the raw bytes of each chunk the emit pass (the only pass of ``-``) reads,
        as :func:`~logkit.parse.sources.iter_raw_lines` passes them: a caller gets the input's exact bytes
        (to archive them, say) from the pass that yields the parsed lines, without reading it again.
        """
        files = [p for p in paths if p != "-"]
        if len(files) != len(paths) and files:
            raise UsageError("'-' (standard input) cannot be parsed together with files; run them apart")
        if not files:
            yield from self.parse_stream(iter_raw_lines("-", on_chunk=on_chunk))
            return
        done = [0]  # bytes read so far over both passes (for ``progress``)
        self._mine(files, done)
        for path in files:  # pass 2: emit each line with its template's final form
            yield from self._emit_path(path, self._choose_format([], path), done, on_chunk)

    def parse_paths_json(self, paths: Sequence[str]) -> Iterator[list[str]]:
        """What :meth:`parse_paths` gives, as the JSONL text of its records (:func:`record_json` of each), a
        block of lines at a time.

        Files with a header format (or none) and without ``multiline`` skip the record objects: the fast
        path of ``logkit parse -o x.jsonl``. Anything else goes through :meth:`parse_paths`.
        """
        files = [p for p in paths if p != "-"]
        if len(files) != len(paths) or not files or self.multiline:
            yield from _batched(map(record_json, self.parse_paths(paths)))
            return
        done = [0]
        kept: dict[str, list[tuple[list[Any], int]]] = {}  # file -> its lines and header matches (pass 1's)
        self._mine(files, done, kept)
        report = self.progress

        def advance(size: int) -> None:
            done[0] += size
            if report is not None:
                report("writing", done[0])

        for path in files:
            fmt = self._choose_format([], path)
            if not isinstance(fmt, HeaderFormat | NoFormat):
                yield from _batched(map(record_json, self._emit_path(path, fmt, done, None)))
                continue
            state = EmitState(self._counts, self._forget_rare, 4 * self.max_templates,
                              (lambda m: _apply_keep(m, self.keep)) if self.keep else None)
            before = self.stats.lines
            header = fmt if isinstance(fmt, HeaderFormat) else None
            with reference_time(_written_at(path)):  # year-less dates: the year the file was written
                try:
                    blocks = kept.pop(path, None) or iter_text_blocks(path)
                    yield from json_blocks(blocks, path, header, self.miner.match, state, advance)
                finally:
                    self.stats.lines += state.lines
                    self.stats.unmatched += state.unmatched
            self.stats.per_source[path] = self.stats.lines - before

    def _mine(self, files: list[str], done: list[int],
              kept: dict[str, list[tuple[list[Any], int]]] | None = None) -> None:
        """Pass 1 over ``files``: choose each one's format and feed its contents to the miner; with ``kept``,
        the lines and header matches of files that fit in :data:`KEEP_BYTES` go into it (see
        :meth:`_learn_text`)."""
        room = KEEP_BYTES
        for path in files:
            fmt = self._choose_format(list(itertools.islice(iter_raw_lines(path), SAMPLE_LINES)), path)
            if not self.multiline and isinstance(fmt, HeaderFormat | NoFormat):
                mine: list[tuple[list[Any], int]] | None = None
                if kept is not None and isinstance(fmt, HeaderFormat) and fmt.field_pos and path not in kept:
                    mine = []
                if self._learn_text(path, fmt, done, mine, room) and mine:
                    kept[path] = mine  # type: ignore[index]
                    room -= sum(size for _, size in mine)
            else:
                self._learn(self._counted(iter_raw_lines(path), "mining", done), fmt)

    def _emit_path(self, path: str, fmt: LineFormat, done: list[int],
                   on_chunk: Callable[[bytes], None] | None) -> Iterator[ParsedLine]:
        """Pass 2 over one file: each line with its template's final form."""
        match = self.miner.match
        before = self.stats.lines
        records = self._records(self._counted(iter_raw_lines(path, on_chunk=on_chunk), "writing", done), fmt)
        with reference_time(_written_at(path)):  # year-less dates: the year the file was written
            for rec in records:
                yield self._emit(rec, match(rec.content))
        self.stats.per_source[path] = self.stats.lines - before

    def _counted(self, raws: Iterator[RawLine], phase: str, done: list[int]) -> Iterator[RawLine]:
        """``raws``, telling ``self.progress(phase, bytes so far)`` every few thousand lines (if set)."""
        report = self.progress
        if report is None:
            return raws
        return _report_progress(raws, phase, done, report)

    def parse_path(self, path: str, *, on_chunk: Callable[[bytes], None] | None = None) -> Iterator[ParsedLine]:
        """Parse one file (two passes) or ``-`` (one pass); ``on_chunk`` as in :meth:`parse_paths`."""
        return self.parse_paths([path], on_chunk=on_chunk)

    def parse_stream(self, raws: Iterable[RawLine], *, what: str = "standard input") -> Iterator[ParsedLine]:
        """Parse a stream in one pass: each line gets the form of its template known at that moment."""
        it = iter(raws)
        head: list[RawLine] = []
        if self._fmt is None:
            head = list(itertools.islice(it, STREAM_SAMPLE_LINES))
        fmt = self._choose_format(head, what)
        add = self.miner.add
        for rec in self._records(itertools.chain(head, it), fmt):
            yield self._emit(rec, add(rec.content))

    def parse_lines(self, lines: Iterable[bytes | str], *, source: str = "-") -> Iterator[ParsedLine]:
        """Parse in-memory lines (without their ``\\n``) as a stream."""

        def raws() -> Iterator[RawLine]:
            for n, line in enumerate(lines, 1):
                data = line if isinstance(line, bytes) else _to_bytes(line)
                yield RawLine(source, n, data)

        return self.parse_stream(raws(), what=source)

    def follow(
        self, path: str, *, stop: Callable[[], bool] | None = None, from_start: bool = True
    ) -> Iterator[ParsedLine]:
        """Parse a growing file like ``tail -F`` (survives rotation and truncation)."""
        from logkit.parse.follow import follow_raw_lines

        if self._fmt is None and os.path.exists(path):
            self._choose_format(list(itertools.islice(iter_raw_lines(path), SAMPLE_LINES)), path)
        yield from self.parse_stream(
            follow_raw_lines(path, from_start=from_start, stop=stop), what=path
        )

    # -- templates and state ---------------------------------------------------------------------
    def templates(self) -> list[TemplateInfo]:
        """Templates emitted so far (with earlier runs' counts when a state was loaded), most frequent first."""
        out = [TemplateInfo(template_id(t), t, c, ex) for t, (c, ex) in self._counts.items()]
        out.sort(key=lambda t: (-t.count, t.template_id))
        return out

    def save_state(self, path: str | os.PathLike[str] | None = None) -> None:
        """Write the miner and template counts to a versioned JSON file, atomically."""
        target = Path(path) if path is not None else self.state_path
        if target is None:
            raise UsageError("no state path given; pass --state PATH")
        data = {
            "kind": STATE_KIND,
            "version": STATE_VERSION,
            "format": self.stats.format_spec or None,
            "templates": [
                {"template_id": t.template_id, "template": t.template, "count": t.count, "example": t.example}
                for t in self.templates()
            ],
            "miner": self.miner.to_dict(),
        }
        write_json_atomic(target, data)


def parse(inputs: str | Sequence[str], **options: Any) -> Iterator[ParsedLine]:
    """Parse files (or ``-``) with a new :class:`Parser`; ``options`` are its keyword arguments."""
    paths = [inputs] if isinstance(inputs, str) else list(inputs)
    return Parser(**options).parse_paths(paths)


def parse_lines(lines: Iterable[bytes | str], **options: Any) -> list[ParsedLine]:
    """Parse in-memory lines in two passes (mine, then emit), like a file; returns the records."""
    data = [ln if isinstance(ln, bytes) else _to_bytes(ln) for ln in lines]
    parser = Parser(**options)
    raws = [RawLine("-", n, d) for n, d in enumerate(data, 1)]
    fmt = parser._choose_format(raws[:SAMPLE_LINES], "the lines")
    parser._learn(raws, fmt)
    return [parser._emit(rec, parser.miner.match(rec.content)) for rec in parser._records(raws, fmt)]
