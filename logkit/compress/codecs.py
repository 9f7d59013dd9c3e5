"""Column codecs: integers (plain or delta, zigzag, byte-planes), fixed-width digits, strings; and varints.

Every codec is exact: ``decode(encode(values)) == values`` for the values it accepts.
"""

from __future__ import annotations

import lzma
import sys
from array import array
from itertools import accumulate, repeat
from typing import TYPE_CHECKING, Any

from logkit.errors import ArchiveError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "KIND_STR",
    "KIND_INT",
    "KIND_FIXED",
    "KIND_SAME",
    "KIND_JOIN",
    "KIND_PART",
    "put_varint",
    "get_varint",
    "encode_column",
    "decode_column",
    "decode_values",
    "split_join_values",
    "decode_values_at",
    "split_join_values_at",
    "pack",
    "unpack",
    "width_bound",
]

KIND_STR = 0  # values joined by b"\n"
KIND_INT = 1  # canonical decimal integers (no leading zeros), < 10**18
KIND_FIXED = 2  # digit strings all of one width (leading zeros kept), width <= 18
KIND_SAME = 3  # the same values as an earlier column of the block (varint column id follows)
KIND_JOIN = 4  # digit columns of successive slots (``12:34:56``) stored as one integer (see join_columns)
KIND_PART = 5  # a later slot of a KIND_JOIN group (varint id of the group's first column follows)

_NATURAL = 0x40  # flag bit in a byte-width byte: values stored without zigzag (none negative)
_DELTA = 0x10  # flag bit in the kind byte: values stored as differences
_MAX_DIGITS = 18

_PRESET = 9 | lzma.PRESET_EXTREME


def _filters(size: int) -> list[dict[str, int]]:
    """LZMA2 at -9e with a window no larger than the data (less memory, faster on small sections)."""
    dict_size = 1 << max(12, min(26, (size - 1).bit_length()))
    # lc=0, pb=0: columns are mostly binary planes without text context (measured: +1-2 % ratio)
    return [{"id": lzma.FILTER_LZMA2, "preset": _PRESET, "dict_size": dict_size, "lc": 0, "lp": 0, "pb": 0}]


