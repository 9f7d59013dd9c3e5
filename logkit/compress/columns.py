"""Lines <-> one block of templates plus variable columns, exact to the byte.

A line's template is the line with every variable (a digit run, or a hex word of 8+ characters) written
``\\x01``. A variable's column is keyed by the template text up to and including its slot, so header
fields (shared prefixes) form one column across templates and keep their line order: timestamps then
delta-code well (words of up to three letters in the prefix, such as day and month names, are not part
of the key). Successive digit fields (``12:34:56.789``) may be stored as one joined integer column.
Lines that already hold ``\\x01`` are stored verbatim ("raw").
"""

from __future__ import annotations

import re
import sys
from array import array
from collections import Counter
from dataclasses import dataclass
from itertools import chain, compress, repeat
from operator import contains
from typing import Any

from logkit.compress.codecs import (
    KIND_FIXED,
    KIND_INT,
    KIND_JOIN,
    KIND_PART,
    KIND_SAME,
    KIND_STR,
    decode_values,
    decode_values_at,
    encode_column,
    get_varint,
    join_columns,
    pack,
    put_varint,
    split_join_values,
    split_join_values_at,
    unpack,
)

__all__ = ["Block", "encode_block", "decode_block", "read_templates", "template_columns", "VAR"]

# a variable: a hex word (8+ hex characters with a digit and a letter, not glued to other letters or
# digits: ids, hashes, addresses) or a digit run
VAR = re.compile(rb"(?<![0-9A-Za-z])(?=[a-fA-F]*[0-9])(?=[0-9]*[a-fA-F])[0-9a-fA-F]{8,}(?![0-9A-Za-z])|[0-9]+")
DIGITS = re.compile(rb"[0-9]+")
_HEX8 = re.compile(rb"[0-9a-fA-F]{8}")
_SPLIT_VAR = re.compile(b"(" + VAR.pattern + b")")
_SPLIT_DIGITS = re.compile(b"(" + DIGITS.pattern + b")")
SLOT = b"\x01"
HEAD_FIELDS = 8  # n_lines, final_newline, n_templates, id width, templates len, packed len, body len, n_raw
JOIN_MIN_ROWS = 16  # a joined group's header costs a few bytes: not worth it on shorter columns
RAW = 0  # template id of verbatim lines; real templates count from 1


