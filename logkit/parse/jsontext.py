"""Parse records (DESIGN.md section 3.2) as dicts and as JSONL text, and template ids.

:func:`record_json` writes one :class:`~logkit.records.ParsedLine` as the text ``json.dumps`` would give for
its :func:`to_record` dict, without building the dict. :func:`json_maker` writes the same text for the parser's
emit loop (:mod:`logkit.parse.emit`) straight from a line's header match, with no record objects in between:
what the JSONL writer of ``logkit parse`` asks the parser for.
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

__all__ = ["template_id", "to_record", "record_json", "json_maker"]

_IDS: dict[str, str] = {}  # template text -> id (a cache: cleared when full)


def template_id(template: str) -> str:
    """A short, stable id for a template text: the same text gives the same id in every run."""
    tid = _IDS.get(template)
    if tid is None:
        digest = blake2b(template.encode("utf-8", "surrogatepass"), digest_size=5).hexdigest()
        tid = "t" + digest
        if len(_IDS) >= 200_000:
            _IDS.clear()
        _IDS[template] = tid
    return tid


_TYPE_NAMES = {t: t.value for t in VarType}  # Enum.value is a slow descriptor on the hot path
_last_iso: list[Any] = [None, None]  # the latest timestamp and its text (lines of one second share it)


def to_record(p: ParsedLine) -> dict[str, Any]:
    """The JSON record of DESIGN.md section 3.2 for one parsed line (every key always present)."""
    rec = p.record
    iso = _iso(rec.timestamp)
    raw = rec.raw
    names = _TYPE_NAMES
    return {
        "source": raw.source,
        "line": raw.line_no,
        "timestamp": iso,
        "fields": dict(rec.fields),
        "template_id": p.template_id,
        "template": p.template,
        "params": [{"value": q.value, "type": names[q.type]} for q in p.params],
    }


def _iso(ts: Any) -> str | None:
    if ts is None:
        return None
    if ts is _last_iso[0]:
        iso: str = _last_iso[1]
        return iso
    iso = ts.isoformat()
    _last_iso[0] = ts
    _last_iso[1] = iso
    return iso


_jstr: Callable[[str], str] = json_encoder.encode_basestring  # the C quoting of ``json.dumps(ensure_ascii=False)``
# keyed by the type's code (``VarType._value_``, an instance attribute): hashing an Enum member runs Python code
_TYPE_TAILS = {t.value: f', "type": "{t.value}"}}' for t in VarType}
_QUOTED: dict[str, str] = {}  # sources, field names and templates (they repeat) -> their JSON text


def _quoted(text: str) -> str:
    q = _QUOTED.get(text)
    if q is None:
        q = _jstr(text)
        if len(_QUOTED) >= 50_000:
            _QUOTED.clear()
        _QUOTED[text] = q
    return q


# field names -> the fields' JSON text with %s for values: quoted ones, and bare ones for quoted values
_FIELDS_FORMATS: dict[tuple[str, ...], tuple[str, str]] = {}
# what the JSON string quoting escapes (with ensure_ascii=False): quote, backslash, control characters
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]').search
_PARAMS_TEXT: dict[int, tuple[Any, str]] = {}  # id of a params tuple -> (that tuple, its JSON text)
# a record's JSON text; the template's id and text are one piece, ``tID", "template": "TEXT"`` (``_template_text``)
_RECORD = '{"source": %s, "line": %d, "timestamp": %s, "fields": %s, "template_id": "%s, "params": [%s]}'
_TEMPLATE_TEXT: dict[str, str] = {}  # template -> 'tID", "template": "TEXT"' (a cache: cleared when full)


def _template_text(template: str) -> str:
    text = _TEMPLATE_TEXT.get(template)
    if text is None:
        text = template_id(template) + '", "template": ' + _quoted(template)
        if len(_TEMPLATE_TEXT) >= 50_000:
            _TEMPLATE_TEXT.clear()
        _TEMPLATE_TEXT[template] = text
    return text


def _fields_format(keys: tuple[str, ...]) -> tuple[str, str]:
    fmt = _FIELDS_FORMATS.get(keys)
    if fmt is None:
        names = [_jstr(k).replace("%", "%%") for k in keys]
        fmt = ("{" + ", ".join([n + ': "%s"' for n in names]) + "}", "{" + ", ".join([n + ": %s" for n in names]) + "}")
        if len(_FIELDS_FORMATS) >= 1000:
            _FIELDS_FORMATS.clear()
        _FIELDS_FORMATS[keys] = fmt
    return fmt


def _params_text(params: tuple[Param, ...]) -> str:
    """The JSON text of a params list's items (remembered per tuple: a repeated content shares its tuple)."""
    hit = _PARAMS_TEXT.get(id(params))
    if hit is not None and hit[0] is params:
        text: str = hit[1]
        return text
    tails = _TYPE_TAILS
    text = ", ".join(['{"value": ' + _jstr(q.value) + tails[q.type._value_] for q in params])
    if len(_PARAMS_TEXT) >= 50_000:
        _PARAMS_TEXT.clear()
    _PARAMS_TEXT[id(params)] = (params, text)  # the tuple is held, so its id is not reused
    return text


