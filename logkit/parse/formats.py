"""Header formats: split a raw line into header fields and the message content.

A format is written in the Loghub notation, ``'<Date> <Time> <Level> <Component>: <Content>'``: each
``<Name>`` is a field, the text between them is a regular expression piece (so ``\\[`` and ``(...)?`` work
as in Loghub's format strings), and ``<Content>`` is the message. A field may carry its own pattern,
``<Pid:\\d+>`` (no ``<``/``>`` inside, and no groups): the auto-detected formats use that to stay precise.
``json`` reads one JSON object per line (:class:`JsonFormat`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

from logkit.errors import FormatError
from logkit.parse.fastrec import new_log_record
from logkit.parse.timestamps import Clock
from logkit.records import LogRecord, RawLine, decode

__all__ = ["HeaderFormat", "NoFormat", "JsonFormat", "LineFormat", "compile_format", "resolve_format",
           "display_spec", "quoted_spec", "MESSAGE_KEYS"]

_FIELD = re.compile(r"<([A-Za-z_][A-Za-z0-9_]*)(?::((?:[^<>\\]|\\.)*))?>")
_EMPTY: Mapping[str, str] = MappingProxyType({})
_NO_RAW = RawLine("", 0, b"")
MESSAGE_KEYS = ("message", "msg", "log", "event", "text", "@message", "body", "Message", "MESSAGE",
                "short_message")


def _strip_cr(text: str) -> str:
    return text[:-1] if text.endswith("\r") else text


def display_spec(spec: str) -> str:
    """The spec with per-field patterns removed: ``<Pid:\\d+>`` -> ``<Pid>`` (for messages)."""
    return _FIELD.sub(lambda m: f"<{m.group(1)}>", spec)


def quoted_spec(spec: str) -> str:
    """:func:`display_spec` quoted for a shell, so it can be pasted after ``--format`` as it is printed
    (``'\\[<Time>\\] <Content>'``: single quotes, backslashes single, not the doubled ones of ``repr``)."""
    import shlex

    return shlex.quote(display_spec(spec))


class LineFormat:
    """Base of every format: turns a :class:`RawLine` into a :class:`LogRecord`.

    A format reads timestamps with its :class:`~logkit.parse.timestamps.Clock`; a parser takes its own copy
    (:meth:`with_clock`), so what one parser remembers never leaks into another.
    """

    spec: str = "none"
    fields: tuple[str, ...] = ()
    clock: Clock | None = None

    def with_clock(self, clock: Clock) -> LineFormat:
        """This format reading its timestamps with ``clock`` (a copy; the compiled patterns are shared)."""
        return self

    def split(self, raw: RawLine) -> LogRecord:
        """The record of one line; a line the format does not match keeps the whole line as content."""
        return LogRecord(raw=raw, fields=_EMPTY, content=_strip_cr(decode(raw.data)), timestamp=None)

    def matches(self, raw: RawLine) -> bool:
        """Whether the header matches this line."""
        return False


class NoFormat(LineFormat):
    """``--format none``: the whole line is the content."""

    def matches(self, raw: RawLine) -> bool:
        return True


class HeaderFormat(LineFormat):
    """A compiled Loghub-notation header format; ``split`` fills the timestamp from the header fields."""

    def __init__(self, spec: str, fields: tuple[str, ...], regex: re.Pattern[str],
                 lazy: re.Pattern[str] | None = None, clock: Clock | None = None) -> None:
        self.spec = spec
        self.clock: Clock = clock if clock is not None else Clock()
        self.fields = fields
        self.regex = regex
        self.lazy = lazy
        # ``match`` is what every caller uses: ``regex``, and where it is the fast form of the spec's lazy
        # pattern (see the note above _plain), the lazy pattern for a line the fast one does not match
        self.match: Callable[[str], re.Match[str] | None] = (
            regex.match if lazy is None else _either(regex.match, lazy.match)
        )
        index = regex.groupindex
        # header fields in the order of their groups (as ``groupdict`` gives them), Content apart
        self.field_names = tuple(sorted((n for n in index if n != "Content"), key=index.__getitem__))
        self._content = index["Content"]
        self.stamp = self.clock.reader(self.field_names)  # header fields -> timestamp (or None)
        # what the JSONL emit pass reads from a match's groups(): the content's and the fields' positions, and
        # the fields' timestamp as JSON text
        self.content_pos = self._content - 1
        self.field_pos = tuple(index[n] - 1 for n in self.field_names)
        self.stamp_json = self.clock.json_reader(self.field_names, dict(zip(self.field_names, self.field_pos,
                                                                            strict=True)))

    def with_clock(self, clock: Clock) -> HeaderFormat:
        return HeaderFormat(self.spec, self.fields, self.regex, self.lazy, clock)

    def split(self, raw: RawLine) -> LogRecord:
        text = _strip_cr(decode(raw.data))
        m = self.match(text)
        if m is None:
            return new_log_record(raw, _EMPTY, text, None, 0)
        # every named group, in group order, "" for those that did not take part; Content leaves the dict
        fields = m.groupdict("")
        content = fields.pop("Content")
        start = m.start(self._content)
        if start < 0:
            start = len(text)
        return new_log_record(raw, fields, content, self.stamp(fields) if fields else None, start)

    def matches(self, raw: RawLine) -> bool:
        return self.match(_strip_cr(decode(raw.data))) is not None


class JsonFormat(LineFormat):
    """One JSON object per line: the first message key present is the content, other scalars are fields.

    Values that are not strings are written as JSON (``true``, ``3``, ``null``); nested objects and
    lists are left out of ``fields``. The timestamp comes from ``time``/``timestamp``/``ts``/
    ``@timestamp`` (ISO text or epoch numbers). A line that is not a JSON object keeps the whole line
    as content. ``content_start`` is where the message text appears verbatim in the line, else 0.
    """

    def __init__(self, message_keys: Sequence[str] = MESSAGE_KEYS, clock: Clock | None = None) -> None:
        self.clock: Clock = clock if clock is not None else Clock()
        self.message_keys = tuple(message_keys)
        self.spec = "json" if self.message_keys == MESSAGE_KEYS else "json:" + ",".join(self.message_keys)
        self.fields = ()

    def with_clock(self, clock: Clock) -> JsonFormat:
        return JsonFormat(self.message_keys, clock)

    def _load(self, text: str) -> dict[str, object] | None:
        if not text.lstrip().startswith("{"):
            return None
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError):
            return None
        return obj if isinstance(obj, dict) else None

    def split(self, raw: RawLine) -> LogRecord:
        text = _strip_cr(decode(raw.data))
        rec = self.split_text(text, raw)
        return rec if rec is not None else LogRecord(raw=raw, fields=_EMPTY, content=text, timestamp=None)

    def split_text(self, text: str, raw: RawLine | None = None) -> LogRecord | None:
        """The record of a line's text (without its ``\\r``), or None when it is not a JSON object."""
        obj = self._load(text)
        if obj is None:
            return None
        msg_key = next((k for k in self.message_keys if k in obj and isinstance(obj[k], str)), None)
        fields: dict[str, str] = {}
        for key, value in obj.items():
            if key == msg_key:
                continue
            if isinstance(value, str):
                fields[key] = value
            elif value is None or isinstance(value, bool | int | float):
                fields[key] = json.dumps(value)
        if msg_key is None:
            content = text
            start = 0
        else:
            content = str(obj[msg_key])
            start = max(text.find(content), 0) if content else 0
        return LogRecord(raw=raw if raw is not None else _NO_RAW, fields=fields, content=content,
                         timestamp=self.clock.parse_fields(fields), content_start=start)

    def matches(self, raw: RawLine) -> bool:
        return self._load(_strip_cr(decode(raw.data))) is not None


