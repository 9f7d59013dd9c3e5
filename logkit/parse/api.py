"""The parse library API: a :class:`Source` -> header format -> template miner -> :class:`ParsedLine`.

One path: :meth:`Parser.fit` (mine) then :meth:`Parser.parse` (emit, :mod:`logkit.parse.emit`). A file is read
twice so every line carries its template's final form in bounded memory; standard input and ``--follow``
are parsed in one pass. Template ids are derived from the final template text, so they agree across runs,
files and processes.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from logkit.errors import FormatError, UsageError
from logkit.fsutil import read_versioned_json, write_json_atomic
from logkit.parse.emit import Maker, TemplateCounts, emit_blocks, header_parts, record_maker
from logkit.parse.formats import HeaderFormat, LineFormat, NoFormat, display_spec, resolve_format
from logkit.parse.jsontext import TemplateIds, record_json, template_id, to_record
from logkit.parse.miner import Match, TemplateMiner
from logkit.parse.multiline import join_blocks
from logkit.parse.source import Block, Input, Source
from logkit.parse.timestamps import Clock
from logkit.records import Cp1252Text, Param, ParsedLine, RawLine, TemplateInfo, VarType, byte_marked, encode

__all__ = [
    "RECORD_COLUMNS",
    "Parser",
    "Source",
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
STREAM_SAMPLE_LINES = 20  # on a stream, --format auto decides after this many lines,
STREAM_SAMPLE_SECONDS = 1.0  # or once this long has passed since the first line
T = TypeVar("T")
# The JSON emit pass reuses the header matches of the first pass (it then neither reads nor matches those files
# again) for files whose lines take this many bytes at most, all together: about 5 bytes of memory a byte.
KEEP_BYTES = 8 * 2**20


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
    """Parse log inputs into :class:`ParsedLine` records with typed variables: fitted, then parsing.

    :meth:`fit` mines the templates of a :class:`~logkit.parse.source.Source` (pass 1); :meth:`parse` gives
    each line its record (pass 2), with its template's final form. An untrained parser fits every input of
    ``source`` that can be read twice (files, lists of lines) before it emits any; a trained one (fitted
    before, or loaded from a ``state`` file: a model's parser) matches new inputs to the templates it learnt,
    in one pass, learning only lines no template fits, so their ids stay those of training. An input that
    can be read once only (standard input, ``--follow``) is parsed in one pass, learning as it goes: each
    line gets the form of its template known then.
    Every entry point of logkit (the CLI, ``run``, ``batch``, ``detect``, the functions below) goes through
    these two methods, so one input gives one answer everywhere.

    Parameters
    ----------
    format : str
        A Loghub-notation header spec, ``"auto"`` (detect, per input) or ``"none"`` (whole line is content).
    keep : iterable of VarType or str
        Variable types whose values stay in the template text (``{"STC"}``: one template per status).
    multiline : bool
        Lines that do not begin with the header join the record before them.
    state : path, optional
        A JSON state file: loaded when it exists, written by :meth:`save_state`.
    max_templates : int
        Bound on the templates the miner keeps in memory.
    progress : callable, optional
        Called as ``progress(phase, bytes_read)`` every block of lines (``"mining"`` for the first pass,
        ``"writing"`` for the second; bytes count both passes, so a file of N bytes ends at 2N).
    encoding : str, optional
        Decode every line with this codec; by default a line that is valid UTF-8 is UTF-8 and any other is
        cp1252 (so the records are valid text whatever the bytes).
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
        encoding: str | None = None,
    ) -> None:
        if encoding is not None:
            import codecs

            try:
                encoding = codecs.lookup(encoding).name
            except LookupError:
                raise UsageError(f"--encoding {encoding!r} is no text encoding Python knows; try latin-1, cp1252, "
                                 "shift_jis or utf-16") from None
        self.encoding = encoding
        self.format_spec = format
        self.progress = progress
        self.keep = _keep_types(keep)
        self.multiline = multiline
        self.state_path = Path(state) if state is not None else None
        self.max_templates = max_templates
        self.stats = ParseStats()
        self.clock = Clock()  # the reference time of year-less dates, and what reading timestamps remembers
        self.counts = TemplateCounts(max_templates)  # template -> [count, example]: what this parser emitted
        self._ids = TemplateIds()  # template text -> id, remembered
        self.miner = TemplateMiner(max_templates=max_templates)
        self._state_fmt: LineFormat | None = None  # the format a state file recorded (used with ``auto``)
        self._formats: dict[str, LineFormat] = {}  # input name -> its format (bound to self.clock)
        self._fitted: set[str] = set()  # inputs mined by fit
        # whether templates were learnt (a fit, or a loaded state): new inputs are then parsed against them
        self.trained = False
        self._kept: dict[str, list[Block]] = {}  # input name -> its lines with their header matches (pass 1's)
        self._done = 0  # bytes read so far over both passes (for ``progress``)
        if self.state_path is not None and self.state_path.exists():
            data = _read_state(self.state_path)
            self.miner = TemplateMiner.from_dict(data["miner"])
            self.trained = True
            for t in data.get("templates", []):
                self.counts.counts[t["template"]] = [int(t["count"]), t.get("example", "")]
            if self.format_spec == "auto" and data.get("format"):
                self._state_fmt = resolve_format(data["format"], [])[0]
                self.stats.format_spec = data["format"]
                self.stats.format_reason = f"format {data['format']!r} from the state file"

    # -- format -----------------------------------------------------------------------------------
    @property
    def format_reason(self) -> str:
        """What ``--format`` chose and why (one line; the latest input's)."""
        return self.stats.format_reason

    def _choose_format(self, sample: Sequence[str], name: str) -> LineFormat:
        """The format of input ``name`` from its first lines (``auto`` decides per input)."""
        fmt = self._formats.get(name)
        if fmt is not None:
            return fmt
        if self._state_fmt is not None:
            fmt, reason = self._state_fmt, self.stats.format_reason
        else:
            raws = [RawLine(name, n, encode(t)) for n, t in enumerate(sample[:SAMPLE_LINES], 1)]
            fmt, reason = resolve_format(self.format_spec, raws)
            if isinstance(fmt, HeaderFormat) and self.format_spec not in ("auto", "none"):
                nonempty = [r for r in raws if r.data.strip()]
                if nonempty and not any(fmt.matches(r) for r in nonempty):
                    what = "standard input" if name == "-" else name
                    raise FormatError(
                        f"--format {display_spec(self.format_spec)!r} matches none of the first {len(nonempty)} "
                        f"lines of {what}; compare it with a line of the log, or use --format auto"
                    )
        fmt = fmt.with_clock(self.clock)
        self._formats[name] = fmt
        self.stats.format_spec = getattr(fmt, "spec", "none")
        self.stats.format_reason = reason if len(self._formats) == 1 else f"{name}: {reason}"
        if self.multiline and isinstance(fmt, NoFormat):
            self.stats.format_reason += " (--multiline ignored: without a header every line is a record)"
        return fmt

    def _joined(self, blocks: Iterable[Block], fmt: LineFormat) -> Iterable[Block]:
        """With ``--multiline`` and a header, continuation lines joined to the record before them."""
        if self.multiline and isinstance(fmt, HeaderFormat):
            match = fmt.match
            return join_blocks(blocks, lambda text: match(text) is not None)
        return blocks

    def _reported(self, blocks: Iterable[Block], phase: str) -> Iterator[Block]:
        """``blocks``, telling ``self.progress(phase, bytes so far)`` after each."""
        report = self.progress
        for block in blocks:
            yield block
            self._done += block.size
            if report is not None:
                report(phase, self._done)

    # -- pass 1 -------------------------------------------------------------------------------------
    def fit(self, source: Source) -> Parser:
        """Mine the templates of every input of ``source`` (which must be readable twice); returns self.

        The lines and header matches of files that take :data:`KEEP_BYTES` at most (all together) are kept,
        so :meth:`parse` reads them from memory instead of reading and matching them again.
        """
        for inp in source.inputs:
            if not inp.replayable:
                raise UsageError(f"{inp.name} can be read once only: parse it without fitting (it learns as it goes)")
            self._fit_one(inp)
        self.trained = True
        return self

    def _fit_one(self, inp: Input) -> None:
        fmt = self._choose_format(_head(inp, self.encoding), inp.name)
        learn = self.miner.learn
        header, ci = header_parts(fmt)
        keep = (isinstance(fmt, HeaderFormat) and bool(fmt.field_pos) and not self.multiline
                and inp.path is not None and inp.name not in self._kept)
        room = KEEP_BYTES - sum(b.size for blocks in self._kept.values() for b in blocks)
        kept: list[Block] | None = [] if keep else None
        for block in self._reported(self._joined(inp.blocks(encoding=self.encoding), fmt), "mining"):
            matches: list[Any] = []
            put = matches.append
            for line in block.lines:
                text = line[:-1] if line[-1:] == "\r" else line
                m = None if header is None else header(text)
                put(m if m is not None and text is line else None)
                content = text if m is None else (m.group(ci) or "") if ci > 0 else m.content
                learn(byte_marked(content) if line.__class__ is Cp1252Text else content)
            if kept is not None:
                room -= block.size
                if room >= 0:  # a line unmatched, or with a \r, stays as it was read (pass 2 matches it again)
                    kept.append(Block([t if m is None else m for t, m in zip(block.lines, matches, strict=True)],
                                      block.size, block.first, block.spans))
                else:
                    kept = None
        if kept is not None:
            self._kept[inp.name] = kept
        self._fitted.add(inp.name)

    # -- pass 2 -------------------------------------------------------------------------------------
    def parse(self, source: Source, *, on_chunk: Callable[[bytes], None] | None = None) -> Iterator[ParsedLine]:
        """The record of every line of ``source``, in order (see the class docstring).

        ``on_chunk`` is called with the raw bytes of each chunk the emit pass reads (for a file read twice,
        the second reading): a caller gets the input's exact bytes (to archive them, say) from the pass that
        yields the parsed lines, without reading it again.
        """
        for block in self.parse_blocks(source, record_maker, on_chunk=on_chunk):
            yield from block

    def parse_blocks(
        self,
        source: Source,
        maker: Callable[[str, LineFormat, Callable[[str], str]], Maker[T]],
        *,
        on_chunk: Callable[[bytes], None] | None = None,
    ) -> Iterator[list[T]]:
        """What :meth:`parse` gives, a block at a time, each line's output written by ``maker(source name,
        format, template_id)`` (see :mod:`logkit.parse.emit`): records, or a writer's text of them."""
        keep = (lambda m: _apply_keep(m, self.keep)) if self.keep else None
        if not self.trained:  # an untrained parser mines every input it can read twice first, then emits them all
            replayable = [inp for inp in source.inputs if inp.replayable]
            for inp in replayable:
                self._fit_one(inp)
            self.trained = bool(replayable)
        for inp in source.inputs:
            before = self.stats.lines
            self.clock.reference = inp.written_at()  # year-less dates: the year the file was written
            if inp.name in self._fitted:
                fmt = self._formats[inp.name]
                kept = self._kept.pop(inp.name, None)
                blocks: Iterable[Block] = kept if kept is not None and on_chunk is None else \
                    self._joined(inp.blocks(on_chunk, self.encoding), fmt)
                match = self.miner.match
                blocks = self._reported(blocks, "writing")
            elif inp.replayable:  # a trained parser: the lines are matched to what it learnt (a line no template
                # fits is learnt), in one pass, so the templates stay those of training (ids included)
                fmt = self._choose_format(_head(inp, self.encoding), inp.name)
                blocks = self._reported(self._joined(inp.blocks(on_chunk, self.encoding), fmt), "writing")
                match = self.miner.match
            else:  # read once: the format from the first lines, then every line learnt as it comes
                head = inp.existing_head(SAMPLE_LINES)
                if head and inp.name not in self._formats:
                    self._choose_format(head, inp.name)
                blocks, fmt = self._stream_head(inp.blocks(on_chunk, self.encoding), inp.name)
                blocks = self._joined(blocks, fmt)
                match = self.miner.add
            yield from emit_blocks(blocks, fmt, match, self.counts, keep, maker(inp.name, fmt, self._ids),
                                   self.stats)
            self.stats.per_source[inp.name] = self.stats.per_source.get(inp.name, 0) + self.stats.lines - before

    def _stream_head(self, blocks: Iterator[Block], name: str) -> tuple[Iterator[Block], LineFormat]:
        """The format of an input read once, and its blocks again: with ``auto`` (and no format known yet) the
        lines up to :data:`STREAM_SAMPLE_LINES`, or those come within :data:`STREAM_SAMPLE_SECONDS` of the first
        one, decide it; with a given format the first block does."""
        known = self._formats.get(name) or self._state_fmt
        want = STREAM_SAMPLE_LINES if self.format_spec == "auto" and known is None else 1
        head: list[Block] = []
        n = 0
        started: float | None = None
        for block in blocks:  # a quiet standard input gives empty blocks: the clock is read then too
            head.append(block)
            n += len(block.lines)
            if n and started is None:
                started = time.monotonic()
            if n >= want or (started is not None and time.monotonic() - started >= STREAM_SAMPLE_SECONDS):
                break
        sample = [t for b in head for t in b.lines][:SAMPLE_LINES]
        fmt = self._choose_format(sample, name)
        return itertools.chain(head, blocks), fmt

    # -- templates and state ---------------------------------------------------------------------
    def templates(self) -> list[TemplateInfo]:
        """Templates emitted so far (with earlier runs' counts when a state was loaded), most frequent first."""
        ids = self._ids
        out = [TemplateInfo(ids(t), t, c, ex) for t, (c, ex) in self.counts.counts.items()]
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


def _head(inp: Input, encoding: str | None) -> list[str]:
    """The first :data:`SAMPLE_LINES` lines of an input that can be read twice (to choose its format)."""
    out: list[str] = []
    for block in inp.blocks(encoding=encoding):
        out.extend(block.lines[: SAMPLE_LINES - len(out)])
        if len(out) >= SAMPLE_LINES:
            break
    return out


def parse(inputs: str | Sequence[str], **options: Any) -> Iterator[ParsedLine]:
    """Parse files (or ``-``) with a new :class:`Parser`; ``options`` are its keyword arguments."""
    return Parser(**options).parse(Source.paths(inputs))


def parse_lines(lines: Iterable[bytes | str], **options: Any) -> list[ParsedLine]:
    """Parse in-memory lines (without their ``\\n``) like a file (mine, then emit); returns the records."""
    return list(Parser(**options).parse(Source.lines(list(lines))))