def _fields_text(fields: Any) -> str:
    if not fields:
        return "{}"
    try:
        values = tuple(fields.values())
        if _NEEDS_ESCAPE("".join(values)) is None:  # plain text: written between quotes as it is
            return _fields_format(tuple(fields))[0] % values
        return _fields_format(tuple(fields))[1] % tuple(map(_jstr, values))
    except TypeError:  # a value that is not text: the generic encoder writes it
        return json.dumps(dict(fields), ensure_ascii=False)


def record_json(p: ParsedLine) -> str:
    """``json.dumps(to_record(p), ensure_ascii=False)`` (same text, without building the dict): a JSONL line.

    The parse verb writes millions of these; building the text directly is about twice as fast. The
    params' text is remembered per params tuple (a line whose content was seen before shares its tuple).
    """
    rec = p.record
    ts = rec.timestamp
    if ts is None:
        iso = "null"
    elif ts is _last_iso[0]:
        iso = '"' + _last_iso[1] + '"'
    else:
        iso = '"' + _iso(ts) + '"'  # type: ignore[operator]
    ftext = _fields_text(rec.fields)
    ptext = _params_text(p.params) if p.params else ""
    raw = rec.raw
    piece = p.template_id + '", "template": ' + _quoted(p.template)
    return _RECORD % (_quoted(raw.source), raw.line_no, iso, ftext, piece, ptext)


def json_maker(source: str, fmt: LineFormat, ids: Callable[[str], str] | None = None) -> Callable[..., str]:
    """A maker (see :mod:`logkit.parse.emit`) of the JSONL text of each record of ``source`` in format ``fmt``:
    what :func:`record_json` gives for the record, written straight from the line's header match (template ids
    are always :func:`template_id`'s: ``ids`` is accepted so every maker is called alike)."""
    src = _quoted(source)
    jstr = _jstr
    needs_escape = _NEEDS_ESCAPE
    pieces = _TEMPLATE_TEXT
    texts = _PARAMS_TEXT
    record = _RECORD
    empty = "{}"
    header = isinstance(fmt, HeaderFormat)
    if header and fmt.field_pos:  # type: ignore[attr-defined]
        hf: HeaderFormat = fmt  # type: ignore[assignment]
        stamp = hf.stamp_json
        pos = hf.field_pos
        pick = itemgetter(*pos) if len(pos) > 1 else lambda g: (g[pos[0]],)
        plain, quoted_fmt = _fields_format(hf.field_names)
    else:
        header = False

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
            iso = "null" if ts is None else '"' + _iso(ts) + '"'  # type: ignore[operator]
            ftext = _fields_text(m.fields)
        else:  # a header without fields
            iso = "null"
            ftext = empty
        if params:
            hit = texts.get(id(params))
            ptext = hit[1] if hit is not None and hit[0] is params else _params_text(params)
        else:
            ptext = ""
        return record % (src, line_no, iso, ftext, pieces.get(template) or _template_text(template), ptext)

    return make