@dataclass(frozen=True, slots=True)
class Block:
    """A decoded block's parts (used by grep and ``info``); decoding needs no numpy (faster start)."""

    n_lines: int
    final_newline: bool
    templates: list[bytes]
    tids: list[int]  # template id of every line (0: a verbatim line)
    raw: list[bytes]
    col_data: list[bytes]
    col_n: list[int]
    template_cols: list[list[int]]
    cache: dict[int, tuple[list[Any], bytes]]
    id_bytes: bytes = b""  # the template ids as stored (little-endian, ``id_width`` bytes each)
    id_width: int = 0

    def column(self, cid: int) -> list[Any]:
        """The values of column ``cid`` (decoded on first use): bytes, or integers (see :meth:`spec`)."""
        return self._values(cid)[0]

    def spec(self, cid: int) -> bytes:
        """The printf spec that writes a value of column ``cid`` (``%s``, ``%d`` or ``%0Wd``), read from the
        column's header when the column is not decoded yet."""
        got = self.cache.get(cid)
        if got is not None:
            return got[1]
        data = self.col_data[cid]
        kind = data[0] if data else KIND_STR
        if kind in (KIND_SAME, KIND_PART):
            ref, end = get_varint(data, 1)
            if ref >= cid or end != len(data):
                raise ValueError("bad column reference")
            if kind == KIND_SAME:
                return self.spec(ref)
            members, pos = self._group(ref)
            head = self.col_data[ref]
            widths = head[pos + 4 : pos + 4 + head[pos + 3]]
            if cid not in members or len(widths) != len(members) - 1:
                raise ValueError("bad joined column")
            return b"%%0%dd" % widths[members.index(cid) - 1]
        if kind == KIND_JOIN:
            _, pos = self._group(cid)
            kind, width = data[pos + 1], data[pos + 2]
            return b"%%0%dd" % width if kind == KIND_FIXED and width else b"%d"
        if kind & 0x0F == KIND_FIXED and len(data) > 1 and data[1]:
            return b"%%0%dd" % data[1]
        return b"%d" if kind & 0x0F in (KIND_INT, KIND_FIXED) else b"%s"

    def _values(self, cid: int) -> tuple[list[Any], bytes]:
        got = self.cache.get(cid)
        if got is None:
            data = self.col_data[cid]
            if data[:1] == bytes([KIND_JOIN]):
                self._split(cid, data)
                return self.cache[cid]
            if data[:1] == bytes([KIND_PART]):
                ref, end = get_varint(data, 1)
                if ref >= cid or end != len(data) or self.col_data[ref][:1] != bytes([KIND_JOIN]):
                    raise ValueError("bad column reference")
                self._values(ref)
                if cid not in self.cache:
                    raise ValueError("bad column reference")
                return self.cache[cid]
            if data[:1] == bytes([KIND_SAME]):
                ref, end = get_varint(data, 1)
                if ref >= cid or end != len(data) or self.col_n[ref] != self.col_n[cid]:
                    raise ValueError("bad column reference")
                got = self._values(ref)
            else:
                got = decode_values(data, self.col_n[cid])
            self.cache[cid] = got
        return got

    def _split(self, cid: int, data: bytes) -> None:
        """Decode a joined group headed by ``cid``: its data names the later columns of the group."""
        members, pos = self._group(cid)
        parts = split_join_values(data[pos:], self.col_n[cid])
        if len(parts) != len(members):
            raise ValueError("bad joined column")
        for c, got in zip(members, parts, strict=True):
            self.cache[c] = got

    def values_at(self, cid: int, positions: list[int]) -> list[Any]:
        """The values of column ``cid`` at sorted ``positions``; a long delta-coded column not decoded yet
        is summed only up to the last position (grep's few candidate rows), and not cached."""
        if cid in self.cache:
            vals = self.column(cid)
            return [vals[p] for p in positions]
        data = self.col_data[cid]
        n = self.col_n[cid]
        kind = data[:1]
        if kind == bytes([KIND_SAME]):
            ref, end = get_varint(data, 1)
            if ref >= cid or end != len(data) or self.col_n[ref] != n:
                raise ValueError("bad column reference")
            return self.values_at(ref, positions)
        if kind == bytes([KIND_PART]):
            ref, end = get_varint(data, 1)
            if ref >= cid or end != len(data) or self.col_data[ref][:1] != bytes([KIND_JOIN]):
                raise ValueError("bad column reference")
            head, data = ref, self.col_data[ref]
        elif kind == bytes([KIND_JOIN]):
            head = cid
        else:
            return decode_values_at(data, n, positions)[0]
        members, pos = self._group(head)
        if cid not in members or self.col_n[head] != n:
            raise ValueError("bad column reference")
        parts = split_join_values_at(data[pos:], n, positions)
        if len(parts) != len(members):
            raise ValueError("bad joined column")
        return parts[members.index(cid)][0]

    def _group(self, cid: int) -> tuple[list[int], int]:
        """The columns of the joined group headed by ``cid`` (head first), and where the group's values
        start in its data (after the list of the later members)."""
        data = self.col_data[cid]
        m, pos = get_varint(data, 1)
        members = [cid]
        for _ in range(m):
            c, pos = get_varint(data, pos)
            if c <= members[-1] or c >= len(self.col_data) or self.col_n[c] != self.col_n[cid]:
                raise ValueError("bad joined column")
            members.append(c)
        return members, pos

    def format_of(self, tid: int) -> bytes:
        """The printf format of template ``tid`` (0: a verbatim line), each slot written by its column's
        spec (decodes the template's columns)."""
        if tid == RAW:
            return b"%s"
        pieces = self.templates[tid - 1].replace(b"%", b"%%").split(SLOT)
        fmt = [pieces[0]]
        for cid, piece in zip(self.template_cols[tid - 1], pieces[1:], strict=True):
            fmt += (self.spec(cid), piece)
        return b"".join(fmt)

    def formats(self) -> list[bytes]:
        """:meth:`format_of` every template id."""
        out = [b"%s"]
        specs = [self.spec(cid) for cid in range(len(self.col_data))]
        for t, cols in zip(self.templates, self.template_cols, strict=True):
            pieces = t.replace(b"%", b"%%").split(SLOT)
            fmt = [pieces[0]]
            for cid, piece in zip(cols, pieces[1:], strict=True):
                fmt += (specs[cid], piece)
            out.append(b"".join(fmt))
        return out


