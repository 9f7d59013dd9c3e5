"""The one place where ``logkit report`` scores an input with a trained model.

It calls the detection library's highest-level function, the one ``logkit detect`` calls, so a report shows
the records ``logkit detect`` would write. When the library gains one scoring function for every verb,
this module is what changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["load", "score_input", "parser_for"]


def load(model_dir: str) -> Any:
    """The model of a folder written by ``logkit train``."""
    from logkit.detect.api import load_model

    return load_model(model_dir)


def score_input(path: str, model: Any, *, format: str | None = None, grouping: Any = None,
                threshold: float = 0.5) -> Iterator[dict[str, Any]]:
    """Detection records (DESIGN.md 3.4) of one input (a raw log or ``logkit parse`` JSON Lines)."""
    from logkit.detect.api import detect

    return detect(path, model, grouping=grouping, format=format, threshold=threshold)


def parser_for(model: Any, format: str | None) -> Any:
    """The parser for a report's raw logs: with a model, the model's header format and saved parser state, so
    template ids are those of its training and of the detection records' reasons."""
    from pathlib import Path

    from logkit.parse.api import Parser

    if model is None:
        return Parser(format=format or "auto")
    from logkit.detect.api import PARSER_STATE_FILE

    state = Path(model.folder) / PARSER_STATE_FILE if model.folder else None
    return Parser(format=format or model.format_spec, state=state if state is not None and state.exists() else None)