def _piece(sep: str) -> str:
    # a run of spaces in the spec matches one or more spaces in the line (Loghub's convention)
    return re.sub(r" +", lambda _m: r"\s+", sep)


def _either(fast: Callable[[str], re.Match[str] | None],
            slow: Callable[[str], re.Match[str] | None]) -> Callable[[str], re.Match[str] | None]:
    def match(text: str) -> re.Match[str] | None:
        m = fast(text)
        return m if m is not None else slow(text)

    return match


# A field without a pattern of its own is Loghub's lazy ``.*?``. In the head of a spec where such fields are
# each followed by whitespace and separated by plain text, the header regex writes each field ``\S*`` and
# each run of whitespace ``\s++`` (taken whole, never given back). That head then splits a line in one way
# only: the way the lazy pattern tries first (each field up to the first whitespace, each run of
# whitespace whole); the rest of the spec is the same in both. So where the fast regex matches, it matches
# as the lazy one does, in a fraction of the time; where it does not, the lazy pattern decides
# (HeaderFormat.match).
_PLAIN = re.compile(r"(?:\\s\+|\\[^A-Za-z0-9]|[^\\()\[\]{}?*+|.^$])*")


def _plain(piece: str) -> bool:
    """Whether a separator's pattern is fixed text and runs of whitespace only (no choices in it)."""
    return _PLAIN.fullmatch(piece) is not None


