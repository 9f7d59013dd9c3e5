"""``--format auto``: pick the header format that fits the first lines of a log, and say why in one line.

The candidates are general header shapes written in the Loghub notation, each field narrowed by its own
pattern (``<Level:...>``) so that a loose header cannot win by swallowing the message.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from logkit.parse.formats import (
    MESSAGE_KEYS,
    HeaderFormat,
    JsonFormat,
    LineFormat,
    NoFormat,
    compile_format,
    quoted_spec,
)
from logkit.records import RawLine, decode

__all__ = ["resolve_format", "detect_format", "candidates", "SAMPLE_LINES", "Candidate"]

SAMPLE_LINES = 200
_CONTINUATION = ("Caused by:", "Traceback (most recent call last)", "at ", "... ")
MIN_SHARE = 0.5  # a header must fit at least half the non-empty sample lines
NEAR_BEST = 0.95  # candidates matching this share of the best match count compete on fields

_LEVEL = (r"(?i:trace|debug|dbg|info|information|informational|notice|note|warn|warning|error|err|crit|"
          r"critical|fatal|severe|alert|emerg|emergency|panic|fine|finer|finest|config|verbose|failure)")
_DATE = r"\d{4}-\d\d-\d\d|\d{4}/\d\d/\d\d|\d{4}\.\d\d\.\d\d|\d\d/\d\d/\d\d(?:\d\d)?|\d{6}|\d{8}"
_TIME = r"\d\d:\d\d:\d\d(?:[.,:]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?|\d{6}"
_STAMP = (r"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:[.,]\d{1,9})?)?(?:Z|[+-]\d\d:?\d\d)?"
          r"|\d{8}-\d\d?:\d\d?:\d\d?(?:[:.,]\d{1,9})?"
          r"|\d{4}-\d\d-\d\d-\d\d\.\d\d\.\d\d(?:\.\d{1,9})?")
_BRACKET_STAMP = r"[^\[\]]*\d\d?:\d\d(?::\d\d)?[^\[\]]*"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
_TOKEN = r"\S+"
_NOT_LEVEL_TOKEN = r"(?!" + _LEVEL + r"\s)\S+"

_L = f"<Level:{_LEVEL}>"

# (name, spec after the time prefix, including its separator)
_BODIES: list[tuple[str, str]] = [
    ("pid + level + component", f" <Pid:\\d+> {_L} <Component:{_TOKEN}>: <Content>"),
    ("level + [thread] + component", f" {_L} \\[<Thread>\\] <Component:{_TOKEN}>: <Content>"),
    ("- level [thread] -", f" - {_L} \\[<Thread>\\] - <Content>"),
    ("- component - level -", f" - <Component:{_TOKEN}> - {_L} - <Content>"),
    ("level + component", f" {_L} <Component:{_TOKEN}>: <Content>"),
    ("level + [thread]", f" {_L} \\[<Thread>\\] <Content>"),
    ("[level] + component", f" \\[{_L}\\] <Component:{_TOKEN}>: <Content>"),
    ("[level]", f" \\[{_L}\\] <Content>"),
    ("level", f" {_L}:? <Content>"),
    ("message", " <Content>"),
]
_PIPE_BODIES: list[tuple[str, str]] = [
    ("|component|pid|", "\\|<Component:[^|]*>\\|<Pid:\\d+>\\|<Content>"),
    ("|level|component|", f"\\|{_L}\\|<Component:[^|]*>\\|<Content>"),
    ("|level|", f"\\|{_L}\\|<Content>"),
    ("|component|", "\\|<Component:[^|]*>\\|<Content>"),
]
_PREFIXES: list[tuple[str, str]] = [
    ("date time", f"<Date:{_DATE}> <Time:{_TIME}>"),
    ("ISO timestamp", f"<Timestamp:{_STAMP}>"),
    ("[timestamp]", f"\\[<Timestamp:{_BRACKET_STAMP}>\\]"),
]
_OTHERS: list[tuple[str, str]] = [
    ("syslog", f"(<<Pri:\\d{{1,3}}>>)?<Month:{_MONTH}> <Day:\\d{{1,2}}> <Time:{_TIME}> "
               f"<Host:{_NOT_LEVEL_TOKEN}> <Component>(\\[<Pid:\\d+>\\])?: <Content>"),
    ("syslog without program", f"(<<Pri:\\d{{1,3}}>>)?<Month:{_MONTH}> <Day:\\d{{1,2}}> <Time:{_TIME}> "
                               f"<Host:{_NOT_LEVEL_TOKEN}> <Content>"),
    ("syslog (RFC 5424)", f"<<Pri:\\d{{1,3}}>><Version:\\d{{1,2}}> <Timestamp:{_STAMP}|-> <Host:{_TOKEN}> "
                          f"<App:{_TOKEN}> <ProcId:{_TOKEN}> <MsgId:{_TOKEN}> "
                          "<StructuredData:-|(?:\\[(?:[^\\]\"]|\"(?:[^\"\\\\]|\\\\.)*\")*\\])+> <Content>"),
    ("syslog with ISO timestamp", f"<Timestamp:{_STAMP}> <Host:{_NOT_LEVEL_TOKEN}> "
                                  "<Component:[^\\s\\[:]+>(\\[<Pid:\\d+>\\])?: <Content>"),
    ("epoch + date + node + datetime + level",
     f"<Label:{_TOKEN}> <Epoch:\\d{{9,10}}> <Date:{_DATE}> <Node:{_TOKEN}> <Time:{_STAMP}> "
     f"<NodeRepeat:{_TOKEN}> <Type:{_TOKEN}> <Component:{_TOKEN}> {_L} <Content>"),
    ("access log (common/combined)",
     "<Client:[\\w.:-]+> <Ident:\\S+> <User:\\S+> \\[<Time:\\d\\d?/\\w{3}/\\d{4}:\\d\\d:\\d\\d:\\d\\d"
     "(?: [+-]\\d{4})?>\\] <Content>"),
    ("level:component:", f"{_L}:<Component:[\\w.$-]+>:<Content>"),
    ("[level] component:", f"\\[{_L}\\] <Component:{_TOKEN}>: <Content>"),
    ("level [component]", f"{_L} \\[<Component:[^\\]]*>\\] <Content>"),
    ("[level]", f"\\[{_L}\\] <Content>"),
    ("level", f"{_L}:? <Content>"),
]


@dataclass(frozen=True)
class Candidate:
    """One header shape that auto-detection tries."""

    name: str
    format: HeaderFormat
    order: int


@functools.cache
def candidates() -> list[Candidate]:
    """The header shapes tried by ``--format auto``, most specific first (compiled once)."""
    return [_compiled(i, name, spec) for i, (name, spec, _family) in enumerate(_specs())]


def _specs() -> list[tuple[str, str, int]]:
    """(name, spec, family) of every candidate in order; family -1 stands alone, else a prefix index."""
    specs: list[tuple[str, str, int]] = [(n, sp, -1) for n, sp in _OTHERS[:6]]
    for k, (pname, prefix) in enumerate(_PREFIXES):
        specs += [(f"{pname} + {bname}", prefix + body, k) for bname, body in _BODIES]
        if pname != "date time":
            specs += [(f"{pname} {bname}", prefix + body, k) for bname, body in _PIPE_BODIES]
    specs += [(n, sp, -1) for n, sp in _OTHERS[6:]]
    return specs


@functools.cache
def _compiled(i: int, name: str, spec: str) -> Candidate:
    """Candidate ``i``, compiled on first use and kept (a constant: the parser that picks it reads
    timestamps with its own copy, :meth:`~logkit.parse.formats.LineFormat.with_clock`)."""
    fmt = compile_format(spec)
    assert isinstance(fmt, HeaderFormat)
    return Candidate(name, fmt, i)


def _tokens_begin(k: int, test: Callable[[str], bool]) -> Callable[[str], bool]:
    """A line whose (k+1)-th whitespace-separated word passes ``test`` (``\\s`` and ``str.split`` agree)."""
    def gate(text: str) -> bool:
        words = text.split(None, k)
        return len(words) > k and test(words[k])

    return gate


def _first_char(test: Callable[[str], bool]) -> Callable[[str], bool]:
    return lambda text: test(text[:1])


@functools.cache
def _level_start() -> Callable[[str], re.Match[str] | None]:
    return re.compile(r"\[?" + _LEVEL).match  # compiled on first use


def _level_first(text: str) -> bool:
    return _level_start()(text) is not None


# What a line must show for a candidate (by name), or for every candidate of a timestamp prefix family (by
# family), to match it at all: tests that cost nothing to set up, so that a candidate no sample line can
# match is not compiled (compiling one costs 0.5-1 ms). Each follows from the start of the candidate's
# pattern: ``\d`` is ``str.isdecimal``, ``\s`` is what ``str.split`` splits on.
_GATES: dict[str, Callable[[str], bool]] = {
    "syslog (RFC 5424)": _first_char(lambda c: c == "<"),
    "syslog with ISO timestamp": _first_char(str.isdecimal),
    "epoch + date + node + datetime + level": _tokens_begin(1, lambda w: w[:9].isdecimal() and len(w) >= 9),
    "access log (common/combined)": _tokens_begin(3, lambda w: w[:1] == "["),
    "level:component:": _level_first,
    "[level] component:": _level_first,
    "level [component]": _level_first,
    "[level]": _level_first,
    "level": _level_first,
}
_FAMILY_GATES: dict[int, Callable[[str], bool]] = {
    0: _first_char(str.isdecimal),  # date time: every _DATE begins with a digit
    1: _first_char(str.isdecimal),  # ISO timestamp: every _STAMP too
    2: _first_char(lambda c: c == "["),  # [timestamp]
}


def _fitting(texts: list[str]) -> list[Candidate]:
    """The candidates that may match one of ``texts``, in order; a family of candidates sharing a
    timestamp prefix is compiled only when that prefix fits a line (compiling costs start-up time), and a
    candidate whose gate (:data:`_GATES`) no line passes is not compiled at all."""
    fits: dict[int, bool] = {}
    out = []
    for i, (name, spec, family) in enumerate(_specs()):
        gate = _GATES.get(name)
        if gate is not None and not any(map(gate, texts)):
            continue
        if family >= 0:
            family_gate = _FAMILY_GATES.get(family)
            if family_gate is not None and family not in fits and not any(map(family_gate, texts)):
                fits[family] = False
            if family not in fits:
                head = compile_format(_PREFIXES[family][1] + "<Content>")
                assert isinstance(head, HeaderFormat)
                fits[family] = any(head.match(t) is not None for t in texts)
            if not fits[family]:
                continue
        out.append(_compiled(i, name, spec))
    return out


def _texts(sample: Sequence[RawLine]) -> list[str]:
    out = []
    for raw in sample:
        text = decode(raw.data)
        if text.endswith("\r"):
            text = text[:-1]
        if text.strip():
            out.append(text)
    return out


def _json_share(texts: list[str]) -> tuple[int, str | None]:
    fmt = JsonFormat()
    keys: Counter[str] = Counter()
    n = 0
    for text in texts:
        obj = fmt._load(text)
        if obj is None:
            continue
        n += 1
        key = next((k for k in MESSAGE_KEYS if isinstance(obj.get(k), str)), None)
        if key is not None:
            keys[key] += 1
    return n, (keys.most_common(1)[0][0] if keys else None)


def detect_format(sample: Sequence[RawLine]) -> tuple[LineFormat, str]:
    """Detect the header format of ``sample`` (the first lines of a log); see :func:`resolve_format`."""
    texts = _texts(sample[:SAMPLE_LINES])
    total = len(texts)
    if total == 0:
        return NoFormat(), "none: no non-empty lines to detect a format from; each line is its own content"
    n_json, key = _json_share(texts)
    if n_json >= max(1, 0.9 * total):
        what = f"message key {key!r}" if key else "no message key found: the whole line is the content"
        return JsonFormat(), f"json: {n_json} of {total} lines are JSON objects ({what})"
    scored: list[tuple[Candidate, int, int]] = []
    for cand in _fitting(texts):
        match = cand.format.match
        n = 0
        nfields = 0
        for text in texts:
            m = match(text)
            if m is not None:
                n += 1
                nfields += sum(1 for k, v in m.groupdict().items() if v and k != "Content")
        if n:
            scored.append((cand, n, nfields))
    best_n = max((n for _, n, _ in scored), default=0)
    # continuation lines (stack frames, wrapped text) start with white space: they never carry a header
    starts = total - sum(1 for t in texts if t[:1].isspace() or t.startswith(_CONTINUATION))
    if best_n < MIN_SHARE * max(starts, 1):
        hint = ""
        if scored:
            top = max(scored, key=lambda s: (s[1], -s[0].order))
            hint = f" (closest: {top[0].name}, {top[1]} lines)"
        return NoFormat(), (
            f"none: no known header fits more than {best_n} of {total} lines{hint}; each line is its own "
            "content (give --format SPEC to split headers)"
        )
    near = [s for s in scored if s[1] >= NEAR_BEST * best_n]
    # most fields per matched line (tenths), then most lines, then the more specific (earlier) candidate
    cand, n, nfields = max(near, key=lambda s: (round(10 * s[2] / s[1]), s[1], -s[0].order))
    return cand.format, (
        f"{cand.name}: {n} of {total} lines match {quoted_spec(cand.format.spec)}"
    )


def resolve_format(spec: str, sample: Sequence[RawLine]) -> tuple[LineFormat, str]:
    """The format for ``--format SPEC`` and a one-line human reason.

    Parameters
    ----------
    spec
        ``auto`` (detect from ``sample``), ``none`` (whole line is the content), ``json``, or a
        Loghub-notation header spec.
    sample
        The first lines of the input (up to :data:`SAMPLE_LINES` are looked at).

    Returns
    -------
    (LineFormat, str)
        The format, and e.g. ``"syslog: 198 of 200 lines match '<Month> <Day> <Time> <Host> ...'"``.
        When nothing fits well, :class:`NoFormat` with the reason.

    Raises
    ------
    FormatError
        A given spec is invalid (no ``<Content>``, a repeated field, a bad regular expression).
    """
    low = spec.strip().lower()
    if low == "auto":
        return detect_format(sample)
    fmt = compile_format(spec)
    if isinstance(fmt, NoFormat):
        return fmt, "none: each line is its own content (--format none)"
    texts = _texts(sample[:SAMPLE_LINES])
    if not texts:
        return fmt, f"given: {quoted_spec(fmt.spec)}"
    n = sum(1 for t in texts if fmt.matches(RawLine("", 0, t.encode("utf-8", "surrogateescape"))))
    return fmt, f"given: {n} of {len(texts)} lines match {quoted_spec(fmt.spec)}"
