"""Masking of obvious variables (numbers, ids, addresses, paths, times) before template mining.

Lines are split on whitespace; each word is masked by one compiled regular expression (results cached per
word, since most words repeat), and dates written with spaces (``Fri Jun 17 07:07:00 2005``) are found
first on the whole line. A word template writes each variable as the placeholder :data:`PH`.
"""

from __future__ import annotations

import re

__all__ = ["PH", "FILL", "MAX_MINED_CHARS", "Word", "Masker", "mask_word", "fill_dates", "collapse"]

PH = "\ue000"  # placeholder for a variable inside a word template (a private-use character)
FILL = "\ue001"  # pads a date replaced by PH so that offsets stay the same
MAX_MINED_CHARS = 4096  # only this much of a line is mined; the rest becomes one trailing variable

_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_MON = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_HMS = r"\d{1,2}:\d\d:\d\d(?:[.,]\d+)?"
_W = r"[\w$]++(?:[.\-][\w$]++)*+"  # a word with inner dots/dashes, no trailing punctuation

# Dates that contain spaces, found on the whole line before it is split into words. The lookahead for a
# first character that can begin one lets the search skip the other places fast (a third less time).
_DATE_RE = re.compile(
    rf"(?=[MTWFSJAOND\d])(?:"
    rf"(?<![\w])(?:{_DAY},?\s+)?{_MON}\s+\d{{1,2}}(?:,?\s+\d{{4}})?\s+{_HMS}(?:\s+[A-Z]{{3,4}})?"
    rf"(?:\s+\d{{4}})?(?![\w:])"
    rf"|(?<![\w.])\d{{4}}-\d\d-\d\d\s+{_HMS}(?:Z|\s?[+-]\d\d:?\d\d)?(?![\w:]))"
)

# Variables inside one word. Order matters: the first alternative that matches at a position wins.
# Group "keep" marks text that looks variable but is a constant (protocol versions such as HTTP/1.1).
_PATTERNS = [
    # a literal "<*>" or placeholder character in the text is a variable too (keeps one param per <*>)
    "<\\*>|" + PH + "[" + PH + FILL + "]*",
    # a word holding bytes that are not UTF-8 (lone surrogates) is data, not message text
    "(?<![\\w\udc80-\udcff])[\\w.\\-]*[\udc80-\udcff][\\w.\\-\udc80-\udcff]*",
    # (and a source file before its line number, ib_sm_sweep.c:123, Main.java:42, cache.cc(88): a name,
    # not a host; the file stays text, the number after it is the variable)
    r"(?P<keep>(?<![\w])[A-Z]{3,}/\d\.\d(?![\w.])"
    r"|(?<![\w.\-/])[A-Za-z_][\w\-]*\.(?:c|cc|cpp|cxx|h|hpp|java|py|go|rs|js|ts|rb|cs|scala|kt|m|mm|"
    r"swift|php|pl|lua)(?=[:(]\d))",
    # ISO dates, with an optional time and zone
    r"(?<![\w.])\d{4}-\d\d-\d\d(?:T\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?(?![\w])",
    # URLs (scheme://...), stopping before closing brackets, quotes and trailing punctuation
    r"(?<![\w])[A-Za-z][\w+.\-]*://[^,;'\"<>\]\)}]*[^,;'\"<>\]\)}.:]",
    # MAC addresses and colon-separated hex groups
    r"(?<![\w:])[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){3,}(?![\w:])",
    # IPv4, with an optional host/ prefix, leading slash and :port
    r"(?<![\w.])(?:[\w.\-]++/)?/?\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?!\w|\.\w|:\d)",
    # host:port where the host has a dot or a dash
    r"(?<![\w.\-/])[A-Za-z0-9]\w*+(?:[.\-]\w++)++:\d{1,5}(?!\w|[.:]\w)",
    # absolute paths (Unix, Windows drive) and ~/ ./ paths
    r"(?<![\w.\-/])(?:[A-Za-z]:)?(?:~|\.{1,2})?(?=/[\w~$.*])(?:/[\w.\-$@+~*%:=!,#]*)+(?<![:,!])",
    r"(?<![\w])[A-Za-z]:\\[^'\"]*[^'\".,:;)\]]",
    # booleans and null, and the placeholders programs print for an absent value (<none>, <nil>, <null>)
    r"(?<![\w.\-])(?:true|false|null|TRUE|FALSE|NULL|True|False)(?![\w\-])",
    r"(?<![\w<])<(?:none|nil|null|None|Nil|NONE|NIL|NULL)>(?![\w>])",
    # 0x hex
    r"(?<![\w])0[xX][0-9a-fA-F]++(?![\w])",
    # identifiers carrying a number after _ or -: blk_-123, attempt_1_0001_m_000001_0, node-12
    rf"(?<![\w.\-/$])(?=[\w$.\-]*?[_\-]-?\d)[A-Za-z]{_W}",
    # versions v1.2.3
    r"(?<![\w.\-/])v\d+(?:\.\d+)++(?![\w])",
    # clock times 12:03, 07:07:00.123
    rf"(?<![\w:.]){_HMS}(?![\w:])|(?<![\w:.])\d{{1,2}}:\d\d(?![\w:])",
    # numbers, with units or inner dots/dashes: 12, -3, 1.5, 12ms, 0.0.0, 2.6.5-1.358, 003a90fc
    r"(?<![\w$])[-+]?\d[\w$]*+(?:[.\-][\w$]++)*+(?:\+\d++)?%?",
    # long hex strings that begin with a letter: ffff3000, c00045a4
    r"(?<![\w])(?=[0-9a-f]*\d)[a-f][0-9a-f]{7,}(?![\w])",
    r"(?<![\w])(?=[0-9A-F]*\d)[A-F][0-9A-F]{7,}(?![\w])",
]
_WORD_RE = re.compile("|".join(_PATTERNS))
_MAYBE_VAR = re.compile(r"[\d/:\\\ue000\ue001\udc80-\udcff]|<\*>|true|false|null|TRUE|FALSE|NULL|True|False"
                        r"|<(?:none|nil|None|Nil|NONE|NIL)>")

