"""Grep inside an archive: skip blocks and templates that cannot hold a match, rebuild only the rest.

A pattern's required literals (the pattern itself with ``-F``; for ``-E`` the plain runs outside groups,
classes and alternations) are turned into template form (digit runs become slots, and a hex run may be
a hex-word slot). A template without
all of them cannot produce a matching line; a block with no such template is not even unpacked.
The candidate lines are then matched with the full regular expression, as ``grep -E`` would.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from logkit.compress.api import checked_blocks
from logkit.compress.archive import BlockInfo
from logkit.compress.columns import RAW, block_text, build_lines, decode_block, read_templates, template_rows
from logkit.compress.slots import (
    Alignment,
    Budget,
    Form,
    OverBudget,
    RowFinder,
    alignments,
    candidate_lines,
    literal_forms,
)
from logkit.errors import ArchiveError, UsageError
from logkit.records import encode

__all__ = ["GrepHit", "compile_pattern", "required_literals", "grep_archive"]

_POSIX = {
    "[:digit:]": "0-9",
    "[:alpha:]": "A-Za-z",
    "[:alnum:]": "A-Za-z0-9",
    "[:upper:]": "A-Z",
    "[:lower:]": "a-z",
    "[:space:]": " \\t\\r\\n\\v\\f",
    "[:blank:]": " \\t",
    "[:xdigit:]": "0-9A-Fa-f",
    "[:punct:]": "!-/:-@\\[-`{-~",
}
_SPECIAL = set(".[](){}*+?|^$\\")
_DIGITS = re.compile(rb"[0-9]+")
_HEX_RUN = re.compile(rb"[0-9a-fA-F]+")


@dataclass(frozen=True, slots=True)
class GrepHit:
    """One matching line: its 1-based number in the decompressed output and its bytes (no ``\\n``)."""

    line_no: int
    line: bytes


def compile_pattern(pattern: str, *, fixed: bool = False, ignore_case: bool = False) -> re.Pattern[bytes]:
    """The bytes regex for a grep pattern (``-E`` syntax, or a fixed string with ``fixed``)."""
    flags = re.IGNORECASE if ignore_case else 0
    alternatives = pattern.split("\n")
    if fixed:
        body = b"|".join(re.escape(encode(a)) for a in alternatives)
    else:
        text = "|".join(f"(?:{a})" for a in alternatives) if len(alternatives) > 1 else pattern
        for posix, cls in _POSIX.items():
            text = text.replace(posix, cls)
        body = encode(text)
    try:
        return re.compile(body, flags)
    except re.error as exc:
        raise UsageError(f"invalid pattern {pattern!r} ({exc}); escape special characters, or use -F") \
            from None


def required_literals(pattern: str, *, fixed: bool = False, wild: bool = False) -> list[bytes]:
    """Literal strings every matching line must contain (may be empty: then nothing is skipped).

    With ``wild``, a ``.`` of an extended pattern stays in its literal as a ``\x00`` byte (any byte there)
    instead of ending it (not when the pattern holds a NUL itself).
    """
    if "\n" in pattern:
        return []
    wild = wild and not fixed and "\x00" not in pattern
    if fixed:
        return [encode(pattern)] if pattern else []
    out: list[bytes] = []
    run: list[str] = []
    depth = 0
    i = 0

    def close() -> None:
        if run:
            out.append(encode("".join(run)))
            run.clear()

    while i < len(pattern):
        c = pattern[i]
        nxt = pattern[i + 1] if i + 1 < len(pattern) else ""
        if c == "|" and depth == 0:
            return []  # alternation at the top: no literal is required
        if c == "(":
            depth += 1
            close()
        elif c == ")":
            depth = max(0, depth - 1)
            close()
        elif depth:
            if c == "\\":
                i += 1
        elif c == "[":
            close()
            j = i + 1
            if j < len(pattern) and pattern[j] == "^":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                j += 1
            while j < len(pattern) and pattern[j] != "]":
                j += 2 if pattern[j : j + 2] == "[:" and pattern.find(":]", j) > 0 else 1
                if pattern[j - 2 : j] == "[:":
                    j = pattern.find(":]", j) + 2
            i = j
        elif c in "*?{":
            if run:
                run.pop()  # the character before is optional
            close()
            if c == "{":
                i = pattern.find("}", i) if "}" in pattern[i:] else len(pattern)
        elif c == "+":
            close()
        elif c == "." and wild and nxt not in ("*", "?", "{"):
            run.append("\x00")
        elif c in ".^$":
            close()
        elif c == "\\":
            if nxt and not nxt.isalnum():
                if i + 2 < len(pattern) and pattern[i + 2] in "*?{":
                    close()
                else:
                    run.append(nxt)
                i += 1
            else:
                close()
                i += 1
        else:
            if nxt in ("*", "?", "{"):
                close()
            else:
                run.append(c)
        i += 1
    close()
    return [lit for lit in out if lit]


def _template_tests(literals: list[bytes], ignore_case: bool) -> list[re.Pattern[bytes]]:
    """Regexes over template text: a digit run of a literal may sit in one or more slots."""
    tests = []
    for lit in literals:
        parts: list[bytes] = []
        pos = 0
        for m in _HEX_RUN.finditer(lit):
            parts.append(_digit_form(lit[pos : m.start()]))
            form = _digit_form(m.group())
            # a hex run not glued to other letters or digits may be (part of) a hex-word slot
            if not lit[m.start() - 1 : m.start()].isalnum() and not lit[m.end() : m.end() + 1].isalnum():
                form = b"(?:" + form + b"|\x01)"
            parts.append(form)
            pos = m.end()
        parts.append(_digit_form(lit[pos:]))
        tests.append(re.compile(b"".join(parts), re.IGNORECASE if ignore_case else 0))
    return tests


def _digit_form(text: bytes) -> bytes:
    """A literal piece as template text: each digit run may span one or more slots."""
    return b"\x01+".join(re.escape(p) for p in _DIGITS.split(text))


def grep_archive(
    archive: str,
    pattern: str,
    *,
    fixed: bool = False,
    ignore_case: bool = False,
    data: bytes | None = None,
) -> Iterator[GrepHit]:
    """Yield the lines of ``archive`` that match ``pattern``, in order, with their line numbers.

    ``data`` may hold the archive's bytes already (the in-memory twin). Raises :class:`ArchiveError`
    naming the damaged block, or :class:`UsageError` for a bad pattern.
    """
    regex = compile_pattern(pattern, fixed=fixed, ignore_case=ignore_case)
    # the whole text of a block is searched at once when no construct can see past a line's end
    safe = fixed or not any(x in pattern for x in ("(?", "\\A", "\\Z"))
    text_regex = re.compile(regex.pattern, regex.flags | re.MULTILINE) if safe else None
    tests = _template_tests(required_literals(pattern, fixed=fixed), ignore_case)
    forms = [f for lit in required_literals(pattern, fixed=fixed, wild=True)
             if (f := literal_forms(lit, ignore_case)) is not None]
    first = 1
    with checked_blocks(archive, data=data) as blocks:
        for info in blocks:
            try:
                pairs = _candidates(info, tests, forms) if tests or forms else None
                text = None if pairs is not None else block_text(decode_block(info.payload))
            except ArchiveError:
                raise
            except Exception:
                raise ArchiveError(f"{archive}: block {info.number} is damaged (cannot be decoded)") from None
            found: Iterable[tuple[int, bytes]] = pairs or ()
            if text is not None and text_regex is not None:
                found = _scan_text(text, text_regex, regex) if info.n_lines else ()
            elif text is not None:
                found = enumerate(text.split(b"\n") if info.n_lines else [])
            search = regex.search
            for i, line in found:
                if search(line):
                    yield GrepHit(first + i, line)
            first += info.n_lines


ALIGN_BUDGET = 2  # lines of a block per place a literal may sit before rows are not filtered (a full pass is cheaper)


def _scan_text(text: bytes, text_regex: re.Pattern[bytes], regex: re.Pattern[bytes]) -> Iterator[tuple[int, bytes]]:
    """``(index, line)`` of the lines of ``text`` (joined by ``\n``) holding a match, found by searching
    the whole text: a match that runs past a line's end is checked on its line alone (``regex``), and
    the search goes on from the next line."""
    pos = line_no = 0
    end = len(text)
    while pos <= end:
        m = text_regex.search(text, pos)
        if m is None:
            return
        start = text.rfind(b"\n", pos, m.start()) + 1 or pos
        line_no += text.count(b"\n", pos, start)
        stop = text.find(b"\n", m.start())
        if stop < 0:
            stop = end
        line = text[start:stop]
        if m.end() <= stop or regex.search(line):
            yield line_no, line
        pos = stop + 1
        line_no += 1


def _candidates(
    info: BlockInfo, tests: list[re.Pattern[bytes]], forms: list[list[Form]]
) -> list[tuple[int, bytes]] | None:
    """``(index, line)`` of the lines of a block that can match, rebuilding only those; ``None`` when
    filtering rows would cost more than rebuilding the whole block."""
    head, templates = read_templates(info.payload)
    # templates where every literal fits somewhere (the body is not unpacked when there is none)
    cands = [i for i, t in enumerate(templates, 1) if all(x.search(t) for x in tests)
             and all(any(f.template.search(t) for f in fl) for fl in forms)]
    if not cands and not head[7]:
        return []
    block = decode_block(info.payload)
    finder = RowFinder(block)
    whole = {RAW}
    places: dict[int, list[list[Alignment]]] = {}  # template id -> where each literal can sit
    usable = [finder.usable(fl) for fl in forms]
    budget = Budget(info.n_lines // ALIGN_BUDGET + 64)
    for i in cands:
        found = []
        for fl in usable:
            try:
                where = alignments(templates[i - 1], fl, finder.fits(i), budget)
            except OverBudget:
                return None
            if where is None:
                continue  # the literal lies in the template's text: no test on its rows
            if not where:
                break  # no slot of this template can hold the literal's values
            found.append(where)
        else:
            if found:
                places[i] = found
            else:
                whole.add(i)
    rows = template_rows(block, whole)
    if places:
        rows.update(candidate_lines(finder, places))
    return build_lines(block, rows)
