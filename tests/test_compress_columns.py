"""Column transforms of the archive: joined digit fields (timestamps) round-trip and shrink the block."""

from __future__ import annotations

import random

from logkit.compress.archive import compress_bytes, decompress_bytes
from logkit.compress.codecs import KIND_JOIN, KIND_PART, join_columns, split_join
from logkit.compress.columns import decode_block, encode_block


def _log(n: int, seed: int = 3) -> bytes:
    rng = random.Random(seed)
    t = 3600 * 7
    us = 0
    out = []
    for i in range(n):
        us += rng.randrange(20_000, 400_000)
        t, us = t + us // 1_000_000, us % 1_000_000
        hh, mm, ss = t // 3600 % 24, t // 60 % 60, t % 60
        out.append(f"2024-01-02 {hh:02d}:{mm:02d}:{ss:02d}.{us:06d} worker {i % 7} did job {i}")
    return ("\n".join(out) + "\n").encode()


def test_timestamp_fields_are_joined_and_round_trip() -> None:
    data = _log(500)
    lines = data.split(b"\n")[:-1]
    payload, _ = encode_block(lines, True)
    block = decode_block(payload)
    kinds = [c[0] for c in block.col_data]
    assert KIND_JOIN in kinds and KIND_PART in kinds
    assert decompress_bytes(compress_bytes(data)) == data


def test_join_keeps_leading_zeros_and_widths() -> None:
    times = [i * 137_003 for i in range(300)]  # microseconds: minutes (from 0), seconds, fraction
    cols = [
        [str(t // 60_000_000).encode() for t in times],
        [b"%02d" % (t // 1_000_000 % 60) for t in times],
        [b"%06d" % (t % 1_000_000) for t in times],
    ]
    enc = join_columns(cols)
    assert enc is not None
    assert split_join(enc, 300) == cols


def test_join_refuses_ragged_tails() -> None:
    assert join_columns([[b"1", b"2"], [b"5", b"10"]]) is None
    assert join_columns([[b"1", b"2"], [b"ab", b"cd"]]) is None