_Masked = tuple[str, tuple[tuple[int, int], ...]]
_CACHE_MAX = 200_000


# Digits 2-9 read as 1: no pattern above tells ASCII digits apart except ``0[xX]``, so a word without
# x/X masks like its "shape" (the same spans; the same template when no digit lies outside them), and
# the many words that differ only in their digits (counters, ids, addresses) share one regex run.
_SHAPE_DIGITS = str.maketrans("023456789", "111111111")
_HAS_ASCII_DIGIT = re.compile(r"[0-9]").search


class Masker:
    """Masks words and lines (variables as :data:`PH`), remembering the words and word shapes it has seen.

    One belongs to each template miner: what it remembers (bounded, cleared when full) lives and dies with
    that miner. ``cache`` (word -> (template, spans)) and ``templates`` (word -> template) are read with
    ``.get`` on hot paths.
    """

    __slots__ = ("cache", "templates", "_shapes")

    def __init__(self) -> None:
        self.cache: dict[str, _Masked] = {}
        self.templates: dict[str, str] = {}  # word -> its template only (the same entries as cache)
        self._shapes: dict[str, tuple[str, tuple[tuple[int, int], ...], bool]] = {}  # shape -> tpl, spans, rebuild?

    def mask_word(self, word: str) -> _Masked:
        """A word's template (variables as :data:`PH`) and the spans of its variables, relative to the word.

        Parameters
        ----------
        word : str
            Text without whitespace.

        Returns
        -------
        (template, spans)
            ``spans`` are sorted, non-overlapping ``(start, end)`` offsets into ``word``; touching
            variables are joined into one.
        """
        hit = self.cache.get(word)
        if hit is not None:
            return hit
        if _HAS_ASCII_DIGIT(word) is not None and "x" not in word and "X" not in word:
            shape = word.translate(_SHAPE_DIGITS)
            shapes = self._shapes
            known = shapes.get(shape)
            if known is None:
                tpl, spans = mask_word(shape)
                outside = _HAS_ASCII_DIGIT(tpl) is not None  # digits in the constant text: rebuild from the word
                if len(shapes) >= _CACHE_MAX:
                    shapes.clear()
                known = shapes[shape] = (tpl, spans, outside)
            tpl, spans, outside = known
            out: _Masked = (_template(word, spans) if outside else tpl, spans)
        else:
            out = mask_word(word)
        if len(self.cache) >= _CACHE_MAX:
            self.cache.clear()
            self.templates.clear()
        self.cache[word] = out
        self.templates[word] = out[0]
        return out

    def word_templates(self, words: list[str]) -> list[str]:
        """The template of each word (a line of known words costs one C-level map)."""
        tpls = list(map(self.templates.get, words))
        if None in tpls:
            mask = self.mask_word
            return [t if t is not None else mask(w)[0] for t, w in zip(tpls, words, strict=True)]
        return tpls  # type: ignore[return-value]

    def line_key(self, content: str) -> str | None:
        """The masked form of a line (words' templates joined by one space), or None when the line is
        longer than :data:`MAX_MINED_CHARS` (then :meth:`line_words` gives it)."""
        if len(content) > MAX_MINED_CHARS:
            return None
        return " ".join(self.word_templates(fill_dates(content).split()))

    def line_words(self, content: str) -> tuple[str, list[tuple[int, int, str, tuple[tuple[int, int], ...]]]]:
        """The masked form of a line (as :meth:`line_key` gives when it gives one) and its words.

        Each word is ``(start, end, template, spans)`` with absolute offsets into ``content``. Past
        :data:`MAX_MINED_CHARS` the rest of the line is one variable word.
        """
        n = len(content)
        head = content
        tail_start = n
        if n > MAX_MINED_CHARS:
            cut = MAX_MINED_CHARS
            while cut > MAX_MINED_CHARS // 2 and not content[cut - 1].isspace():
                cut -= 1
            if cut <= MAX_MINED_CHARS // 2:
                cut = MAX_MINED_CHARS
            head = content[:cut]
            tail_start = cut
            while tail_start < n and content[tail_start].isspace():
                tail_start += 1
        words: list[tuple[int, int, str, tuple[tuple[int, int], ...]]] = []
        text = fill_dates(head)
        pos = 0
        find = text.find
        get = self.cache.get
        mask = self.mask_word
        for w in text.split():
            pos = find(w, pos)
            tpl, rel = get(w) or mask(w)
            end = pos + len(w)
            words.append((pos, end, tpl, tuple((pos + a, pos + b) for a, b in rel) if rel else ()))
            pos = end
        if tail_start < n:
            if words and words[-1][1] == tail_start:  # the cut fell inside a word: it joins the tail
                s, _, tpl, last = words.pop()
                if last and last[-1][1] == tail_start:
                    last = (*last[:-1], (last[-1][0], n))
                else:
                    last = (*last, (tail_start, n))
                    tpl += PH
                words.append((s, n, tpl, last))
            else:
                words.append((tail_start, n, PH, ((tail_start, n),)))
        return " ".join(w[2] for w in words), words


