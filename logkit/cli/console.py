"""The stderr console: progress, warnings and errors; colour and bars only on a terminal."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

__all__ = ["UI", "get_ui", "set_ui"]


@dataclass
class UI:
    """What the global options asked for: verbosity, colour, tracebacks."""

    verbosity: int = 0  # -1 quiet, 0 normal, 1+ verbose
    color: str = "auto"
    traceback: bool = False
    _console: Any = None

    @property
    def console(self) -> Any:
        """A rich Console on stderr (created on first use so ``--help`` stays fast)."""
        if self._console is None:
            from rich.console import Console

            no_color = bool(os.environ.get("NO_COLOR")) or self.color == "never"
            force = True if self.color == "always" else None
            self._console = Console(
                file=sys.stderr,
                no_color=no_color,
                force_terminal=force,
                highlight=False,
                soft_wrap=True,
            )
        return self._console

    @property
    def interactive(self) -> bool:
        """Progress bars and colour are shown only on a terminal, not with -q or NO_COLOR."""
        if self.verbosity < 0 or os.environ.get("NO_COLOR") or self.color == "never":
            return False
        return self.color == "always" or sys.stderr.isatty()

    def bytes_progress(self, total: int | None, description: str = "") -> Any:
        """A context manager yielding ``update(description, done_bytes)`` that draws a rich bar on stderr
        (only when :attr:`interactive` and ``total`` is known; otherwise ``update`` does nothing: a bar
        without an end would only say ``0/? bytes``)."""
        from contextlib import contextmanager

        @contextmanager
        def bar() -> Any:
            if not self.interactive or not total:
                yield lambda description, done: None
                return
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            with Progress(
                TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                TimeRemainingColumn(), console=self.console, transient=True,
            ) as progress:
                task = progress.add_task(description, total=total)

                def update(desc: str, done: int) -> None:
                    progress.update(task, completed=done, description=desc)

                yield update

        return bar()

    def info(self, message: str) -> None:
        """A line shown at normal verbosity."""
        if self.verbosity >= 0:
            self._print(message)

    def verbose(self, message: str) -> None:
        """A line shown with ``-v``."""
        if self.verbosity >= 1:
            self._print(message)

    def warn(self, message: str) -> None:
        """A warning; shown unless ``-q``."""
        if self.verbosity >= 0:
            self._print(f"Warning: {message}", style="yellow")

    def error(self, message: str) -> None:
        """The one-line error before a non-zero exit; always shown."""
        self._print(f"Error: {message}", style="red")

    def _print(self, message: str, style: str | None = None) -> None:
        if self.interactive:
            self.console.print(message, style=style, markup=False)
        else:
            sys.stderr.write(message + "\n")
            sys.stderr.flush()


_ui = UI()


def get_ui() -> UI:
    """The process-wide UI settings."""
    return _ui


def set_ui(ui: UI) -> None:
    """Replace the process-wide UI settings (the CLI group does this once per run)."""
    global _ui
    _ui = ui
