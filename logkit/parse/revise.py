"""Rules that let templates generalise as evidence grows (internal to :mod:`logkit.parse.miner`).

- An empty value is a value: ``()``, ``[]``, ``""``, ``key=`` hold a variable that happens to be empty, so
  ``from 1.2.3.4 ()`` and ``from 1.2.3.4 (host.example)`` are one event whose template is ``from <*> (<*>)``
  (:func:`fill_empty`). Bracketed odd values (``[;;]``, ``[\\]``) are instances of ``[<*>]`` too.
- A value is what a bracket or quote pair holds: two words that differ only inside the same pair
  (``(host1.example)`` / ``()``, ``[;;]`` / ``[guest]``) are one word with two values
  (:func:`inside_only`; not two plain words, ``(reserved)`` / ``(usable)``); like ids, such differences
  do not count against the similarity of two lines.
- A cluster that has become an instance of another one of its length (every word equal, or covered by a
  variable there) is absorbed by it (``clusters.covers``, ``TemplateMiner._absorb``): the final templates
  do not depend on which line came first.
"""

from __future__ import annotations

import re

from logkit.parse.masking import PH

__all__ = ["fill_empty", "bracketed", "inside_only"]

# the inside of an empty bracket or quote pair, and an empty ``key=`` value (at the word's end or before
# closing punctuation)
_EMPTY = re.compile(r"(?<=\()(?=\))|(?<=\[)(?=\])|(?<=\{)(?=\})|(?<=<)(?=>)|(?<=\")(?=\")|(?<=')(?=')"
                    r"|(?<=[\w\]]=)(?=[,;)\]}]|$)")
_MAY_BE_EMPTY = re.compile(r"[)\]}>\"']|=$|=[,;)\]}]").search


def fill_empty(token: str) -> str:
    """``token`` with a variable written into each empty value (``()`` -> ``(PH)``, ``key=`` -> ``key=PH``)."""
    if _MAY_BE_EMPTY(token) is None:
        return token
    return _EMPTY.sub(PH, token)


_CLOSER = {"(": ")", "[": "]", "{": "}", "<": ">", '"': '"', "'": "'"}
# text, one outermost bracket or quote pair (its inside may hold anything), text without brackets
_PAIR = re.compile(r"([^()\[\]{}<>\"']*[(\[{<\"'])(.*)([)\]}>\"'][^()\[\]{}<>\"']*)", re.S)


def bracketed(word: str) -> tuple[str, str] | None:
    """``(before, after)`` around the inside of a word's one outermost bracket or quote pair (opening and
    closing character included), else None: ``x(a b)`` -> ``("x(", ")")``."""
    m = _PAIR.fullmatch(word)
    if m is None:
        return None
    before, after = m.group(1), m.group(3)
    if _CLOSER[before[-1]] != after[0]:
        return None
    return before, after


_PLAIN = re.compile(r"[A-Za-z]+")


def inside_only(a: str, b: str) -> bool:
    """Whether two words differ only inside the same bracket or quote pair, where one inside is not a
    plain word (two plain words, ``(reserved)`` / ``(usable)``, may name two events)."""
    pa = bracketed(a)
    if pa is None or pa != bracketed(b):
        return False
    n, m = len(pa[0]), len(pa[1])
    return not (_PLAIN.fullmatch(a[n : len(a) - m]) and _PLAIN.fullmatch(b[n : len(b) - m]))
