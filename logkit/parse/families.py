"""Variables of varying length: a value with its unit (``12 KB``), or written twice (``1190 bytes (1.16 KB)``).

Templates that differ only in such values (``<*> bytes sent`` / ``<*> bytes (<*> KB) sent`` / ``<*> sent``)
are one event; the Loghub ground truth writes the whole value as one ``<*>`` (``<*> sent``). The miner keeps
each form as its own cluster (so matching stays exact) and *glues* the words of such a value into one
variable; every form of the family then renders the same template text, hence the same template id.
"""

from __future__ import annotations

import re

from logkit.parse.masking import PH

__all__ = ["is_unit", "glue_suffix", "reduced"]

# Units that may follow a number (with an opening bracket before or closing punctuation after).
_UNIT = re.compile(
    r"[(\[]?(?:[KMGTP]i?B|[kmgtp]b|B|bytes?|ms|us|ns|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|days?|%)"
    r"[)\],;:.]*"
)
_TRAIL = re.compile(r"[)\],;:.'\"]*$")
# A variable with a comparison or approximation sign glued before it: <1, >=5, ~3
_SIGNED_VAR = re.compile(r"(?:[<>]=?|~|≈)" + PH + r"[)\],;:.'\"]*")
_PAREN_OPEN = re.compile(r"[(\[]" + PH + r"[)\],;:.]*")


def is_unit(token: str) -> bool:
    """Whether a word template is a unit (``KB``, ``bytes``, ``ms)``, a varied unit ``PH,`` is not)."""
    return token != PH and _UNIT.fullmatch(token.replace(PH, "")) is not None


def glue_suffix(tokens: list[str], i: int, j: int) -> str:
    """The closing punctuation after the glued variable ``tokens[i..j]`` (brackets it opened excluded)."""
    m = _TRAIL.search(tokens[j])
    tail = m.group(0) if m is not None else ""
    opened = sum(t.count("(") + t.count("[") for t in tokens[i : j + 1])
    body = tokens[j][: len(tokens[j]) - len(tail)]
    closed_inside = sum(t.count(")") + t.count("]") for t in tokens[i:j]) + body.count(")") + body.count("]")
    unmatched = max(0, opened - closed_inside)
    while unmatched and tail[:1] in (")", "]"):
        tail = tail[1:]
        unmatched -= 1
    return tail


def _value_end(tokens: list[str], i: int) -> int:
    """The last position of the value that starts with the variable at ``i`` (its units, a bracketed
    second writing ``(1.16 KB)``)."""
    n = len(tokens)
    j = i
    while j + 1 < n:
        t = tokens[j + 1]
        if is_unit(t):
            j += 1
            continue
        if _PAREN_OPEN.fullmatch(t) and not t.endswith((")", "]")):
            # ( PH UNIT... ) : a bracketed second writing of the same value
            k = j + 2
            while k < n and is_unit(tokens[k]) and not tokens[k].rstrip(",;:.").endswith((")", "]")):
                k += 1
            if k < n and is_unit(tokens[k]) and tokens[k].rstrip(",;:.").endswith((")", "]")):
                j = k
                continue
        break
    return j


def reduced(tokens: list[str]) -> tuple[str, dict[int, int]]:
    """The form of a template with every value written as one variable, and the positions glued for it.

    Returns ``(signature, ranges)``: templates with the same signature are forms of one event;
    ``ranges`` maps the first position of each multi-word (or signed) value to its last position.
    """
    out: list[str] = []
    ranges: dict[int, int] = {}
    i = 0
    n = len(tokens)
    while i < n:
        t = tokens[i]
        if t == PH or _SIGNED_VAR.fullmatch(t) or (t.startswith(PH) and _TRAIL.sub("", t) == PH):
            j = _value_end(tokens, i)
            if j > i or t[0] != PH:
                ranges[i] = j
            out.append(PH + glue_suffix(tokens, i, j))
            i = j + 1
            continue
        out.append(t)
        i += 1
    return " ".join(out), ranges
