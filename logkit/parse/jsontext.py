"""Parse records (DESIGN.md section 3.2) as dicts and as JSONL text, and template ids.

:func:`record_json` writes one :class:`~logkit.records.ParsedLine` as the text ``json.dumps`` would give for
its :func:`to_record` dict, without building the dict. A :class:`JsonText` writes the same text faster, as the
JSONL writer of ``logkit parse`` does: its :meth:`JsonText.maker` is a maker for the parser's emit loop
(:mod:`logkit.parse.emit`) that writes each record straight from the line's header match, with no record
objects in between, and it remembers the pieces of text that repeat (sources, templates, fields, params).
What it remembers lives on the object; the functions here remember nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from json import encoder as json_encoder
from operator import itemgetter

try:  # hashlib's own blake2b, without hashlib's start-up (it loads OpenSSL's hashes first)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import blake2b
from typing import Any

from logkit.parse.formats import HeaderFormat, LineFormat
from logkit.records import LogRecord, Param, ParsedLine, VarType

__all__ = ["template_id", "TemplateIds", "to_record", "record_json", "JsonText"]

_MAX = 50_000  # entries a JsonText remembers of each kind (each cleared when full)


def template_id(template: str) -> str:
    """A short, stable id for a template text: the same text gives the same id in every run."""
    return "t" + blake2b(template.encode("utf-8", "surrogatepass"), digest_size=5).hexdigest()


class TemplateIds:
    """:func:`template_id`, remembering the ids of the templates it was asked about (bounded)."""

    __slots__ = ("_ids",)

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}

    def __call__(self, template: str) -> str:
        tid = self._ids.get(template)
        if tid is None:
            tid = template_id(template)
            if len(self._ids) >= 4 * _MAX:
                self._ids.clear()
            self._ids[template] = tid
        return tid


_TYPE_NAMES = {t: t.value for t in VarType}  # Enum.value is a slow descriptor on the hot path


def to_record(p: ParsedLine) -> dict[str, Any]:
    """The JSON record of DESIGN.md section 3.2 for one parsed line (every key always present)."""
    rec = p.record
    ts = rec.timestamp
    raw = rec.raw
    names = _TYPE_NAMES
    return {
        "source": raw.source,
        "line": raw.line_no,
        "timestamp": None if ts is None else ts.isoformat(),
        "fields": dict(rec.fields),
        "template_id": p.template_id,
        "template": p.template,
        "params": [{"value": q.value, "type": names[q.type]} for q in p.params],
    }


_jstr: Callable[[str], str] = json_encoder.encode_basestring  # the C quoting of ``json.dumps(ensure_ascii=False)``
# keyed by the type's code (``VarType._value_``, an instance attribute): hashing an Enum member runs Python code
_TYPE_TAILS = {t.value: f', "type": "{t.value}"}}' for t in VarType}
# what the JSON string quoting escapes (with ensure_ascii=False): quote, backslash, control characters
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]').search
# a record's JSON text; the template's id and text are one piece, ``tID", "template": "TEXT"``
_RECORD = '{"source": %s, "line": %d, "timestamp": %s, "fields": %s, "template_id": "%s, "params": [%s]}'


def _fields_formats(keys: tuple[str, ...]) -> tuple[str, str]:
    """The fields' JSON text with %s for the values: for values written as they are, and for quoted values."""
    names = [_jstr(k).replace("%", "%%") for k in keys]
    return "{" + ", ".join([n + ': "%s"' for n in names]) + "}", "{" + ", ".join([n + ": %s" for n in names]) + "}"


def _params_json(params: tuple[Param, ...]) -> str:
    tails = _TYPE_TAILS
    return ", ".join(['{"value": ' + _jstr(q.value) + tails[q.type._value_] for q in params])


def _fields_json(fields: Any, formats: Callable[[tuple[str, ...]], tuple[str, str]] = _fields_formats) -> str:
    if not fields:
        return "{}"
    try:
        values = tuple(fields.values())
        if _NEEDS_ESCAPE("".join(values)) is None:  # plain text: written between quotes as it is
            return formats(tuple(fields))[0] % values
        return formats(tuple(fields))[1] % tuple(map(_jstr, values))
    except TypeError:  # a value that is not text: the generic encoder writes it
        return json.dumps(dict(fields), ensure_ascii=False)


def record_json(p: ParsedLine) -> str:
    """``json.dumps(to_record(p), ensure_ascii=False)`` (same text, without building the dict): a JSONL line."""
    rec = p.record
    ts = rec.timestamp
    iso = "null" if ts is None else '"' + ts.isoformat() + '"'
    ptext = _params_json(p.params) if p.params else ""
    raw = rec.raw
    piece = p.template_id + '", "template": ' + _jstr(p.template)
    return _RECORD % (_jstr(raw.source), raw.line_no, iso, _fields_json(rec.fields), piece, ptext)


