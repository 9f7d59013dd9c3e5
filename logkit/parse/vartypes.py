"""Variable typing: which of the ten VarTypes a variable is, from its shape and its context.

Context (a ``key=`` name, the words before, a unit or counted noun after) beats a weak shape such as a
bare number; strong shapes (IPs, URLs, paths, block ids, UUIDs, dates, ``12ms``) decide by themselves.
"""

from __future__ import annotations

import re
from functools import lru_cache

from logkit.parse.vartype_rules import (
    ADDRESS_WORDS,
    ENTITY_WORDS,
    IDENTITY_WORDS,
    KEYWORDS,
    STOPWORDS,
    key_parts,
    shape_of,
    unit_type,
)
from logkit.records import VarType

__all__ = ["classify", "classify_value", "Typer"]

_LEFT = 48  # characters of context looked at before the value
_RIGHT = 32  # and after it

# The clause the value sits in starts after the last separator or number-bearing token before it.
_CLAUSE_CUT = re.compile(r".*(?:[;,()\[\]{}|]|:\s|\S*\d\S*)", re.DOTALL)
_WORD_BEFORE = re.compile(r"[A-Za-z_][\w\-]*")
_NEXT = re.compile(r"(\s?)([A-Za-zµ%]+)(\(s\))?")
_NEXT_WORDS = re.compile(r"[A-Za-z][\w-]*(?:\(s\))?|[^\sA-Za-z]")
# Access logs: '"GET /x HTTP/1.1" 200 5321' -> the status, then the size.
_HTTP_STATUS = re.compile(r"HTTP/[\d.]+\"?\s+$")
_HTTP_SIZE = re.compile(r"HTTP/[\d.]+\"?\s+\d{3}\s+$")
_ERRNO_AFTER = re.compile(r"(?::\s?|\)\s?)[A-Z][a-z]")  # "(2: No such file", "(13)Permission denied"
_OF_COUNT = re.compile(r"\d\s*(?:of|out of|/)\s*$")

# Head nouns right after a value that say what it is: "in ordered mode", "tcp protocol".
_NEXT_NOUNS: dict[str, VarType] = {
    **dict.fromkeys(
        "mode type protocol format level kind policy algorithm encoding scheme".split(), VarType.TID
    ),
    **dict.fromkeys("bit bits degrees degree celsius fahrenheit volts volt rpm".split(), VarType.OTP),
}
_PAST_FORMS = frozenset("sent read written wrote made found got left lost seen taken done spent".split())

_NUMERIC = frozenset({"int", "float", "num"})

OID, LOI, OBN, TID, SID = VarType.OID, VarType.LOI, VarType.OBN, VarType.TID, VarType.SID
TDA, CRS, OBA, STC, OTP = VarType.TDA, VarType.CRS, VarType.OBA, VarType.STC, VarType.OTP

def classify(content: str, start: int, end: int) -> VarType:
    """The type of the variable ``content[start:end]``, judged by its text and the words around it.

    Parameters
    ----------
    content
        The message part of a log line (header removed).
    start, end
        Offsets of the variable in ``content``.

    Returns
    -------
    VarType
        One of the ten VALB categories; ``OTP`` when nothing points anywhere.

    Examples
    --------
    >>> classify("connect to port 8080", 16, 20)
    <VarType.LOI: 'LOI'>
    >>> classify("killed pid 8080", 11, 15)
    <VarType.OID: 'OID'>
    """
    return _classify(content, start, end)


_KNOWN_MAX = 50_000


class Typer:
    """:func:`classify` remembering its answers (bounded): one per template miner, which types a value seen in
    the same context again with one dict lookup."""

    __slots__ = ("_known",)

    def __init__(self) -> None:
        self._known: dict[tuple[str, str, str], VarType] = {}  # (left context, value, right context) -> type

    def classify(self, content: str, start: int, end: int) -> VarType:
        """:func:`classify`, remembered."""
        # the answer depends on these three texts only (the context windows below lie inside them)
        key = (content[max(0, start - _LEFT) : start], content[start:end], content[end : end + _RIGHT])
        known = self._known.get(key)
        if known is None:
            known = _classify(content, start, end)
            if len(self._known) >= _KNOWN_MAX:
                self._known.clear()
            self._known[key] = known
        return known