_JOIN_GAP = re.compile(rb"[^0-9A-Za-z\x80-\xff]{1,2}").fullmatch


def _join_groups(templates: list[bytes], tcols: list[list[int]], col_vals: list[list[bytes]]) -> list[list[int]]:
    """Chains of columns that always follow each other in the same lines, split to fit 18 digits and
    kept only where :func:`join_columns` finds them cheaper; each group is listed head first."""
    nxt: dict[int, int | None] = {}
    for t, cols in zip(templates, tcols, strict=True):
        pieces = t.split(SLOT)
        for k, cid in enumerate(cols):
            succ = cols[k + 1] if k + 1 < len(cols) else None
            gap = pieces[k + 1]
            # only fields separated by a short run of punctuation or spaces (12:34:56.789, 2015-10-17 21)
            if succ is not None and not _JOIN_GAP(gap):
                succ = None
            if nxt.setdefault(cid, succ) != succ:
                nxt[cid] = None
    prev: dict[int, int] = {}
    for c, s in nxt.items():
        if s is not None:
            prev[s] = -1 if s in prev else c
    links = {c: s for c, s in nxt.items() if s is not None and prev.get(s) == c}
    groups: list[list[int]] = []
    for start in sorted(set(links) - set(links.values())):
        if len(col_vals[start]) < JOIN_MIN_ROWS:
            continue
        chain = [start]
        while chain[-1] in links:
            chain.append(links[chain[-1]])
        # cut from the end (the finest fields): each segment holds at most 18 digits
        while len(chain) > 1:
            digits = 0
            i = len(chain)
            while i > 0:
                w = max(map(len, col_vals[chain[i - 1]]), default=99)
                if digits + w > 18:
                    break
                digits += w
                i -= 1
            seg = chain[i:] if i < len(chain) - 1 else chain[-1:]
            if len(seg) > 1:
                groups.append(seg)
            chain = chain[: len(chain) - len(seg)]
    return groups


_SHORT_WORD = re.compile(rb"(?<![A-Za-z])[A-Za-z]{1,3}(?![A-Za-z])")


def _skeleton(prefix: bytes) -> bytes:
    """A column key: short words (``Thu``, ``Jun``, ``PM``) do not split a field into several columns,
    so a date written with day and month names stays one column in line order."""
    return _SHORT_WORD.sub(b"A", prefix)


def template_columns(templates: list[bytes]) -> tuple[list[list[int]], int]:
    """Column id of every slot of every template (keyed by the template prefix through that slot)."""
    # the prefix through slot k is (the prefix through slot k-1, the text between): a tree of such
    # steps gives the same columns without hashing long prefixes
    kids: dict[int, dict[bytes, int]] = {}
    out: list[list[int]] = []
    n = 0
    # the skeleton of a prefix ending at a slot is that prefix of the whole line's skeleton (one regex
    # call for all templates: "\n" is no letter, so it ends words as a template's end does); text after
    # the last slot is no part of any key
    heads = [t[: t.rfind(SLOT) + 1] for t in templates]
    skeletons = _skeleton(b"\n".join(heads)).split(b"\n") if templates else []
    for sk in skeletons:
        if not sk:
            out.append([])
            continue
        cols = []
        cid = -1
        for piece in sk.split(SLOT)[:-1]:
            step = kids.get(cid)
            if step is None:
                step = kids[cid] = {}
            nid = step.get(piece)
            if nid is None:
                nid = step[piece] = n
                n += 1
            cid = nid
            cols.append(cid)
        out.append(cols)
    return out, n


