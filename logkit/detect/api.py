"""Training and detection end to end: input -> events -> groups -> detector -> router -> §3.4 records.

:func:`train` writes a model folder; :func:`load_model` reads it back as a :class:`Model`, whose
:meth:`Model.score` is the one scoring path (:class:`logkit.detect.scoring.Scorer`) that ``logkit detect``,
``logkit run``, ``logkit batch`` and the Python API share.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logkit.detect.grouping import Grouping, group_events, mark_open, parse_grouping, session_gap
from logkit.detect.labels import Labels, read_labels
from logkit.detect.reading import InputInfo, events_of
from logkit.detect.router import DEFAULT_BUDGET, DEFAULT_MIN_UNCERTAINTY
from logkit.detect.scoring import PARSER_STATE_FILE, LLMHook, Scorer, score_input
from logkit.errors import StateError, UsageError
from logkit.fsutil import read_versioned_json, write_json_atomic
from logkit.records import Group, Score

__all__ = ["Model", "ModelInfo", "train", "load_model", "detect", "score_groups", "MODEL_FILE",
           "PARSER_STATE_FILE", "RECORD_COLUMNS"]

MODEL_FILE = "model.json"
MODEL_VERSION = 1
METHODS = ("router", "graph")
RECORD_COLUMNS = ("group", "first_line", "last_line", "lines", "start", "end", "score", "threshold",
                  "anomaly", "uncertainty", "routed", "decided_by", "method", "reason")


@dataclass
class Model:
    """A model folder's settings (method, header format, grouping) and its detector.

    :meth:`score` scores an input with it; :func:`load_model` makes one from a folder, :func:`train` one
    from data.
    """

    method: str
    format_spec: str
    grouping: Grouping
    detector: Any = None
    trained: dict[str, Any] = field(default_factory=dict)
    folder: str | None = None

    def scorer(self, **options: Any) -> Scorer:
        """A :class:`~logkit.detect.scoring.Scorer` of this model (``options`` as it takes)."""
        return Scorer(self, **options)

    def score(self, data: Any, *, grouping: Grouping | None = None, format: str | None = None,
              threshold: float = 0.5, budget: str = DEFAULT_BUDGET, llm: LLMHook | None = None,
              follow: bool = False, idle: float | None = None, stop: Callable[[], bool] | None = None,
              stream: bool | None = None) -> Iterator[Score]:
        """Detection records (:class:`logkit.records.Score`; ``to_dict()`` gives DESIGN.md 3.4's JSON), in
        the order their sessions or windows close.

        Parameters
        ----------
        data
            A path (``-``: standard input), a :class:`logkit.parse.Source`, or an iterable of raw log lines
            (``str``/``bytes``, parsed with the model's parser state), :class:`logkit.records.ParsedLine`
            values, ``logkit parse`` records (dicts), :class:`logkit.records.Event` values or groups.
        grouping, format
            Override the model's grouping and header format.
        threshold : float
            Score at or above which an item is an anomaly.
        budget : str
            Most items routed to the LLM (``N`` or ``P%``).
        llm : callable, optional
            The LLM hook (:class:`logkit.models.llm.LLMJudge`).
        follow, idle, stop
            Read a growing file; close sessions quiet for ``idle`` seconds; ``stop()`` ends following.
        stream : bool, optional
            Score each group as it closes (default: for ``-`` and ``follow``).
        """
        return score_input(self, data, grouping=grouping, format=format, threshold=threshold, budget=budget,
                           llm=llm, follow=follow, idle=idle, stop=stop, stream=stream)


ModelInfo = Model  # the former name


def _group_labels(groups: Sequence[Group], labels: Labels) -> list[int]:
    missing = [g.key for g in groups if g.key not in labels.by_session]
    if len(missing) == len(groups):
        raise UsageError("none of the training sessions is in the labels file; check --session against "
                         "the session ids of the labels")
    return [labels.by_session.get(g.key, 0) for g in groups]


def _grouping_of(grouping: Grouping | None, session: str | None, window: str | int | None) -> Grouping:
    if grouping is not None and (session or window):
        raise UsageError("give grouping= or session=/window=, not both")
    gr = grouping or parse_grouping(session, str(window) if window is not None else None)
    if gr is None:
        raise UsageError("say how lines group: session=REGEX (--session) or window=N or a duration (--window)")
    return gr


def _labels_of(labels: Labels | Mapping[Any, Any] | str | os.PathLike[str] | None) -> Labels | None:
    """Labels from a :class:`Labels`, a label CSV path, or a mapping (session id -> 0/1, or line -> 0/1)."""
    if labels is None or isinstance(labels, Labels):
        return labels
    if isinstance(labels, (str, os.PathLike)):
        return read_labels(labels)
    if isinstance(labels, Mapping):
        if labels and all(isinstance(k, int) for k in labels):
            return Labels("line", by_line={int(k): int(bool(v)) for k, v in labels.items()})
        return Labels("session", by_session={str(k): int(bool(v)) for k, v in labels.items()})
    raise UsageError(f"labels: give a Labels, a CSV path or a mapping, not a {type(labels).__name__}")


def train(
    data: Any,
    model_dir: str | os.PathLike[str],
    *,
    grouping: Grouping | None = None,
    session: str | None = None,
    window: str | int | None = None,
    format: str = "auto",
    labels: Labels | Mapping[Any, Any] | str | os.PathLike[str] | None = None,
    method: str = "router",
    params: dict[str, Any] | None = None,
) -> Model:
    """Train a detector on one input and save it with its method, format and grouping in ``model_dir``.

    Parameters
    ----------
    data
        A raw log or ``logkit parse`` JSONL path (``-`` for standard input), or an iterable of raw lines
        (``str``/``bytes``), :class:`logkit.records.ParsedLine` values or parse records (dicts).
    model_dir : path
        Folder to write (created if needed).
    grouping : Grouping, optional
        Sessions or windows; or give ``session`` (a regular expression) or ``window`` (``N`` lines or a
        duration such as ``"5m"``).
    format : str
        Header format of raw logs.
    labels : Labels, mapping or path, optional
        Session or line labels (supervised): a :class:`Labels`, a ``session,label``/``line,label`` CSV, or a
        mapping of session id (or line number) to 0/1. Without, normal behaviour only.
    method : str
        ``router`` (the small model with LLM routing) or ``graph`` (event/entity graphs, torch, no labels).
    params : dict, optional
        Hyperparameters of the detector.
    """
    if method not in METHODS:
        raise UsageError(f"--method {method!r} is not available here; use one of: {', '.join(METHODS)}")
    grouping = _grouping_of(grouping, session, window)
    labels = _labels_of(labels)
    det = _graph_detector(params) if method == "graph" else _small_detector(params)
    info = InputInfo()
    parsers: list[Any] = []
    # raw lines in memory are read into a list: parsed twice, like a file (mined, then emitted)
    groups = list(group_events(events_of(data, format=format, info=info, parser_out=parsers, replay=True),
                               grouping))
    trained: dict[str, Any] = {}
    if grouping.kind == "session" and groups:
        # sessions still active when the training input ends are beginnings: marked open, as in detect
        trained["open_within_lines"] = session_gap(groups)
        mark_open(groups, max(g.last_line for g in groups), trained["open_within_lines"])
    glabels: list[int] | None = None
    if method == "graph":  # unsupervised; with labels, the items holding an anomaly are left out
        if labels is not None and labels.kind == "line":
            groups = [g for g in groups if not any(labels.by_line.get(ev.line, 0) for ev in g.events)]
        elif labels is not None:
            groups = [g for g in groups if not labels.by_session.get(g.key, 0)]
        det.fit(groups)
    elif labels is None:
        det.fit(groups)
    elif labels.kind == "line":
        det.fit(groups, line_labels=labels.by_line)
        glabels = [int(any(labels.by_line.get(ev.line, 0) for ev in g.events)) for g in groups]
    else:
        if grouping.kind != "session":
            raise UsageError("session labels need --session REGEX; with --window give `line,label` labels")
        glabels = _group_labels(groups, labels)
        det.fit(groups, glabels)
    fmt = format if format != "auto" or info.kind == "parsed" else (info.format_spec or "auto")
    model = Model(method, fmt, grouping, det, {"groups": len(groups), "input_kind": info.kind,
                                               "labels": labels.kind if labels else None, **trained})
    out = Path(model_dir)
    model.folder = str(out)
    det.save(out)
    if parsers:  # detect parses in one pass with these templates known: the same ids, no second pass
        parsers[0].save_state(out / PARSER_STATE_FILE)
    else:
        (out / PARSER_STATE_FILE).unlink(missing_ok=True)
    _save_error_cases(out, groups, glabels, det)
    write_json_atomic(out / MODEL_FILE, {
        "kind": "logkit-model", "version": MODEL_VERSION, "method": method, "format": fmt,
        "grouping": grouping.to_dict(), "detector": det.name, "trained": model.trained,
    })
    return model


def _small_detector(params: dict[str, Any] | None) -> Any:
    from logkit.models.small import SmallDetector

    return SmallDetector(**(params or {}))


def _graph_detector(params: dict[str, Any] | None) -> Any:
    """The graph method's detector (before reading any input: a missing torch fails at once)."""
    from logkit.models.graphs import require_torch

    require_torch()
    from logkit.models.graph import GraphDetector

    return GraphDetector(**(params or {}))


def _save_error_cases(out: Path, groups: Sequence[Group], labels: Sequence[int] | None, det: Any) -> None:
    """Keep the training items the model gets wrong (or is unsure of) for the LLM's prompt (plain JSON)."""
    from logkit.models.llm import ERROR_CASES_FILE, ErrorCases

    if labels is None:  # no true labels: nothing to learn from; an old file must not outlive its model
        (out / ERROR_CASES_FILE).unlink(missing_ok=True)
        return
    scores = []
    for i in range(0, len(groups), 1024):
        scores.extend(det.score(groups[i:i + 1024]))
    ErrorCases.from_training(groups, labels, scores, min_uncertainty=DEFAULT_MIN_UNCERTAINTY).save(out)


def load_model(model_dir: str | os.PathLike[str], *, device: str = "cpu") -> Model:
    """Read a model folder written by :func:`train` (``device``: where the graph method runs)."""
    from logkit.models.base import load_detector

    path = Path(model_dir) / MODEL_FILE
    meta = read_versioned_json(
        path, kind="logkit-model", version=MODEL_VERSION, what="logkit model", fix="train the model again",
        missing=f"{model_dir} holds no model ({MODEL_FILE} missing); train one with "
        "`logkit train INPUT --model DIR`",
    )
    method = str(meta.get("method"))
    if method not in ("router", "graph"):
        raise StateError(f"{path} names an unknown method {method!r}; train the model again")
    try:
        grouping = Grouping.from_dict(meta["grouping"])
    except (KeyError, TypeError, ValueError, AttributeError):
        raise StateError(f"{path} has no valid grouping; train the model again") from None
    if method == "graph":  # scoring on the CPU needs no torch (numpy); --device cuda imports it
        from logkit.models.graph import GraphDetector

        detector: Any = GraphDetector.load(model_dir, device=device)
    else:
        detector = load_detector(model_dir)
    return Model(method, str(meta.get("format") or "auto"), grouping, detector, meta.get("trained", {}),
                 str(model_dir))


def score_groups(
    groups: Iterable[Group],
    detector: Any,
    *,
    threshold: float = 0.5,
    budget: str = DEFAULT_BUDGET,
    method: str = "router",
    batch: int = 256,
    llm: LLMHook | None = None,
) -> Iterator[dict[str, Any]]:
    """Detection records (DESIGN.md 3.4, as dicts) of groups already made, by a bare detector: the scoring
    path of :class:`~logkit.detect.scoring.Scorer` without input or grouping (benchmarks, tests)."""
    model = Model(method, "auto", Grouping("count", size=1), detector)
    for rec in Scorer(model, threshold=threshold, budget=budget, llm=llm, batch=batch).score_groups(groups):
        yield rec.to_dict()


def detect(
    path: Any,
    model: Model,
    *,
    grouping: Grouping | None = None,
    format: str | None = None,
    threshold: float = 0.5,
    budget: str = DEFAULT_BUDGET,
    follow: bool = False,
    idle: float | None = None,
    stop: Callable[[], bool] | None = None,
    llm: LLMHook | None = None,
) -> Iterator[dict[str, Any]]:
    """:meth:`Model.score` of one input, each record as its JSON object (DESIGN.md 3.4)."""
    for rec in model.score(path, grouping=grouping, format=format, threshold=threshold, budget=budget,
                           follow=follow, idle=idle, stop=stop, llm=llm):
        yield rec.to_dict()
