"""logkit's own Parquet parse output (``logkit parse -o x.parquet``, ``run --parsed``) read as detection events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from logkit.errors import InputError
from logkit.parse.recorded import is_parquet, parquet_records

__all__ = ["is_parquet", "parquet_events"]


def parquet_events(path: str) -> Iterator[Any]:
    """:class:`logkit.detect.grouping.Event` of each row of a logkit parse Parquet file."""
    from logkit.detect.grouping import EventMaker

    event_from_record = EventMaker().from_record
    for n, rec in enumerate(parquet_records(path), 1):
        try:
            yield event_from_record(rec)
        except (AttributeError, TypeError, ValueError, KeyError):
            raise InputError(f"{path} row {n} is not a `logkit parse` record (a column has the wrong type); "
                             "give raw logs or unedited parse output") from None
