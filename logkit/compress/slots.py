"""Grep's row filter: where a required literal can sit in a template, and which column values allow it.

Every digit of a line is inside a variable (a slot of its template), so a literal that holds digits can
occur in a line only where the template's text and slots line up with it. Each way of splitting the
literal into text and slot values (:func:`literal_forms`) is a regex over template text with a group per
slot; each alignment found in a template names the slots it covers and a test on each slot's value
(``201`` at the start of the literal: the value ends with ``201``; between two dots: it is ``201``).
Only the rows whose column values pass every test of some alignment can hold the literal, and the
columns are tested on their distinct values, so the lines of the other rows are never rebuilt.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate, compress, product, repeat
from typing import Any

from logkit.compress.codecs import KIND_JOIN, KIND_PART, KIND_SAME, get_varint, width_bound
from logkit.compress.columns import SLOT, Block, member_mask

__all__ = ["WILD", "Form", "Budget", "OverBudget", "RowFinder", "literal_forms", "alignments", "candidate_lines"]

WILD = 0  # a byte of a literal that stands for any one byte (a ``.`` of the pattern)
SHORT = 3  # a slot run this long is not checked against column length bounds (a prune only)
MAX_FORMS = 64  # ways to split one literal into text and slots; past this the literal is not used here
_DIGIT = frozenset(b"0123456789")
_HEX_LETTER = frozenset(b"abcdefABCDEF")
_ALNUM = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass(frozen=True, slots=True)
class Form:
    """One split of a literal: a regex over template text (a group per slot) and a test per group."""

    template: re.Pattern[bytes]
    tests: tuple[re.Pattern[bytes], ...]
    exact: tuple[bytes | None, ...]  # the value a group's slot must equal, when the test is plain equality
    lengths: tuple[int, ...]  # the least length of a value passing each test
    anywhere: bool = False  # the literal is one slot's value (or part of it): no template text to find


def _valid(atoms: bytes, roles: tuple[bool, ...]) -> bool:
    """Whether a split is possible: a slot holding a hex letter is a hex word, never glued to a letter
    or digit of the template text."""
    n = len(atoms)
    i = 0
    while i < n:
        if not roles[i]:
            i += 1
            continue
        j = i
        while j < n and roles[j]:
            j += 1
        if any(a in _HEX_LETTER for a in atoms[i:j]):
            for k in (i - 1, j):
                if 0 <= k < n and atoms[k] in _ALNUM:
                    return False
        i = j
    return True


def literal_forms(literal: bytes, ignore_case: bool) -> list[Form] | None:
    """Every split of ``literal`` (``WILD`` bytes match any byte) into template text and slot values.

    A digit is always in a slot; a hex letter or a wildcard may be in either; anything else is template
    text. Returns ``None`` when there are too many splits (the literal is then not used for rows).
    """
    free = [i for i, a in enumerate(literal) if a == WILD or a in _HEX_LETTER]
    if len(free) > 12:
        return None
    flags = re.IGNORECASE if ignore_case else 0
    forms: list[Form] = []
    for choice in product((False, True), repeat=len(free)):
        roles = [a in _DIGIT for a in literal]
        for i, v in zip(free, choice, strict=True):
            roles[i] = v
        if not _valid(literal, tuple(roles)):
            continue
        body: list[bytes] = []
        tests: list[re.Pattern[bytes]] = []
        exact: list[bytes | None] = []
        lengths: list[int] = []
        i = 0
        n = len(literal)
        while i < n:
            if not roles[i]:
                body.append(b"[^\x01]" if literal[i] == WILD else re.escape(literal[i : i + 1]))
                i += 1
                continue
            j = i
            while j < n and roles[j]:
                j += 1
            run = literal[i:j]
            rx = b"".join(b"." if a == WILD else re.escape(bytes([a])) for a in run)
            left, right = i > 0, j < n
            tests.append(re.compile((b"\\A" if left else b"") + rx + (b"\\Z" if right else b""), flags | re.DOTALL))
            plain = WILD not in run and not (ignore_case and any(a not in _DIGIT for a in run))
            exact.append(run if left and right and plain else None)
            lengths.append(len(run))
            body.append(b"(\x01)")
            i = j
        forms.append(Form(re.compile(b"(?=" + b"".join(body) + b")", flags), tuple(tests), tuple(exact), tuple(lengths),
                          body == [b"(\x01)"]))
        if len(forms) > MAX_FORMS:
            return None
    return forms


Alignment = tuple[tuple[int, re.Pattern[bytes], bytes | None], ...]  # (slot number, value test, exact value)


class OverBudget(Exception):
    """Raised by :func:`alignments` when a literal fits in too many places to be worth filtering rows."""


class Budget:
    """How many more places :func:`alignments` may look at (shared by the calls of one block)."""

    def __init__(self, left: int) -> None:
        self.left = left

    def spend(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise OverBudget


def alignments(
    template: bytes, forms: list[Form], fits: Callable[[int, int], bool] | None = None, budget: Budget | None = None
) -> list[Alignment] | None:
    """The places where a literal can sit in ``template``: per place, the slots it covers with their
    tests. ``None`` when one place covers no slot (every line of the template holds the literal).
    ``fits(slot, length)`` may rule a place out: whether the slot's values can be ``length`` bytes long.
    Raises :class:`OverBudget` when ``budget`` runs out."""
    out: list[Alignment] = []
    for form in forms:
        if form.anywhere:  # the whole literal inside one value: any slot whose values are long enough
            length = form.lengths[0]
            n = template.count(SLOT)
            if budget is not None:
                budget.spend(n)
            out.extend(((k, form.tests[0], form.exact[0]),) for k in range(n) if fits is None or fits(k, length))
            continue
        for m in form.template.finditer(template):
            if not form.tests:
                return None
            if budget is not None:
                budget.spend(1)
            slots = [template.count(SLOT, 0, m.start(g)) for g in range(1, len(form.tests) + 1)]
            if fits is not None and not all(map(fits, slots, form.lengths)):
                continue
            out.append(tuple(zip(slots, form.tests, form.exact, strict=True)))
    return out


class RowFinder:
    """Which lines of a block hold values passing a test, per column (results cached per block)."""

    def __init__(self, block: Block) -> None:
        self.block = block
        self._users: dict[int, list[int]] | None = None
        self._lines: dict[frozenset[int], Sequence[int]] = {}
        self._masks: dict[frozenset[int], bytes] = {}
        self._chunks: dict[frozenset[int], list[int]] = {}
        self._hits: dict[tuple[int, bytes, bytes | None], set[int]] = {}
        self.tests: dict[bytes, re.Pattern[bytes]] = {}
        self._bounds: dict[int, int | None] = {}
        self._longest: float | None = None

    def bound(self, cid: int) -> int | None:
        """An upper bound on the length of column ``cid``'s values without decoding it (``None``: unknown)."""
        got = self._bounds.get(cid, -1)
        if got != -1:
            return got
        block = self.block
        data = block.col_data[cid]
        spec = block.spec(cid)
        if spec.startswith(b"%0"):
            got = int(spec[2:-1])  # same-width digit strings
        elif data[:1] == bytes([KIND_SAME]):
            ref, _ = get_varint(data, 1)
            got = self.bound(ref) if ref < cid else None
        elif data[:1] in (bytes([KIND_JOIN]), bytes([KIND_PART])):
            got = None
        else:
            got = width_bound(data, block.col_n[cid])
        self._bounds[cid] = got
        return got

    def longest(self) -> float:
        """An upper bound on the length of any value in the block (infinite when some column has none)."""
        if self._longest is None:
            tops = [self.bound(c) for c in range(len(self.block.col_data))]
            self._longest = max((float("inf") if t is None else t for t in tops), default=0)
        return self._longest

    def usable(self, forms: list[Form]) -> list[Form]:
        """The forms whose every slot run fits in some column of the block."""
        if all(n <= SHORT for f in forms for n in f.lengths):
            return forms  # short runs fit nearly any column: not worth reading every column's bound
        top = self.longest()
        return [f for f in forms if all(n <= top for n in f.lengths)]

    def fits(self, tid: int) -> Callable[[int, int], bool]:
        """``fits(slot, length)`` for template ``tid``: whether that slot's values can be that long."""
        cols = self.block.template_cols[tid - 1]

        def fits(slot: int, length: int) -> bool:
            if length <= SHORT:
                return True
            top = self.bound(cols[slot])
            return top is None or top >= length

        return fits

    def users(self, cid: int) -> list[int]:
        """The template ids whose lines fill column ``cid``."""
        if self._users is None:
            self._users = {}
            for t, cols in enumerate(self.block.template_cols, 1):
                for c in set(cols):
                    self._users.setdefault(c, []).append(t)
        return self._users.get(cid, [])

    def mask(self, cid: int) -> bytes:
        """One byte per line of the block: 1 where the line has a value in column ``cid``."""
        key = frozenset(self.users(cid))
        got = self._masks.get(key)
        if got is None:
            got = self._masks[key] = member_mask(self.block, key)
        return got

    def column_lines(self, cid: int) -> Sequence[int]:
        """The line index of each row of column ``cid``."""
        key = frozenset(self.users(cid))
        got = self._lines.get(key)
        if got is None:
            mask = self.mask(cid)
            n = self.block.n_lines
            got = self._lines[key] = range(n) if mask.count(1) == n else list(compress(range(n), mask))
        return got

    def check_lines(self, cid: int, pattern: bytes, exact: bytes | None, lines: set[int]) -> set[int]:
        """The ``lines`` (all with a value in column ``cid``) whose value passes the test: reads only
        their rows of the column (few lines of a long column), or the cached result of a whole pass."""
        got = self._hits.get((cid, pattern, exact))
        if got is not None:
            return lines & got
        block = self.block
        if len(lines) * 16 > block.col_n[cid] or cid in block.cache:
            return lines & self.lines_with(cid, pattern, exact)
        mask = self.mask(cid)
        order = sorted(lines)
        rows = []
        rank = prev = 0
        for i in order:
            rank += mask.count(1, prev, i)
            prev = i
            rows.append(rank)
        spec = block.spec(cid)
        vals = block.values_at(cid, rows)
        if exact is not None:
            target = _value_of(exact, spec)
            return {i for i, v in zip(order, vals, strict=True) if v == target}
        search = self.tests[pattern].search
        return {i for i, v in zip(order, vals, strict=True) if search(spec % v)}

    def lines_with(self, cid: int, pattern: bytes, exact: bytes | None) -> set[int]:
        """The lines whose value in column ``cid`` passes the test ``pattern`` (compiled as the literal's
        forms compiled it: cached by :mod:`re`)."""
        key = (cid, pattern, exact)
        got = self._hits.get(key)
        if got is not None:
            return got
        block = self.block
        vals: list[Any] = block.column(cid)
        spec = block.spec(cid)
        good: set[Any]
        if exact is not None:
            good = {_value_of(exact, spec)} - {None}
        else:
            search = self.tests[pattern].search
            good = {v for v in set(vals) if search(spec % v)}
        if len(good) == 1 and vals.count(next(iter(good))) * 64 < len(vals):
            (target,) = good
            rows = []
            i = -1
            try:
                while True:
                    i = vals.index(target, i + 1)
                    rows.append(i)
            except ValueError:
                pass
        elif good:
            rows = list(compress(range(len(vals)), map(good.__contains__, vals)))
        else:
            rows = []
        got = self._hits[key] = set(self.lines_of_rows(cid, rows))
        return got

    def lines_of_rows(self, cid: int, rows: list[int]) -> Sequence[int]:
        """The line index of each of the sorted ``rows`` of column ``cid``: few rows are found from counts
        of the column's lines per 64-line chunk, many from the list of all its lines."""
        if not rows:
            return []
        if len(rows) * 64 > self.block.col_n[cid]:
            where = self.column_lines(cid)
            return [where[r] for r in rows]
        mask = self.mask(cid)
        key = frozenset(self.users(cid))
        starts = self._chunks.get(key)
        if starts is None:
            counts = map(mask.count, repeat(1), range(0, len(mask), 64), range(64, len(mask) + 64, 64))
            starts = self._chunks[key] = list(accumulate(counts, initial=0))
        out = []
        for r in rows:
            j = bisect_right(starts, r) - 1
            i = mask.find(1, j * 64)
            for _ in range(r - starts[j]):
                i = mask.find(1, i + 1)
            if i < 0:
                raise ValueError("column rows do not match the template ids")
            out.append(i)
        return out