def _classify(content: str, start: int, end: int) -> VarType:
    value = content[start:end]
    if value and (value[0].isspace() or value[-1].isspace()):
        stripped = value.strip()
        start += len(value) - len(value.lstrip())
        end = start + len(stripped)
        value = stripped
    shape = shape_of(value)
    if shape[0] == "=":
        return VarType(shape[1:])
    left = content[max(0, start - _LEFT) : start]
    right = content[end : end + _RIGHT]
    numeric = shape in _NUMERIC
    if numeric and left[-1:] == "(" and _ERRNO_AFTER.match(right):
        return STC
    key, w1, w2, w3, at_start = _left_context(left, numeric)
    return _decide(shape, key, w1, w2, w3, at_start, *_right_context(right))


def classify_value(value: str, before: str = "", after: str = "") -> VarType:
    """Convenience wrapper: type ``value`` as if it stood between ``before`` and ``after``."""
    content = before + value + after
    return classify(content, len(before), len(before) + len(value))


def _left_context(left: str, numeric: bool) -> tuple[str, str, str, str, bool]:
    """(key, w1, w2, w3, at_start): a ``key=``/``key:`` name and the last three words of the clause.

    ``at_start`` says no word precedes the value in its clause; for numbers glued to an identifier
    (``NAME_123``) the key is ``_id``, after ``HTTP/1.1"`` it is ``status`` and then ``size``.
    """
    key = _key_before(left)
    if numeric and not key and left:
        last = left[-1]
        if last == "_" or last == "-" and left[-2:-1].isalpha():
            key = "_id"
        elif last in " \t" and "HTTP/" in left:
            if _HTTP_STATUS.search(left):
                key = "status"
            elif _HTTP_SIZE.search(left):
                key = "size"
        elif left.rstrip().endswith(("of", "/")) and _OF_COUNT.search(left):
            key = "_count"
    c = _CLAUSE_CUT.match(left)
    clause = left[c.end() :] if c else left
    words = _WORD_BEFORE.findall(clause)
    n = len(words)
    w1 = words[-1] if n > 0 else ""
    w2 = words[-2] if n > 1 else ""
    w3 = words[-3] if n > 2 else ""
    at_start = n == 0 and not key
    return key, w1, w2, w3, at_start


def _key_before(left: str) -> str:
    """The name in ``name=``, ``name: ``, ``"name":"`` or ``name = `` right before the value, else ``""``."""
    t = left.rstrip(" \t")
    if t and t[-1] in "\"'[(<{":
        t = t[:-1].rstrip(" \t")
    if not t or t[-1] not in "=:":
        return ""
    t = t[:-1].rstrip(" \t")
    if t and t[-1] in "\"'":
        t = t[:-1]
    b = len(t)
    while b and (t[b - 1].isalnum() or t[b - 1] in "_.-"):
        b -= 1
    return t[b:].lstrip("0123456789.-")


def _right_context(right: str) -> tuple[str, str, bool, bool]:
    """(unit, noun, counted, verb): a unit or telling head noun right after the value, whether a counted
    (plural) noun follows within a few words, and whether a word (not punctuation) follows at all."""
    unit = noun = ""
    m = _NEXT.match(right)
    if m:
        if m.group(3):
            return "", "", True, True
        word = m.group(2)
        if m.group(1) or not right[m.end() : m.end() + 1].isalnum():
            if unit_type(word) is not None:
                unit = word
            elif m.group(1) and right[m.end() : m.end() + 1] not in (":", "="):
                low = word.lower()
                if low in _NEXT_NOUNS:
                    noun = low
    elif right[:1] == "-" and right[1:4].lower() == "bit":
        noun = "bit"
    counted = False
    followed = bool(m and m.group(1))
    for i, tok in enumerate(_NEXT_WORDS.findall(right)):
        if i >= 4 or not tok[0].isalpha():
            break
        if _plural(tok):
            counted = True
            break
    return unit, noun, counted, followed