def encode_block(lines: list[bytes], final_newline: bool) -> tuple[bytes, dict[str, int]]:
    """Encode lines (without ``\\n``) into a block payload; also returns section sizes for ``info``."""
    import numpy as np

    index: dict[bytes, int] = {}
    nslots: list[int] = [0]
    templates: list[bytes] = []
    rows: list[list[list[bytes]]] = [[]]
    tids = np.empty(len(lines), dtype=np.int64)
    raw: list[bytes] = []
    maybe_hex = _HEX8.search
    split_hex = _SPLIT_VAR.split
    split_digits = _SPLIT_DIGITS.split
    join = SLOT.join
    for i, line in enumerate(lines):
        # text, value, text, ..., text in one pass; the cheap pattern when no hex word can be there
        pieces: list[bytes] = split_hex(line) if maybe_hex(line) else split_digits(line)
        vals = pieces[1::2]
        t = join(pieces[0::2]) if vals else line
        tid = index.get(t)
        if tid is None:
            tid = index[t] = len(templates) + 1
            templates.append(t)
            nslots.append(t.count(SLOT))
            rows.append([])
        if len(vals) != nslots[tid]:
            tid = RAW
            raw.append(line)
        else:
            rows[tid].append(vals)
        tids[i] = tid
    # values of each column in line order: gather (line, value) per template, then merge per column
    tcols, ncols = template_columns(templates)
    col_vals: list[list[bytes]] = [[] for _ in range(ncols)]
    if ncols:
        order_src: list[list[np.ndarray]] = [[] for _ in range(ncols)]
        vals_src: list[list[tuple[bytes, ...]]] = [[] for _ in range(ncols)]
        for t0, cols in enumerate(tcols):
            trows = rows[t0 + 1]
            if not trows or not cols:
                continue
            where = np.flatnonzero(tids == t0 + 1)
            columns = list(zip(*trows, strict=True))
            for cid, colv in zip(cols, columns, strict=True):
                order_src[cid].append(where)
                vals_src[cid].append(colv)
        for cid in range(ncols):
            parts = vals_src[cid]
            if len(parts) == 1:
                col_vals[cid] = list(parts[0])
            elif parts:
                flat = [v for p in parts for v in p]
                order = np.argsort(np.concatenate(order_src[cid]), kind="stable")
                col_vals[cid] = [flat[j] for j in order.tolist()]
    tsec = b"\n".join(templates)
    body = bytearray()
    ntemp = len(templates) + 1
    width = 1 if ntemp < 256 else 2 if ntemp < 65536 else 4
    body += tids.astype(f"<u{width}").tobytes()
    rawsec = b"\n".join(raw)
    put_varint(body, len(rawsec))
    body += rawsec
    sizes = {"templates": len(tsec), "ids": len(lines) * width, "raw": len(rawsec)}
    seen: dict[bytes, int] = {}
    special: dict[int, bytes] = {}
    for group in _join_groups(templates, tcols, col_vals):
        joined = join_columns([col_vals[c] for c in group])
        if joined is None:
            continue
        head = bytearray([KIND_JOIN])
        put_varint(head, len(group) - 1)
        for c in group[1:]:
            put_varint(head, c)
            ref = bytearray([KIND_PART])
            put_varint(ref, group[0])
            special[c] = bytes(ref)
        special[group[0]] = bytes(head) + joined
    for cid, vals in enumerate(col_vals):
        key = b"\n".join(vals) + b"\n%d" % len(vals)
        if cid in special:
            enc = special[cid]
        elif (same := seen.setdefault(key, cid)) != cid:
            # a column repeating an earlier one (a field written twice in the line) costs a few bytes
            ref = bytearray([KIND_SAME])
            put_varint(ref, same)
            enc = bytes(ref)
        else:
            enc = encode_column(vals)
        put_varint(body, len(enc))
        body += enc
        part = "column_str" if enc[0] == 0 else "column_num"
        sizes[part] = sizes.get(part, 0) + len(enc)
    packed_t = pack(tsec)
    packed_b = pack(bytes(body))
    head = bytearray()
    head_vals = (len(lines), int(final_newline), len(templates), width, len(tsec), len(packed_t), len(body))
    for v in head_vals + (len(raw),):
        put_varint(head, v)
    sizes["packed_templates"] = len(packed_t)
    sizes["packed_body"] = len(packed_b)
    return bytes(head) + packed_t + packed_b, sizes


