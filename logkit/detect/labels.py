"""Label files for ``logkit train --labels``: ``session,label`` or ``line,label`` CSV.

Labels are 0/1 or Normal/Anomaly.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field

from logkit.errors import InputError

__all__ = ["Labels", "read_labels", "parse_label"]

_NORMAL = {"0", "normal", "false", "no", "-"}
_ANOMALY = {"1", "anomaly", "anomalous", "abnormal", "true", "yes"}


@dataclass
class Labels:
    """Labels by session id (``kind == "session"``) or by 1-based line number (``kind == "line"``)."""

    kind: str
    by_session: dict[str, int] = field(default_factory=dict)
    by_line: dict[int, int] = field(default_factory=dict)


def parse_label(text: str) -> int:
    """``0``/``1``/``Normal``/``Anomaly`` (any case) -> 0 or 1; raises ``ValueError`` otherwise."""
    t = text.strip().lower()
    if t in _NORMAL:
        return 0
    if t in _ANOMALY:
        return 1
    raise ValueError(text)


def read_labels(path: str | os.PathLike[str]) -> Labels:
    """Read a label CSV; the header (``session,label`` or ``line,label``) says which kind, else the first
    column does (whole numbers are line numbers)."""
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    except OSError as exc:
        raise InputError(
            f"cannot read the labels file {path} ({exc.strerror}); check the --labels path"
        ) from None
    except (UnicodeDecodeError, csv.Error):
        raise InputError(
            f"the labels file {path} is not a UTF-8 CSV text file; give `session,label` or `line,label` rows"
        ) from None
    if not rows:
        raise InputError(f"the labels file {path} is empty; give `session,label` or `line,label` rows")
    head = [c.strip().lower() for c in rows[0]]
    kind = ""
    if len(head) >= 2 and head[1] == "label":
        kind = "line" if head[0] in ("line", "lineid", "line_id") else "session"
        rows = rows[1:]
    elif rows[0][0].strip().isdigit():
        kind = "line"
    else:
        kind = "session"
    out = Labels(kind)
    for n, r in enumerate(rows, 2 if head and head[-1:] == ["label"] else 1):
        if len(r) < 2:
            raise InputError(f"{path} row {n} has no label column; write `id,label`")
        try:
            y = parse_label(r[1])
        except ValueError:
            if n == 1:  # a header that is not `session,label` / `line,label`
                raise InputError(
                    f"{path} row 1: {','.join(r)!r} is neither a `session,label` or `line,label` header"
                    " nor a labelled row; fix the header"
                ) from None
            raise InputError(
                f"{path} row {n}: label {r[1]!r} is not 0/1 or Normal/Anomaly; fix that row"
            ) from None
        if kind == "line":
            try:
                out.by_line[int(r[0])] = y
            except ValueError:
                raise InputError(f"{path} row {n}: {r[0]!r} is not a line number; fix that row") from None
        else:
            out.by_session[r[0].strip()] = y
    return out
