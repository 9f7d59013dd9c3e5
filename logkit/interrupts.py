"""Deferred interrupts: SIGINT/SIGTERM arriving while an output is being written wait until it is consistent.

A verb that writes an archive or a Parquet file reads in a loop; an interrupt that lands while it waits for
input ends the wait at once (``KeyboardInterrupt``), one that lands while a block is being encoded and written
is held until that block is done (:meth:`Interrupts.shield`), so the writer's state is never half-updated and
closing it afterwards gives a valid file holding every line read.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

__all__ = ["Interrupts"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupts:
    """Catch SIGINT and SIGTERM for the duration of a ``with`` block (main thread only; elsewhere a no-op).

    Outside :meth:`shield` a signal raises ``KeyboardInterrupt`` at once, as Python's own handler does;
    inside, it is recorded and raised when the outermost shield ends. ``signum`` is the last signal seen.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self._depth = 0
        self._saved: dict[int, Any] = {}

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            for sig in _SIGNALS:
                self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)
        self._saved = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.signum = signum
        if self._depth == 0:
            raise KeyboardInterrupt

    @property
    def requested(self) -> bool:
        """Whether a signal has arrived."""
        return self.signum is not None

    @contextlib.contextmanager
    def shield(self, *, raise_after: bool = True) -> Iterator[None]:
        """Hold signals while the block runs; one that arrived is raised as ``KeyboardInterrupt`` after it
        (unless ``raise_after`` is false: closing outputs after an interrupt is not cut short by another)."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if raise_after and self._depth == 0 and self.signum is not None:
            raise KeyboardInterrupt