def _head(payload: bytes) -> tuple[list[int], int]:
    vals = []
    pos = 0
    for _ in range(HEAD_FIELDS):
        v, pos = get_varint(payload, pos)
        vals.append(v)
    return vals, pos


def read_templates(payload: bytes) -> tuple[list[int], list[bytes]]:
    """The block header values and its template table (without decoding the columns)."""
    head, pos = _head(payload)
    n_lines, _fn, ntempl, _w, tlen, tplen, _blen, _nraw = head
    tsec = unpack(payload[pos : pos + tplen], tlen)
    templates = tsec.split(b"\n") if ntempl else []
    if len(templates) != ntempl:
        raise ValueError("template table has the wrong count")
    return head, templates


_TID_CODE = {size: code for code in "LIHB" if (size := array(code).itemsize) in (1, 2, 4)}


def decode_block(payload: bytes) -> Block:
    """Decode a block payload into its parts; raises ``ValueError`` (or lzma errors) on damage."""
    head, templates = read_templates(payload)
    n_lines, fn, ntempl, width, _tlen, tplen, blen, nraw = head
    _, pos = _head(payload)
    body = unpack(payload[pos + tplen :], blen)
    if width not in (1, 2, 4):
        raise ValueError("bad id width")
    ids = array(_TID_CODE[width], body[: n_lines * width])
    if sys.byteorder != "little":
        ids.byteswap()
    tids = ids.tolist()
    counts = Counter(tids)
    if len(tids) != n_lines or (n_lines and max(counts) > ntempl):
        raise ValueError("bad template ids")
    p = n_lines * width
    rlen, p = get_varint(body, p)
    rawsec = body[p : p + rlen]
    p += rlen
    tcols, ncols = template_columns(templates)
    raw = rawsec.split(b"\n") if counts[RAW] else []
    if len(raw) != counts[RAW] or nraw != len(raw) or (not counts[RAW] and rlen):
        raise ValueError("raw section has the wrong count")
    col_n = [0] * ncols
    for t0, cols in enumerate(tcols):
        c = counts[t0 + 1]
        for cid in cols:
            col_n[cid] += c
    col_data: list[bytes] = []
    for _cid in range(ncols):
        clen, p = get_varint(body, p)
        col_data.append(body[p : p + clen])
        p += clen
    if p != len(body):
        raise ValueError("trailing bytes in block")
    ids_raw = body[: n_lines * width]
    return Block(n_lines, bool(fn), templates, tids, raw, col_data, col_n, tcols, {}, ids_raw, width)


def block_text(block: Block) -> bytes:
    """The block's lines joined by ``\\n`` (no final newline), rebuilt with C-level loops only: the column
    of every slot in line order picks the next value of that column, and one printf call over the joined
    formats of all lines writes the text."""
    fmts = block.formats()
    ncols = len(block.col_data)
    its = [iter(block.column(cid)) for cid in range(ncols)] + [iter(block.raw)]
    # the iterators of each template's slots (a verbatim line is one value of the extra "raw" column)
    getters = [(its[ncols],)] + [tuple(its[c] for c in cols) for cols in block.template_cols]
    values = tuple(map(next, chain.from_iterable(map(getters.__getitem__, block.tids))))
    if any(next(it, None) is not None for it in its):
        raise ValueError("columns do not match the template ids")
    return b"\n".join(map(fmts.__getitem__, block.tids)) % values


def block_lines(block: Block) -> list[bytes]:
    """Rebuild every line of a block, in order."""
    return block_text(block).split(b"\n") if block.n_lines else []