class JsonText:
    """Writes parse records as JSON text (what :func:`record_json` gives), remembering the text of what
    repeats: quoted sources and templates, field layouts, the params of a repeated content, the latest
    timestamp. One per writer; everything it remembers is bounded."""

    __slots__ = ("_quoted", "_fields", "_params", "_pieces", "_last_ts", "_last_iso")

    def __init__(self) -> None:
        self._quoted: dict[str, str] = {}  # source -> its JSON text
        self._fields: dict[tuple[str, ...], tuple[str, str]] = {}  # field names -> their formats
        self._params: dict[int, tuple[Any, str]] = {}  # id of a params tuple -> (that tuple, its JSON text)
        self._pieces: dict[str, str] = {}  # template -> 'tID", "template": "TEXT"'
        self._last_ts: Any = None  # the latest timestamp and its text (lines of one second share it)
        self._last_iso = ""

    def _quote(self, text: str) -> str:
        q = self._quoted.get(text)
        if q is None:
            q = _jstr(text)
            if len(self._quoted) >= _MAX:
                self._quoted.clear()
            self._quoted[text] = q
        return q

    def _fields_format(self, keys: tuple[str, ...]) -> tuple[str, str]:
        fmt = self._fields.get(keys)
        if fmt is None:
            fmt = _fields_formats(keys)
            if len(self._fields) >= 1000:
                self._fields.clear()
            self._fields[keys] = fmt
        return fmt

    def _params_text(self, params: tuple[Param, ...]) -> str:
        """The JSON text of a params list's items (remembered per tuple: a repeated content shares its tuple)."""
        hit = self._params.get(id(params))
        if hit is not None and hit[0] is params:
            text: str = hit[1]
            return text
        text = _params_json(params)
        if len(self._params) >= _MAX:
            self._params.clear()
        self._params[id(params)] = (params, text)  # the tuple is held, so its id is not reused
        return text

    def _piece(self, template: str, ids: Callable[[str], str]) -> str:
        text = self._pieces.get(template)
        if text is None:
            text = ids(template) + '", "template": ' + _jstr(template)
            if len(self._pieces) >= _MAX:
                self._pieces.clear()
            self._pieces[template] = text
        return text

    def _iso(self, ts: Any) -> str:
        if ts is not self._last_ts:
            self._last_ts = ts
            self._last_iso = '"' + ts.isoformat() + '"'
        return self._last_iso

    def record(self, p: ParsedLine) -> str:
        """:func:`record_json` of ``p``."""
        rec = p.record
        ts = rec.timestamp
        iso = "null" if ts is None else self._iso(ts)
        ftext = _fields_json(rec.fields, self._fields_format)
        ptext = self._params_text(p.params) if p.params else ""
        raw = rec.raw
        piece = p.template_id + '", "template": ' + self._quote(p.template)
        return _RECORD % (self._quote(raw.source), raw.line_no, iso, ftext, piece, ptext)

    def maker(self, source: str, fmt: LineFormat, ids: Callable[[str], str] = template_id) -> Callable[..., str]:
        """A maker (see :mod:`logkit.parse.emit`) of the JSONL text of each record of ``source`` in format
        ``fmt``, written straight from the line's header match; ``ids`` gives a template's id."""
        src = self._quote(source)
        jstr = _jstr
        needs_escape = _NEEDS_ESCAPE
        pieces = self._pieces
        piece = self._piece
        texts = self._params
        params_text = self._params_text
        record = _RECORD
        empty = "{}"
        header = isinstance(fmt, HeaderFormat) and bool(fmt.field_pos)
        if header:
            hf: HeaderFormat = fmt  # type: ignore[assignment]
            stamp = hf.stamp_json
            pos = hf.field_pos
            pick = itemgetter(*pos) if len(pos) > 1 else lambda g: (g[pos[0]],)
            plain, quoted_fmt = self._fields_format(hf.field_names)

        def make(line_no: int, span: int, line: str, m: Any, content: str, template: str,
                 params: tuple[Param, ...]) -> str:
            if m is None:
                iso = "null"
                ftext = empty
            elif header:
                g = m.groups("")
                iso = stamp(g)
                values = pick(g)
                if needs_escape("".join(values)) is None:
                    ftext = plain % values
                else:
                    ftext = quoted_fmt % tuple(map(jstr, values))
            elif m.__class__ is LogRecord:  # a JSON line's record
                ts = m.timestamp
                iso = "null" if ts is None else self._iso(ts)
                ftext = _fields_json(m.fields, self._fields_format)
            else:  # a header without fields
                iso = "null"
                ftext = empty
            if params:
                hit = texts.get(id(params))
                ptext = hit[1] if hit is not None and hit[0] is params else params_text(params)
            else:
                ptext = ""
            return record % (src, line_no, iso, ftext, pieces.get(template) or piece(template, ids), ptext)

        return make
