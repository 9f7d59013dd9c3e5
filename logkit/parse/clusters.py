"""Clusters of the template miner and the rules that compare a line's words with them.

A cluster is one template: a word template per position (``PH`` marks variables). Two different words at a
position may become one variable only when the rules here allow it (:func:`_mergeable`, :func:`_compare`);
:func:`_plan` and :func:`_params` turn a line matched to a cluster into its exact, typed parameters.
These are internal to :mod:`logkit.parse.miner`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import accumulate

from logkit.parse.families import glue_suffix, is_unit
from logkit.parse.fastrec import new_param
from logkit.parse.masking import PH, Word
from logkit.parse.revise import bracketed, fill_empty, inside_only
from logkit.records import Param, VarType

MIN_SAME = 3  # constant words two forms must share before the words where they differ become variables
MIN_SIMILARITY = 0.75  # share of the compared constant words that must agree
TYPE_FREEZE = 4  # after this many agreeing calls, a template slot keeps its variable type

_RawWords = list[tuple[int, int, str, tuple[tuple[int, int], ...]]]

_DELIMS = re.compile(r"([=:,;()\[\]{}<>'\"|@]+)")
_ALNUM = re.compile(r"[^\W_]|" + PH)
_ALNUM_RUNS = re.compile(r"[^\W_]+").findall
_HAS_DIGIT = re.compile(r"\d").search
_VAR = "<*>"
_JOINED_VARS = re.compile(PH + r"(?:[=:,;|@]+" + PH + ")+")
_CONST_NAME = re.compile(r"\W*[A-Z][A-Z_]+\W*")
_PLAIN_WORD = re.compile(r"[A-Za-z]+[():;,.]*")
# a word of letters and at least two digits: an id (``req_web1001``, ``n17``), not a name like ``IPV6``
_ID_WORD = re.compile(r"(?=\S*[A-Za-z])(?=\S*[0-9]\S*[0-9])[\w.:/-]+")
# words after which a plain word is a name (a variable): ``user root``, ``by admin``, ``host=web``
_NAMING = re.compile(
    r"(?i).*[=:]|(?:users?|user ?name|login|host(?:name)?|node|server|client|account|owner|name|file(?:name)?"
    r"|table|service|queue|job|app(?:lication)?|component|domain|group|role|key|from|by|for|uid|pid)[\[(]?"
)


class _Cluster:
    """One template: a word template per position (``PH`` marks variables) and counts of var runs."""

    __slots__ = ("cid", "tokens", "runs", "count", "example", "last", "generic", "_text", "types", "votes",
                 "version", "glue", "sig", "consts", "n_consts", "n_partial", "ids", "consts_version", "into")

    def __init__(self, cid: int, tokens: list[str], runs: dict[int, int], example: str) -> None:
        self.cid = cid
        self.tokens = tokens
        self.runs = runs  # position -> words in the run there (0: varies)
        self.count = 0
        self.example = example
        self.last = 0
        self.generic = False  # True once a word was generalised or a run length varied
        self._text: str | None = None
        self.types: list[VarType | None] | None = None  # per slot: the type (None: it varies)
        self.votes: list[int] = []
        self.version = 0  # bumped whenever the template changes (cached emission plans then expire)
        # first position -> last position of words that form one variable together (a value and its unit
        # where the unit varies: ``12 KB`` / ``3 MB`` -> ``<*>``)
        self.glue: dict[int, int] = {}
        self.sig = ""  # the template with every value as one variable (see logkit.parse.families)
        # (position, word template) of the words that are not a whole variable, how many, how many of
        # them hold a variable inside, the positions of id-like ones, and the version they were taken at
        # (see ``_could_join``)
        self.consts: set[tuple[int, str]] = set()
        self.n_consts = 0
        self.n_partial = 0
        self.ids: set[int] = set()
        self.consts_version = -1
        self.into: _Cluster | None = None  # the cluster that absorbed this one (then it is no template)

    def text(self) -> str:
        """The template string (Loghub convention: ``<*>`` variables, single spaces)."""
        if self._text is None:
            out = []
            glue = self.glue
            skip = -1
            for i, t in enumerate(self.tokens):
                if i <= skip:
                    continue
                if i in glue:
                    skip = glue[i]
                    out.append(_VAR + glue_suffix(self.tokens, i, skip))
                    continue
                if t == PH:
                    k = self.runs.get(i, 1)
                    out.append(" ".join([_VAR] * k) if k > 1 else _VAR)
                else:
                    out.append(t.replace(PH, _VAR))
            self._text = " ".join(out)
        return self._text


def _token_spans(token: str, text: str, start: int, end: int) -> list[tuple[int, int]] | None:
    """Where the variables of word template ``token`` lie when ``text[start:end]`` is an instance of it,
    else None.

    The literal pieces between the variables are found left to right, each at its first place: what a
    regex of the pieces joined by lazy ``(.*?)`` groups finds with a full match (leaving each variable as
    short as it can be leaves the most room for the pieces after it), with nothing to compile per template.
    """
    pieces = token.split(PH)
    first = pieces[0]
    last = pieces[-1]
    if not text.startswith(first, start, end):
        return None
    pos = start + len(first)
    stop = end - len(last)
    if stop < pos or not text.startswith(last, stop, end):
        return None
    spans = []
    for piece in pieces[1:-1]:
        at = text.find(piece, pos, stop)
        if at < 0:
            return None
        spans.append((pos, at))
        pos = at + len(piece)
    spans.append((pos, stop))
    return spans


def _is_instance(token: str, word: str) -> bool:
    """Whether the word (or word template) ``word`` is an instance of the word template ``token``."""
    return _token_spans(token, word, 0, len(word)) is not None


def _fills(a: str, b: str) -> str | None:
    """The word template covering ``a`` and ``b`` when one of them holds an empty value and the other
    is an instance of it with that value written (``()`` / ``(host)`` -> ``(PH)``), else None."""
    fa = fill_empty(a)
    if fa != a and _is_instance(fa, b):
        return fa
    fb = fill_empty(b)
    if fb != b and _is_instance(fb, a):
        return fb
    return None


def _merge_tokens(a: str, b: str) -> str:
    """The most specific word template covering both ``a`` and ``b``."""
    if a == b:
        return a
    if a == PH or b == PH:
        return PH
    filled = _fills(a, b)
    if filled is not None:
        return filled
    pa = _DELIMS.split(a)
    pb = _DELIMS.split(b)
    if len(pa) != len(pb) or len(pa) == 1 or any(pa[i] != pb[i] for i in range(1, len(pa), 2)):
        pair = bracketed(a)
        if pair is not None and pair == bracketed(b):  # the inside of one bracket pair: ``[;;]`` / ``[x]``
            return pair[0] + PH + pair[1]
        return PH
    out = [pa[i] if (i % 2 or pa[i] == pb[i]) else PH for i in range(len(pa))]
    # variables joined only by punctuation that opens or closes nothing are one value, whole
    # (``libfoo:amd64`` / ``curl:arm64`` -> ``<*>``, not ``<*>:<*>``)
    return _JOINED_VARS.sub(PH, "".join(out))


def _mergeable(i: int, a: str, b: str, prev: str = "") -> bool:
    """Whether two different words at position ``i`` may become one variable.

    Not when either is only punctuation, when their punctuation differs (``(uid=0)`` / ``LOGIN(uid=0)``),
    when either is an upper-case constant name (states such as ``RUNNING``), nor two plain words
    opening the message (``After Scheduling`` / ``Before Scheduling``). An empty value and a value
    (``()`` / ``(host)``, ``[]`` / ``[;;]``, ``key=`` / ``key=1``) may.
    """
    if _fills(a, b) is not None:
        return True
    if inside_only(a, b) and not (_CONST_NAME.fullmatch(a) or _CONST_NAME.fullmatch(b)):
        return True
    if _ALNUM.search(a) is None or _ALNUM.search(b) is None:
        return False
    if a == PH or b == PH:
        return True
    pa = _DELIMS.split(a)
    pb = _DELIMS.split(b)
    if len(pa) != len(pb) or any(pa[k] != pb[k] for k in range(1, len(pa), 2)):
        return False
    if any(pa[k] != pb[k] and not (pa[k] and pb[k]) for k in range(0, len(pa), 2)):
        return False
    if _CONST_NAME.fullmatch(a) or _CONST_NAME.fullmatch(b):
        return False
    if _PLAIN_WORD.fullmatch(a) and _PLAIN_WORD.fullmatch(b):
        # two plain words are two events (``VM Started`` / ``VM Paused``) unless a name is expected here
        return i > 0 and _NAMING.fullmatch(prev) is not None
    return True


def _glue_units(c: _Cluster, i: int, *, all_pairs: bool) -> None:
    """Make the variable before position ``i`` and the unit at ``i`` one variable; with ``all_pairs``,
    every other value-unit pair of the template too (one formatter writes them all alike)."""
    glue = c.glue
    start = next((g for g, e in glue.items() if e == i - 1), i - 1)
    glue[start] = i
    if all_pairs:
        tokens = c.tokens
        inside = {k for g, e in glue.items() for k in range(g, e + 1)}
        for k in range(1, len(tokens)):
            if k not in inside and tokens[k - 1] == PH and k - 1 not in inside and is_unit(tokens[k]):
                glue[k - 1] = k
                inside.update((k - 1, k))


def _unit_pair(tokens: list[str], words: list[Word], i: int) -> bool:
    """Whether position ``i`` holds two different units after a variable (``<*> KB`` / ``<*> MB``)."""
    return (
        i > 0 and tokens[i - 1] == PH and words[i - 1].tpl == PH
        and is_unit(tokens[i]) and is_unit(words[i].tpl)
    )


def _soft(a: str, b: str) -> bool:
    """Whether two different words are two ids, two values of one bracket pair, or a cluster's word that has
    varied and a word of the same shape (:func:`_varied_value`); see :func:`_compare`."""
    return ((_ID_WORD.fullmatch(a) is not None and _ID_WORD.fullmatch(b) is not None) or inside_only(a, b)
            or _varied_value(a, b) or (_all_value(a) and _all_value(b)))


def _all_value(word: str) -> bool:
    """Whether a word template is a value through and through: variables joined by punctuation, and at most
    pieces of text that hold a digit (``<*>``, ``<*>+<*>``, ``<*>~deb10u6``): one value however its parts are
    written (the versions ``1.2-3+deb10u1``, ``4.5`` and ``2.28-10~deb10u6`` are three values of one slot)."""
    if PH not in word:
        return False
    return all(_HAS_DIGIT(run) for run in _ALNUM_RUNS(word.replace(PH, " ")))


def _varied_value(token: str, word: str) -> bool:
    """Whether the cluster's word template ``token`` has varied where ``word`` (a line's) holds text, and the
    two differ only in the text between the same punctuation, never in a key (the text before ``=``).

    A word whose values vary across the lines of a template is a value, whole: once ``libc6:amd64`` and
    ``bash:amd64`` made ``<*>:amd64``, ``curl:all`` is one more value there (``<*>``), not another event.
    A variable the masking put in both words (``LOGIN(uid=<*>)`` / ``root(uid=<*>)``) is no such evidence.
    """
    if PH not in token:
        return False
    pt = _DELIMS.split(token)
    pw = _DELIMS.split(word)
    if len(pt) != len(pw) or any(pt[k] != pw[k] for k in range(1, len(pt), 2)):
        return False
    varied = False
    for k in range(0, len(pt), 2):
        if pt[k] == pw[k]:
            continue
        if k + 1 < len(pt) and pt[k + 1].startswith("="):
            return False  # two keys
        if PH in pt[k] and PH not in pw[k] and pw[k]:
            varied = True
    return varied


def _softish(word: str) -> bool:
    """Whether a word may be one side of a :func:`_soft` pair (an id, or a word with punctuation or a variable
    in it)."""
    return PH in word or _DELIMS.search(word) is not None or _ID_WORD.fullmatch(word) is not None


def _compare(tokens: list[str], words: list[Word], exact: bool) -> tuple[int, int] | None:
    """(same, differing) constant words of a cluster and a line, or None when they may not merge
    (``exact``: when any word differs)."""
    same = 0
    diffs: list[int] = []
    for i, (t, w) in enumerate(zip(tokens, words, strict=True)):
        wt = w.tpl
        if t == wt:
            if t != PH:
                same += 1
            continue
        if t == PH:
            continue
        if PH in t and _is_instance(t, wt):
            continue
        if exact:
            return None
        diffs.append(i)
    diff = len(diffs)
    if diff:
        # words of letters and digits that differ (``req_web1001`` / ``req_web1002``) are ids, and words
        # that differ inside one bracket pair (``()`` / ``(host)``) are values: they do not count against
        # the similarity, so short messages around an id or value still form one template
        plain = diff - sum(1 for i in diffs if _soft(tokens[i], words[i].tpl))
        if plain:
            if same < MIN_SAME or same / (same + plain) < MIN_SIMILARITY:
                return None
        elif same < 1:
            return None
        for i in diffs:
            if not (_mergeable(i, tokens[i], words[i].tpl, tokens[i - 1] if i else "") or _unit_pair(tokens, words, i)):
                return None
    return same, diff


def covers(general: list[str], other: list[str]) -> bool:
    """Whether each word template of ``other`` is covered by ``general`` at its position: the same word,
    a variable, or an instance of a word template with variables."""
    if len(general) != len(other):
        return False
    for g, o in zip(general, other, strict=True):
        if g != o and g != PH and not (PH in g and _is_instance(g, o)):
            return False
    return True


def _refresh_consts(c: _Cluster) -> None:
    """Take the constant words of ``c`` (see ``_Cluster.consts``) from its current tokens."""
    c.consts = {(i, t) for i, t in enumerate(c.tokens) if t != PH}
    c.n_consts = len(c.consts)
    c.n_partial = sum(1 for t in c.tokens if t != PH and PH in t)
    c.ids = {i for i, t in enumerate(c.tokens) if t != PH and _softish(t)}
    c.consts_version = c.version


def _could_join(c: _Cluster, line: set[tuple[int, str]], line_ids: set[int], exact: bool) -> bool:
    """False when :func:`_compare` surely gives None for cluster ``c`` and a line whose (position, word
    template) pairs are ``line`` and whose id-like words stand at ``line_ids``: counted with set
    operations, without a Python loop over the words."""
    if c.consts_version != c.version:
        _refresh_consts(c)
    same = len(c.consts & line)  # constant words equal to the line's
    differ = c.n_consts - same - c.n_partial  # constant words that differ, at least (a partial one may fit)
    if differ <= 0:
        return True
    if exact:
        return False
    plain = differ - len(c.ids & line_ids)  # differing words that are not both ids, at least
    if plain > 0:
        return not (same < MIN_SAME or same / (same + plain) < MIN_SIMILARITY)
    return same >= 1


class _ConstIndex:
    """The clusters of one word count filed by their constant words (position, word template).

    :func:`_could_join` is False for a cluster that shares no constant word with a line unless every
    constant word of the cluster holds a variable; :meth:`candidates` gives the others, so a line is compared
    with the clusters it shares a word with rather than with every cluster of its length.
    """

    __slots__ = ("by_word", "all_partial", "filed")

    def __init__(self) -> None:
        self.by_word: dict[tuple[int, str], set[int]] = {}
        self.all_partial: set[int] = set()  # clusters whose constant words all hold a variable (or none)
        self.filed: dict[int, set[tuple[int, str]]] = {}  # cluster id -> the words it is filed under

    def add(self, c: _Cluster) -> None:
        """File ``c`` under its current constant words (again, after its tokens changed)."""
        self.remove(c.cid)
        if c.consts_version != c.version:
            _refresh_consts(c)
        for w in c.consts:
            ids = self.by_word.get(w)
            if ids is None:
                self.by_word[w] = {c.cid}
            else:
                ids.add(c.cid)
        self.filed[c.cid] = c.consts  # replaced, never changed in place, by _refresh_consts
        if c.n_consts == c.n_partial:
            self.all_partial.add(c.cid)

    def remove(self, cid: int) -> None:
        for w in self.filed.pop(cid, ()):
            ids = self.by_word[w]
            ids.discard(cid)
            if not ids:
                del self.by_word[w]
        self.all_partial.discard(cid)

    def candidates(self, line: set[tuple[int, str]]) -> set[int]:
        """Ids of the clusters :func:`_could_join` may accept for a line of these (position, word) pairs."""
        out = set(self.all_partial)
        get = self.by_word.get
        for w in line:
            ids = get(w)
            if ids is not None:
                out |= ids
        return out


def _starts(text: str, words: list[str]) -> list[int]:
    """Where each word of ``text.split()`` starts."""
    lengths = list(map(len, words))
    if len(text) == sum(lengths) + len(words) - 1:
        # single separators only: the offsets follow from the lengths
        return [c + i for i, c in enumerate(accumulate(lengths, initial=0))]
    out = []
    pos = 0
    find = text.find
    for w, n in zip(words, lengths, strict=True):
        pos = find(w, pos)
        out.append(pos)
        pos += n
    return out


def _word_spans(tok: str, content: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    """Append the spans of word template ``tok``'s variables in ``content[start:end]`` (the whole word when
    it is not an instance)."""
    found = _token_spans(tok, content, start, end)
    if found is None:
        spans.append((start, end))
    else:
        spans.extend(found)


def _plan(c: _Cluster, raw: _RawWords) -> list[tuple[int, int, int, str]]:
    """How a line of this masked form yields its params under cluster ``c``.

    Steps ``(op, a, b, token)`` over the line's words: op 0 takes word ``a``'s own variables, op 1 one
    variable from the start of word ``a`` to the end of word ``b``, op 2 matches word ``a`` against the
    generalised word template ``token``.
    """
    plan: list[tuple[int, int, int, str]] = []
    i = 0  # collapsed position
    a = 0  # word index
    n = len(raw)
    tokens = c.tokens
    runs = c.runs
    glue = c.glue
    while a < n:
        if i in glue:  # words of positions i..last: one variable, closing punctuation left out
            start = i
            last = glue[i]
            first = a
            while i <= last and a < n:
                b = a
                if raw[a][2] == PH:
                    while b + 1 < n and raw[b + 1][2] == PH:
                        b += 1
                i += 1
                a = b + 1
            plan.append((1, first, a - 1, glue_suffix(tokens, start, last)))
            continue
        tpl = raw[a][2]
        b = a
        if tpl == PH:
            while b + 1 < n and raw[b + 1][2] == PH:
                b += 1
        count = b - a + 1
        t = tokens[i]
        if t == tpl:
            if t == PH and count > 1 and runs.get(i, count) != count:
                plan.append((1, a, b, ""))
            else:
                plan.extend((0, k, k, "") for k in range(a, b + 1) if raw[k][3])
        elif t == PH:
            plan.append((1, a, b, ""))
        else:
            plan.append((2, a, a, t))
        i += 1
        a = b + 1
    return plan


def _params(c: _Cluster, content: str, spans: list[tuple[int, int]],
            classify: Callable[[str, int, int], VarType]) -> tuple[Param, ...]:
    """Typed params; a slot whose first calls to ``classify`` agreed keeps that type (cached)."""
    types = c.types
    if types is None or len(types) != len(spans):
        types = c.types = [None] * len(spans)
        c.votes = [0] * len(spans)
    votes = c.votes
    out = []
    for i, (s, e) in enumerate(spans):
        v = votes[i]
        if v >= TYPE_FREEZE:
            ty = types[i]
        else:
            ty = classify(content, s, e)
            if v == 0:
                types[i] = ty
                votes[i] = 1
            elif v > 0:
                if types[i] is ty:
                    votes[i] = v + 1
                else:
                    votes[i] = -1  # this slot's type varies: always ask
        out.append(new_param(content[s:e], ty, s, e))  # type: ignore[arg-type]
    return tuple(out)