def member_mask(block: Block, members: set[int] | frozenset[int]) -> bytes:
    """One byte per line: 1 where the line's template id is in ``members``, else 0. Stored ids of one or
    two bytes are translated byte plane by byte plane (C-level), wider ones tested one by one."""
    ids, width, n = block.id_bytes, block.id_width, block.n_lines
    if width == 1 and len(ids) == n:
        return ids.translate(bytes(int(b in members) for b in range(256)))
    if width == 2 and len(ids) == 2 * n:
        low, high = ids[0::2], ids[1::2]
        by_high: dict[int, set[int]] = {}
        for m in members:
            if 0 <= m < 65536:
                by_high.setdefault(m >> 8, set()).add(m & 0xFF)
        acc = 0
        for h, lows in by_high.items():
            eq = int.from_bytes(high.translate(bytes(int(b == h) for b in range(256))), "little")
            sel = int.from_bytes(low.translate(bytes(int(b in lows) for b in range(256))), "little")
            acc |= eq & sel
        return acc.to_bytes(n, "little")
    return bytes(map(members.__contains__, block.tids))


def _ranks(mask: bytes, hits: list[int]) -> dict[int, int]:
    """For each of the sorted line indexes ``hits``: how many lines before it are marked in ``mask`` (its
    row in a column the marked lines share)."""
    out = {}
    rank = prev = 0
    for i in hits:
        rank += mask.count(1, prev, i)
        prev = i
        out[i] = rank
    return out


def template_rows(block: Block, only: set[int]) -> dict[int, list[int]]:
    """The line indexes of each template id in ``only`` (that has lines), in order."""
    tids = block.tids
    rows: dict[int, list[int]] = {}
    wanted = member_mask(block, only)
    i = wanted.find(1)
    while i >= 0:
        rows.setdefault(tids[i], []).append(i)
        i = wanted.find(1, i + 1)
    return rows


def select_lines(block: Block, only: set[int]) -> list[tuple[int, bytes]]:
    """``(index, line)`` of the lines whose template id is in ``only``, in order; decodes only the columns
    those templates use (C-level passes over the template ids find the lines and their column rows)."""
    return build_lines(block, template_rows(block, only))


def build_lines(block: Block, rows: dict[int, list[int]]) -> list[tuple[int, bytes]]:
    """``(index, line)`` of the lines listed per template id in ``rows`` (each list sorted), in order."""
    tids = block.tids
    tcols = block.template_cols
    rows = {t: where for t, where in rows.items() if where}
    hits = sorted(i for where in rows.values() for i in where)
    if len(hits) * 3 > len(tids):  # many candidates: rebuilding the whole block at once is cheaper
        every = block_lines(block)
        return [(i, every[i]) for i in hits]
    by_users: dict[frozenset[int], dict[int, int]] = {}
    ranks: dict[int, dict[int, Any]] = {}  # shared column -> its value on each candidate line
    pairs: list[tuple[int, bytes]] = []
    for tid, where in rows.items():
        if tid == RAW:
            pairs.extend(zip(where, block.raw, strict=True))
            continue
        per_col = []
        for cid in tcols[tid - 1]:
            if block.col_n[cid] == len(where):  # only this template's lines use the column
                per_col.append(block.column(cid))
                continue
            # position of a line's value in a shared column: how many of its users' lines come before
            seen = ranks.get(cid)
            if seen is None:
                key = frozenset(compress(range(1, len(tcols) + 1), map(contains, tcols, repeat(cid))))
                seen = by_users.get(key)
                if seen is None:
                    seen = by_users[key] = _ranks(member_mask(block, key), [i for i in hits if tids[i] in key])
                if len(seen) * 8 > block.col_n[cid]:
                    vals = block.column(cid)
                    seen = {i: vals[r] for i, r in seen.items()}
                else:  # few rows of a long column: decode only up to them
                    seen = dict(zip(seen, block.values_at(cid, list(seen.values())), strict=True))
                ranks[cid] = seen
            per_col.append([seen[i] for i in where])
        fmt = block.format_of(tid)
        built = [fmt % r for r in zip(*per_col, strict=True)] if per_col else [fmt % ()] * len(where)
        pairs.extend(zip(where, built, strict=True))
    pairs.sort()
    return pairs