def _value_of(text: bytes, spec: bytes) -> Any:
    """The stored value that a column with printf ``spec`` writes as ``text`` (``None``: none does)."""
    if spec == b"%s":
        return text
    if not text.isdigit():
        return None
    v = int(text)
    return v if spec % v == text else None


def candidate_lines(finder: RowFinder, places: dict[int, list[list[Alignment]]]) -> dict[int, list[int]]:
    """The lines that can hold every literal, per template id: ``places`` gives, per template, the
    alignments of each literal that constrains it (a line needs, for each literal, one alignment whose
    slot tests all pass). Each distinct set of column tests is evaluated once for all templates."""
    block = finder.block
    tids = block.tids
    n_literals = max((len(v) for v in places.values()), default=0)
    out: dict[int, set[int]] = {}
    for k in range(n_literals):
        users: dict[tuple[tuple[int, bytes, bytes | None], ...], set[int]] = {}
        for t, per_literal in places.items():
            if k >= len(per_literal):
                continue
            cols = block.template_cols[t - 1]
            for place in per_literal[k]:
                sig = tuple(sorted({(cols[slot], test.pattern, ex) for slot, test, ex in place}))
                for _, test, _ in place:
                    finder.tests[test.pattern] = test
                users.setdefault(sig, set()).add(t)
        found: dict[int, set[int]] = {}
        for sig, ts in users.items():
            # one column in full (an equality test first: the most selective), the others at its lines only
            order = sorted(sig, key=lambda x: (x[2] is None, -block.col_n[x[0]]))
            got = set(finder.lines_with(*order[0])) if order else set()
            for cid, pat, ex in order[1:]:
                if not got:
                    break
                got = finder.check_lines(cid, pat, ex, got)
            for i in got:
                t = tids[i]
                if t in ts:
                    found.setdefault(t, set()).add(i)
        for t, per_literal in places.items():
            if k >= len(per_literal):
                continue
            mine = found.get(t, set())
            out[t] = mine if t not in out else out[t] & mine
    return {t: sorted(v) for t, v in out.items() if v}