def _plural(tok: str) -> bool:
    if tok.endswith("(s)"):
        return True
    low = tok.lower()
    return (
        len(low) >= 4
        and low.endswith("s")
        and not low.endswith(("ss", "us", "is", "ous"))
        and unit_type(tok) is None
        and low not in STOPWORDS
    )


def _lookup(word: str) -> VarType | None:
    """The type a context word announces, trying the whole word, then its camelCase/snake parts."""
    if not word:
        return None
    for part in key_parts(word):
        t = KEYWORDS.get(part)
        if t is not None:
            return t
    return None


def _context(key: str, w1: str, w2: str, w3: str, skip: bool = True) -> tuple[VarType | None, str]:
    """The type announced by the key or the nearest telling word before the value, and that word.

    With ``skip``, small words and participles (``set to``, ``rows examined``) are looked past.
    """
    if key:
        t = _lookup(key)
        if t is not None:
            return t, key.lower()
    for w in (w1, w2, w3):
        if not w:
            break
        t = _lookup(w)
        if t is not None:
            return t, w.lower()
        low = w.lower()
        if not skip or (low not in STOPWORDS and not low.endswith(("ed", "ing")) and low not in _PAST_FORMS):
            break
    return None, ""


@lru_cache(maxsize=65536)
def _decide(
    shape: str,
    key: str,
    w1: str,
    w2: str,
    w3: str,
    at_start: bool,
    unit: str,
    noun: str,
    counted: bool,
    followed: bool,
) -> VarType:
    """The decision proper: a pure function of the value's shape and its (small) context, hence cached."""
    if shape in _NUMERIC:
        return _numeric(shape, key, w1, w2, w3, at_start, unit, noun, counted, followed)
    if noun:
        return _NEXT_NOUNS[noun]
    ctx, word = _context(key, w1, w2, w3)
    if shape == "bool":
        return SID
    if shape in ("status", "level", "proto"):
        if ctx in (TID, STC):
            return ctx
        return STC if shape == "status" else TID
    if shape in ("hex", "hex0x"):
        if w1.lower() in ADDRESS_WORDS or ctx is LOI:
            return LOI
        if ctx in (STC, TDA, CRS, OTP, TID):
            return ctx
        return OID
    if shape == "version":
        return OTP
    if shape == "class":
        return TID if ctx is TID else OBN
    if ctx is not None:
        if word in IDENTITY_WORDS:
            return OID
        if ctx is OID:
            return OBN if word in ENTITY_WORDS else OID
        if ctx in (LOI, OBN, TID, STC, OTP, SID):
            return ctx
    if shape == "statusword":
        return STC
    if shape == "caps":
        return TID
    if shape == "text":
        return OTP
    if shape == "mixed":
        return OID if ctx is None else OBN
    return OBN


def _numeric(
    shape: str,
    key: str,
    w1: str,
    w2: str,
    w3: str,
    at_start: bool,
    unit: str,
    noun: str,
    counted: bool,
    followed: bool,
) -> VarType:
    """Numbers: a unit after them, then a key, the word just before, a counted noun, farther words."""
    if unit:
        t = unit_type(unit)
        if t is not None:
            return t
    if noun:
        return _NEXT_NOUNS[noun]
    if key == "_id":
        return OID
    if key == "_count":
        return OBA
    if counted and not key and w1.lower() not in ENTITY_WORDS and w1.lower() not in IDENTITY_WORDS:
        return OBA
    if key and _lookup(key) is None and _plural(key.rsplit("_", 1)[-1]):
        return OBA  # "index scans: 1"
    ctx, word = _context(key, w1, "", "", skip=False)
    if ctx is not None:
        if word == w1.lower() and word in ENTITY_WORDS:
            return OID
        return OID if ctx is OBN else ctx
    if counted:
        return OBA
    ctx, word = _context("", w1, w2, w3)
    if ctx is not None:
        return OID if ctx is OBN else ctx
    if at_start and followed and shape == "int":
        return OBA
    if shape == "int" and w1:
        return OID
    return OTP