def _template(word: str, spans: tuple[tuple[int, int], ...]) -> str:
    if not spans:
        return word
    parts = []
    pos = 0
    for s, e in spans:
        parts.append(word[pos:s])
        parts.append(PH)
        pos = e
    parts.append(word[pos:])
    return "".join(parts)


def mask_word(word: str) -> _Masked:
    """A word's template and the spans of its variables (see :meth:`Masker.mask_word`, which remembers what it
    saw): the regular expressions run on ``word`` itself."""
    spans: list[tuple[int, int]] = []
    if _MAYBE_VAR.search(word) is not None:
        for m in _WORD_RE.finditer(word):
            if m.lastgroup == "keep":
                continue
            s, e = m.span()
            if s == e:
                continue
            if spans and spans[-1][1] == s:
                spans[-1] = (spans[-1][0], e)
            else:
                spans.append((s, e))
    return _template(word, tuple(spans)), tuple(spans)


class Word:
    """One whitespace-separated word: its offsets, its template (variables as :data:`PH`), its spans.

    After :func:`collapse`, a run of ``count`` consecutive whole-variable words is one ``Word``.
    """

    __slots__ = ("start", "end", "tpl", "spans", "count")

    def __init__(self, start: int, end: int, tpl: str, spans: list[tuple[int, int]], count: int = 1):
        self.start = start
        self.end = end
        self.tpl = tpl
        self.spans = spans
        self.count = count

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Word({self.start}, {self.end}, {self.tpl!r}, {self.spans}, {self.count})"


_WS = re.compile(r"\S+")
# What a variable written with spaces holds: a date's clock time d:dd:dd, or a request's " HTTP/1.1".
# Cheap to look for (a character test, then one short pattern each), so most lines skip the ones below.
_CLOCK = re.compile(r":(?<=\d:)\d\d:\d").search  # d:dd:d, written to begin with its ':' (4x faster to search)
_PROTOCOL = re.compile(r" [A-Z]{2,}/\d").search

# The target and protocol of a request line (``GET /a/b?c=1 HTTP/1.1``) are one variable, as in the
# Loghub ground truth (``"GET <*>"``): the target's length in words varies with its encoding.
_REQUEST_RE = re.compile(
    r"(?<![\w])(?:GET|POST|PUT|DELETE|HEAD|PATCH|OPTIONS|CONNECT|TRACE|PROPFIND) (\S+ [A-Z]{2,}/\d(?:\.\d)?)(?![\w.])"
)


def _fill(m: re.Match[str]) -> str:
    return PH + FILL * (m.end() - m.start() - 1)


def _fill_request(m: re.Match[str]) -> str:
    s, e = m.span(1)
    return m.group(0)[: s - m.start()] + PH + FILL * (e - s - 1)


# A bracket pair that holds only blanks holds a blank value (``bad username [  ]`` is ``[]`` with spaces in it):
# one variable, not two words.
_BLANK_PAIR = re.compile(r"(?<=\[)[ \t]+(?=\])|(?<=\()[ \t]+(?=\))")


def fill_dates(content: str) -> str:
    """``content`` with each variable written with spaces (dates, request targets, blanks between brackets)
    replaced by ``PH`` and padding (same length)."""
    # each substitution only where what it needs is there (every date has a clock; a request, a protocol)
    if ":" in content and _CLOCK(content) is not None:
        content = _DATE_RE.sub(_fill, content)
    if "/" in content and _PROTOCOL(content) is not None:
        content = _REQUEST_RE.sub(_fill_request, content)
    if ("[ " in content or "( " in content or "[\t" in content or "(\t" in content) and \
            _BLANK_PAIR.search(content) is not None:
        content = _BLANK_PAIR.sub(_fill, content)
    return content


def collapse(words: list[tuple[int, int, str, tuple[tuple[int, int], ...]]]) -> list[Word]:
    """Words as :class:`Word` objects, each run of whole-variable words collapsed into one."""
    out: list[Word] = []
    for s, e, tpl, sp in words:
        if tpl == PH and out and out[-1].tpl == PH:
            last = out[-1]
            last.end = e
            last.spans.extend(sp)
            last.count += 1
        else:
            out.append(Word(s, e, tpl, list(sp)))
    return out