def compile_format(spec: str) -> LineFormat:
    """Compile a Loghub-notation header spec (``none`` gives :class:`NoFormat`, ``json`` :class:`JsonFormat`).

    ``json:key1,key2`` names the message keys to look for, in order.

    Raises :class:`FormatError` when the spec has no ``<Content>``, repeats a field, or is not a valid
    regular expression.
    """
    low = spec.strip().lower()
    if low == "none":
        return NoFormat()
    if low == "json":
        return JsonFormat()
    if low.startswith("json:"):
        keys = [k.strip() for k in spec.strip()[5:].split(",") if k.strip()]
        if not keys:
            raise FormatError(f"--format {spec!r} names no message key; write e.g. 'json:msg,message'")
        return JsonFormat(keys)
    found = list(_FIELD.finditer(spec))
    names = [m.group(1) for m in found]
    if "Content" not in names:
        raise FormatError(
            f"--format {spec!r} has no <Content> field; end it with '<Content>' (or use --format none)"
        )
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise FormatError(f"--format {spec!r} names {', '.join(dup)} twice; give each field once")
    lazy: list[str] = []  # Loghub's pattern: every field without its own pattern is lazy (.*?)
    fast: list[str] = []  # the same matches, faster (see the note above _plain)
    seps = [spec[: found[0].start()]] + [spec[a.end() : b.start()] for a, b in zip(found, found[1:], strict=False)]
    seps.append(spec[found[-1].end() :])
    pieces = [_piece(sep) for sep in seps]  # the separators before, between and after the fields
    head = True  # still in the head of the spec that the fast regex splits in one way only
    for k, piece in enumerate(pieces):
        head = head and _plain(piece)
        lazy.append(piece)
        fast.append(piece.replace(r"\s+", r"\s++") if head else piece)
        if k == len(found):
            break
        name, own = found[k].group(1), found[k].group(2)
        if own:
            field = f"(?P<{name}>{own})"
        else:
            field = f"(?P<{name}>.*)" if name == "Content" else f"(?P<{name}>.*?)"
        lazy.append(field)
        head = head and not own and name != "Content" and pieces[k + 1].startswith(r"\s+")
        fast.append(f"(?P<{name}>\\S*)" if head else field)
    pattern = "^" + "".join(fast) + "$"
    lazy_pattern = "^" + "".join(lazy) + "$"
    try:
        regex = re.compile(pattern, re.DOTALL)
        slow = re.compile(lazy_pattern, re.DOTALL) if lazy_pattern != pattern else None
    except re.error as exc:
        raise FormatError(
            f"--format {spec!r} is not a valid pattern ({exc}); escape [ ] ( ) with \\"
        ) from None
    return HeaderFormat(spec=spec, fields=tuple(names), regex=regex, lazy=slow)


def resolve_format(spec: str, sample: Sequence[RawLine]) -> tuple[LineFormat, str]:
    """The format for ``--format SPEC`` and a one-line reason: ``auto`` detects it from ``sample``.

    See :func:`logkit.parse.autodetect.resolve_format`.
    """
    from logkit.parse.autodetect import resolve_format as _resolve

    return _resolve(spec, sample)