def put_varint(out: bytearray, value: int) -> None:
    """Append ``value`` (>= 0) as an unsigned LEB128 varint."""
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def get_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Read an unsigned varint at ``pos``; returns ``(value, next_pos)``; raises ``ValueError`` if cut."""
    result = 0
    shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def pack(data: bytes) -> bytes:
    """Entropy-code one section (raw LZMA2, no container: the archive has its own checksums)."""
    if not data:
        return b""
    return lzma.compress(data, format=lzma.FORMAT_RAW, filters=_filters(len(data)))


def unpack(data: bytes, size: int) -> bytes:
    """Inverse of :func:`pack`; ``size`` is the expected length (checked)."""
    if size == 0:
        return b""
    if size > 1 << 31:
        raise ValueError("section too large")
    out = lzma.decompress(data, format=lzma.FORMAT_RAW, filters=_filters(size))
    if len(out) != size:
        raise ValueError("section has the wrong length")
    return out


def _to_planes(arr: np.ndarray, allow_natural: bool = True) -> tuple[int, bytes]:
    """Zigzag int64 -> smallest unsigned width, stored as byte planes (all low bytes first)."""
    import numpy as np

    # all >= 0 (counters, deltas of sorted values): stored as they are, flagged in the width byte;
    # otherwise zigzag (a sign bit in the lowest bit)
    natural = allow_natural and (len(arr) == 0 or int(arr.min()) >= 0)
    u = arr.view(np.uint64) if natural else ((arr << 1) ^ (arr >> 63)).view(np.uint64)
    top = int(u.max()) if len(u) else 0
    width = 1
    while width < 8 and top >> (8 * width):
        width += 1
    planes = u.astype(f"<u{width}" if width in (1, 2, 4, 8) else "<u8")
    real = planes.dtype.itemsize
    b = planes.view(np.uint8).reshape(-1, real)[:, :width]
    return width | (_NATURAL if natural else 0), b.T.tobytes()


def _cost(arr: np.ndarray) -> float:
    import numpy as np

    return float(np.log2(np.abs(arr.astype(np.float64)) + 1.0).sum())


def _digit_kind(values: list[bytes]) -> tuple[int, int] | None:
    """``(KIND_INT, 0)`` for canonical integers, ``(KIND_FIXED, width)`` for same-width digit strings."""
    if not values or max(map(len, values)) > _MAX_DIGITS:
        return None
    joined = b" ".join(values)
    if not joined.replace(b" ", b"").isdigit():
        return None
    if " ".join(str(int(v)) for v in values).encode() == joined:
        return KIND_INT, 0
    width = len(values[0])
    if all(len(v) == width for v in values):
        return KIND_FIXED, width
    return None


def _int_cost(arr: np.ndarray) -> float:
    """Estimated bits of an integer column stored plainly or as deltas, whichever is smaller."""
    import numpy as np

    def zz(a: np.ndarray) -> float:  # bits of zigzag magnitudes: a sign costs one bit
        return float(np.log2(np.abs(a.astype(np.float64)) * 2.0 + 1.0).sum())

    if len(arr) < 2:
        return zz(arr)
    return min(zz(arr), zz(np.diff(arr, prepend=np.int64(0))))


def join_columns(cols: list[list[bytes]]) -> bytes | None:
    """Encode successive digit fields as one integer per row (``head * 10**W + tails``), or ``None``.

    ``cols[0]`` (the head) holds canonical integers or same-width digits; every later column holds
    same-width digits. Fields such as hours, minutes, seconds and fractions then form one value that grows
    with time, whose deltas are small and positive (it is kept only when its estimated cost is lower).
    """
    import numpy as np

    head_kind = _digit_kind(cols[0])
    if head_kind is None:
        return None
    widths = []
    for c in cols[1:]:
        w = len(c[0]) if c else 0
        if not 1 <= w <= _MAX_DIGITS or min(map(len, c)) != max(map(len, c)) or not b"".join(c).isdigit():
            return None
        widths.append(w)
    total = sum(widths)
    if max(map(len, cols[0])) + total > _MAX_DIGITS:
        return None
    arrs = [np.array(list(map(int, c)), dtype=np.int64) for c in cols]
    combined = arrs[0]
    for a, w in zip(arrs[1:], widths, strict=True):
        combined = combined * np.int64(10**w) + a
    if _int_cost(combined) >= sum(_int_cost(a) for a in arrs):
        return None
    out = bytearray([KIND_JOIN, head_kind[0], head_kind[1], len(widths)])
    out += bytes(widths)
    out += _encode_ints(combined)
    return bytes(out)


def _join_header(data: bytes) -> tuple[int, int, list[int]]:
    """The head column's kind and width and the later fields' digit widths of :func:`join_columns` data
    (the integers follow at ``4 + len(widths)``)."""
    if len(data) < 4 or data[0] != KIND_JOIN:
        raise ValueError("bad joined column")
    head_kind, head_width, m = data[1], data[2], data[3]
    widths = list(data[4 : 4 + m])
    if head_kind not in (KIND_INT, KIND_FIXED) or len(widths) != m or not all(1 <= w <= 18 for w in widths):
        raise ValueError("bad joined column")
    return head_kind, head_width, widths


def split_join_values(data: bytes, n: int) -> list[tuple[list[int], bytes]]:
    """Inverse of :func:`join_columns` as ``(integers, printf spec)`` per field of the group (no numpy:
    decompression starts faster without it)."""
    head_kind, head_width, widths = _join_header(data)
    arr: list[int] | tuple[int, ...] = _ints_from(data[4 + len(widths) :], n)
    parts: list[tuple[list[int], bytes]] = []
    for w in reversed(widths):
        if n:
            arr, rem = zip(*map(divmod, arr, repeat(10**w)), strict=True)
        else:
            rem = ()
        parts.append((list(rem), _spec(w)))
    parts.append((list(arr), _spec(head_width if head_kind == KIND_FIXED else 0)))
    parts.reverse()
    return parts


def split_join(data: bytes, n: int) -> list[list[bytes]]:
    """Inverse of :func:`join_columns`: the values of every field of the group."""
    return [[spec % v for v in vals] for vals, spec in split_join_values(data, n)]


def _spec(width: int) -> bytes:
    """The printf spec that writes a value of a digit column (``%d``, or zero-padded to ``width``)."""
    return b"%%0%dd" % width if width else b"%d"


_TYPECODE = {size: code for code in "QLIHB" if (size := array(code).itemsize) in (1, 2, 4, 8)}
_SIGNED8 = next(code for code in "qlh" if array(code).itemsize == 8)
_ODD_TO_FF = bytes(0xFF if b & 1 else 0 for b in range(256))
_EVEN_TO_FF = bytes(0 if b & 1 else 0xFF for b in range(256))


def _interleave(planes: list[bytes], size: int, n: int) -> bytearray:
    """Little-endian values of ``size`` bytes from byte planes (plane k holds byte k of every value)."""
    buf = bytearray(n * size)
    for k, plane in enumerate(planes):
        buf[k::size] = plane
    return buf


def _planes_to_ints(data: bytes, width: int, n: int) -> list[int]:
    """Inverse of :func:`_to_planes` in plain Python, with C-level loops only: planes are interleaved by
    slice assignment, and zigzag is undone plane by plane with big-integer bit operations."""
    natural = bool(width & _NATURAL)
    width &= ~_NATURAL
    if not 1 <= width <= 8:
        raise ValueError("bad byte width")
    if len(data) != width * n:
        raise ValueError("numeric column has the wrong length")
    planes = [data[k * n : (k + 1) * n] for k in range(width)]
    if natural:
        if width == 1:
            return list(data)
        size = 2 if width == 2 else 4 if width <= 4 else 8
        arr = array(_TYPECODE[size], _interleave(planes, size, n))
    else:
        # zigzag u -> (u >> 1) ^ -(u & 1): shift every value right by one bit across its planes, then
        # complement the values whose low bit was set (as 8-byte two's complement)
        sign = planes[0].translate(_ODD_TO_FF)
        mask = int.from_bytes(sign, "little")
        low7 = int.from_bytes(b"\x7f" * n, "little")
        bit0 = int.from_bytes(b"\x01" * n, "little")
        nums = [int.from_bytes(p, "little") for p in planes]
        out = []
        for k in range(width):
            v = (nums[k] >> 1) & low7
            if k + 1 < width:
                v |= (nums[k + 1] & bit0) << 7
            out.append((v ^ mask).to_bytes(n, "little"))
        arr = array(_SIGNED8, _interleave(out + [sign] * (8 - width), 8, n))
    if sys.byteorder != "little":
        arr.byteswap()
    return arr.tolist()


def _ints_from(data: bytes, n: int) -> list[int]:
    """Inverse of :func:`_encode_ints` in plain Python."""
    if len(data) < 2 or data[0] > 1:
        raise ValueError("bad integer column")
    vals = _planes_to_ints(data[2:], data[1], n)
    return list(accumulate(vals)) if data[0] else vals


def _encode_ints(arr: np.ndarray) -> bytes:
    """Delta flag, byte width and byte planes of an int64 array (deltas when they are cheaper)."""
    import numpy as np

    delta = np.diff(arr, prepend=np.int64(0))
    use_delta = len(arr) > 1 and _cost(delta) < _cost(arr)
    bw, planes = _to_planes(delta if use_delta else arr, use_delta)
    return bytes([int(use_delta), bw]) + planes


def encode_column(values: list[bytes]) -> bytes:
    """Encode one column's values (bytes without ``\\n``) choosing the kind that fits them.

    Returns ``kind byte + params + data``; the count is not stored (the block knows it).
    """
    out = bytearray()
    if values and max(map(len, values)) <= _MAX_DIGITS:
        joined = b" ".join(values)
        if joined.replace(b" ", b"").isdigit():
            import numpy as np

            ints = list(map(int, values))
            canonical = " ".join(map(str, ints)).encode() == joined
            width = len(values[0])
            fixed = not canonical and all(len(v) == width for v in values)
            if canonical or fixed:
                arr = np.array(ints, dtype=np.int64)
                delta = np.diff(arr, prepend=np.int64(0))
                use_delta = len(arr) > 1 and _cost(delta) < _cost(arr)
                kind = (KIND_INT if canonical else KIND_FIXED) | (_DELTA if use_delta else 0)
                bw, planes = _to_planes(delta if use_delta else arr, use_delta)
                out.append(kind)
                if fixed:
                    out.append(width)
                out.append(bw)
                out += planes
                return bytes(out)
    out.append(KIND_STR)
    out += b"\n".join(values)
    return bytes(out)


def decode_values(data: bytes, n: int) -> tuple[list[Any], bytes]:
    """Inverse of :func:`encode_column` for ``n`` values, as ``(values, printf spec)``: bytes with
    ``%s``, or integers with ``%d`` / ``%0Wd`` (formatting them is left to the line's template).
    Raises ``ValueError`` on damage."""
    if n == 0:
        if data not in (b"", bytes([KIND_STR])):
            raise ValueError("empty column with data")
        return [], b"%s"
    kind = data[0]
    base = kind & 0x0F
    if base == KIND_STR:
        vals = data[1:].split(b"\n")
        if len(vals) != n:
            raise ValueError("string column has the wrong count")
        return vals, b"%s"
    if base not in (KIND_INT, KIND_FIXED):
        raise ValueError(f"unknown column kind {kind}")
    pos = 1
    width = 0
    if base == KIND_FIXED:
        width = data[pos]
        pos += 1
        if not width:
            raise ValueError("bad digit width")
    bw = data[pos]
    pos += 1
    ints = _planes_to_ints(data[pos:], bw, n)
    if kind & _DELTA:
        ints = list(accumulate(ints))
    return ints, _spec(width)


FEW_ROWS = 64  # rows of a delta column read by plane sums when fewer than 1/FEW_ROWS of its rows are asked

# zigzag byte u -> 128 + its value (u >> 1, or -(u >> 1) - 1 when odd): the low plane's part of a value
_ZIGZAG_LOW = bytes(128 + (u >> 1 if u % 2 == 0 else -(u >> 1) - 1) for u in range(256))


def _steps_at(data: bytes, bw: int, n: int, positions: list[int]) -> list[int]:
    """Running sums of byte-plane integers (:func:`_to_planes` output) at sorted ``positions``, from sums
    of plane slices: the values themselves are never built (a long column's few rows, for grep)."""
    natural = bool(bw & _NATURAL)
    width = bw & ~_NATURAL
    if not 1 <= width <= 8 or len(data) != width * n or (positions and not 0 <= positions[0] <= positions[-1] < n):
        raise ValueError("bad integer column")
    planes = [data[k * n : (k + 1) * n] for k in range(width)]
    if natural:
        weights = [(plane, 1 << (8 * k), 0) for k, plane in enumerate(planes)]
        odd: list[bytes] = []
    else:
        # a zigzag value is +-(its magnitude): the low plane maps to 128 + its part of the value, and
        # each higher plane counts with the sign of its row (odd low byte: negative)
        weights = [(planes[0].translate(_ZIGZAG_LOW), 1, 128)]
        mask = int.from_bytes(planes[0].translate(_ODD_TO_FF), "little")
        odd = [(int.from_bytes(p, "little") & mask).to_bytes(n, "little") for p in planes[1:]]
        weights += [(p, 128 << (8 * (k - 1)), 0) for k, p in enumerate(planes[1:], 1)]
    out = []
    total = start = 0
    for p in positions:
        end = p + 1
        for plane, weight, bias in weights:
            total += weight * (sum(plane[start:end]) - bias * (end - start))
        for k, plane in enumerate(odd, 1):
            total -= (256 << (8 * (k - 1))) * sum(plane[start:end])
        start = end
        out.append(total)
    return out


def _ints_at(data: bytes, n: int, positions: list[int]) -> list[int]:
    """:func:`_ints_from` at sorted ``positions`` only (no running sum past the last one)."""
    if len(data) < 2 or data[0] > 1:
        raise ValueError("bad integer column")
    if data[0] and len(positions) * FEW_ROWS < n:
        return _steps_at(data[2:], data[1], n, positions)
    if data[0]:
        summed = list(accumulate(_planes_to_ints(data[2:], data[1], n)))
        return [summed[p] for p in positions]
    vals = _planes_to_ints(data[2:], data[1], n)
    return [vals[p] for p in positions]


def decode_values_at(data: bytes, n: int, positions: list[int]) -> tuple[list[Any], bytes]:
    """:func:`decode_values` at sorted ``positions`` only (grep's few candidate rows of a long column)."""
    kind = data[0] if data else KIND_STR
    if n and kind & 0x0F in (KIND_INT, KIND_FIXED) and kind & _DELTA:
        pos = 2 if kind & 0x0F == KIND_FIXED else 1
        width = data[1] if pos == 2 else 0
        if pos == 2 and not width:
            raise ValueError("bad digit width")
        if len(positions) * FEW_ROWS < n:  # few rows: sums of plane slices, no value list
            return _steps_at(data[pos + 1 :], data[pos], n, positions), _spec(width)
    vals, spec = decode_values(data, n)
    return [vals[p] for p in positions], spec


def split_join_values_at(data: bytes, n: int, positions: list[int]) -> list[tuple[list[int], bytes]]:
    """:func:`split_join_values` at sorted ``positions`` only."""
    head_kind, head_width, widths = _join_header(data)
    arr = _ints_at(data[4 + len(widths) :], n, positions)
    parts: list[tuple[list[int], bytes]] = []
    for w in reversed(widths):
        pairs = [divmod(v, 10**w) for v in arr]
        arr = [q for q, _ in pairs]
        parts.append(([r for _, r in pairs], _spec(w)))
    parts.append((arr, _spec(head_width if head_kind == KIND_FIXED else 0)))
    parts.reverse()
    return parts


def width_bound(data: bytes, n: int) -> int | None:
    """An upper bound on the printed length of every value of a column (``encode_column`` data of ``n``
    values), read from its header and byte planes without decoding it; ``None`` when the kind gives none."""
    if not n or not data:
        return 0
    kind = data[0]
    base = kind & 0x0F
    if base == KIND_STR:
        return len(data) - 1
    if base not in (KIND_INT, KIND_FIXED):
        return None
    pos = 1
    if base == KIND_FIXED:
        if len(data) < 3 or not data[1]:
            return None
        return data[1]  # same-width digit strings
    bw = data[pos]
    width = bw & ~_NATURAL
    planes = data[pos + 1 :]
    if not 1 <= width <= 8 or len(planes) != width * n:
        return None
    if kind & _DELTA:
        # values are >= 0, so none exceeds the sum of the positive steps (zigzag: the even bytes u, u / 2)
        planes_k = [planes[k * n : (k + 1) * n] for k in range(width)]
        if not bw & _NATURAL:
            even = int.from_bytes(planes_k[0].translate(_EVEN_TO_FF), "little")
            planes_k = [(int.from_bytes(p, "little") & even).to_bytes(n, "little") for p in planes_k]
        total = sum(sum(p) << (8 * k) for k, p in enumerate(planes_k))
        top = total if bw & _NATURAL else total // 2
        return len(str(top))
    else:
        top = (1 << (8 * width)) - 1
        if not bw & _NATURAL:
            top //= 2
    return len(str(top)) + (0 if bw & _NATURAL else 1)  # a sign


def decode_column(data: bytes, n: int) -> list[bytes]:
    """Inverse of :func:`encode_column` for ``n`` values; raises ``ValueError`` on damage."""
    vals, spec = decode_values(data, n)
    return vals if spec == b"%s" else [spec % v for v in vals]


def check(cond: bool, what: str) -> None:
    """Raise :class:`ArchiveError` with ``what`` unless ``cond``."""
    if not cond:
        raise ArchiveError(what)
