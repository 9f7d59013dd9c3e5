"""Variable-typing benchmark: accuracy of :func:`logkit.parse.vartypes.classify` on a labelled JSONL set.

Each row is ``{"content": ..., "start": i, "end": j, "type": "LOI"}`` (optionally ``"value"`` and
``"split"``); ``tests/data/vartypes.jsonl`` is the labelled set shipped with the tests.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from logkit.errors import InputError
from logkit.parse.vartypes import classify
from logkit.records import VarType

__all__ = ["load_labelled", "type_accuracy", "calls_per_second"]


def load_labelled(path: str | Path) -> list[dict[str, Any]]:
    """Read and check a labelled set: one JSON object per line, offsets and types valid.

    Raises
    ------
    InputError
        When the file is missing or a row is malformed (the message names the line).
    """
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read the labelled set {p}: {exc.strerror}; check the path") from None
    rows: list[dict[str, Any]] = []
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            content, start, end = row["content"], int(row["start"]), int(row["end"])
            VarType(row["type"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"{p}:{no}: bad labelled row ({exc}); each needs content, start, end, type"
            ) from None
        if not 0 <= start < end <= len(content):
            raise InputError(f"{p}:{no}: offsets {start}:{end} are outside the content; fix the row")
        if "value" in row and content[start:end] != row["value"]:
            raise InputError(
                f"{p}:{no}: content[{start}:{end}] is not the value {row['value']!r}; fix the row"
            )
        rows.append(row)
    return rows


def _score(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    correct = sum(1 for r in rows if r["_pred"] == r["type"])
    return {"n": n, "correct": correct, "accuracy": round(correct / n, 4) if n else 0.0}


def type_accuracy(path: str | Path) -> dict[str, Any]:
    """Overall, per-split and per-type accuracy of ``classify`` on a labelled set, with a confusion summary.

    Parameters
    ----------
    path
        A labelled JSONL file (see the module docstring).

    Returns
    -------
    dict
        ``n``, ``correct``, ``accuracy``; ``splits``: ``{split: {n, correct, accuracy}}`` (rows without a
        split count as ``"dev"``); ``per_type``: ``{type: {n, correct, accuracy, precision}}`` for each gold
        type present; ``confusion``: ``[{"gold", "pred", "count"}]`` for the mistakes, commonest first.
    """
    rows = load_labelled(path)
    for r in rows:
        r["_pred"] = classify(r["content"], int(r["start"]), int(r["end"])).value
    out: dict[str, Any] = _score(rows)
    splits: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        splits.setdefault(str(r.get("split", "dev")), []).append(r)
    out["splits"] = {name: _score(part) for name, part in sorted(splits.items())}
    predicted = Counter(r["_pred"] for r in rows)
    per_type: dict[str, Any] = {}
    for t in VarType:
        part = [r for r in rows if r["type"] == t.value]
        if not part:
            continue
        score = _score(part)
        score["precision"] = round(score["correct"] / predicted[t.value], 4) if predicted[t.value] else 0.0
        per_type[t.value] = score
    out["per_type"] = per_type
    mistakes = Counter((r["type"], r["_pred"]) for r in rows if r["_pred"] != r["type"])
    out["confusion"] = [{"gold": g, "pred": p, "count": c} for (g, p), c in mistakes.most_common()]
    return out


def calls_per_second(path: str | Path, seconds: float = 1.0) -> float:
    """How many ``classify`` calls a second, cycling over the labelled set for about ``seconds``.

    The caches are warm after the first pass, as they are when a large log is parsed.
    """
    items = [(r["content"], int(r["start"]), int(r["end"])) for r in load_labelled(path)]
    calls = 0
    t0 = time.perf_counter()
    deadline = t0 + seconds
    while True:
        for content, start, end in items:
            classify(content, start, end)
        calls += len(items)
        now = time.perf_counter()
        if now >= deadline:
            return calls / (now - t0)
