"""Training and detection end to end: input -> events -> groups -> detector -> router -> §3.4 records."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any

from logkit.detect.grouping import Group, Grouping, group_events, mark_open, session_gap
from logkit.detect.labels import Labels
from logkit.detect.reading import InputInfo, read_events
from logkit.detect.router import DEFAULT_BUDGET, DEFAULT_MIN_UNCERTAINTY, Router, parse_budget
from logkit.errors import StateError, UsageError
from logkit.fsutil import read_versioned_json, write_json_atomic

__all__ = ["ModelInfo", "train", "load_model", "detect", "score_groups", "MODEL_FILE", "RECORD_COLUMNS"]

MODEL_FILE = "model.json"
PARSER_STATE_FILE = "parser_state.json"
MODEL_VERSION = 1
METHODS = ("router", "graph")
MAX_PATTERN_ANSWERS = 100_000  # LLM answers kept per pattern for its later unsure items
_TEMPLATE_ID = attrgetter("template_id")
RECORD_COLUMNS = ("group", "first_line", "last_line", "lines", "start", "end", "score", "threshold",
                  "anomaly", "uncertainty", "routed", "decided_by", "method", "reason")


@dataclass
class ModelInfo:
    """A model folder's settings: method, header format, grouping; and the detector itself."""

    method: str
    format_spec: str
    grouping: Grouping
    detector: Any = None
    trained: dict[str, Any] = field(default_factory=dict)
    folder: str | None = None


def _group_labels(groups: Sequence[Group], labels: Labels) -> list[int]:
    missing = [g.key for g in groups if g.key not in labels.by_session]
    if len(missing) == len(groups):
        raise UsageError("none of the training sessions is in the labels file; check --session against "
                         "the session ids of the labels")
    return [labels.by_session.get(g.key, 0) for g in groups]


def train(
    path: str,
    model_dir: str | os.PathLike[str],
    *,
    grouping: Grouping,
    format: str = "auto",
    labels: Labels | None = None,
    method: str = "router",
    params: dict[str, Any] | None = None,
) -> ModelInfo:
    """Train a detector on one input and save it with its method, format and grouping in ``model_dir``.

    Parameters
    ----------
    path : str
        Raw log or ``logkit parse`` JSONL (``-`` for standard input).
    model_dir : path
        Folder to write (created if needed).
    grouping : Grouping
        Sessions or windows.
    format : str
        Header format of raw logs.
    labels : Labels, optional
        Session or line labels (supervised); without, normal behaviour only.
    method : str
        ``router`` (the small model with LLM routing) or ``graph`` (event/entity graphs, torch, no labels).
    params : dict, optional
        Hyperparameters of the detector.
    """
    if method not in METHODS:
        raise UsageError(f"--method {method!r} is not available here; use one of: {', '.join(METHODS)}")
    det = _graph_detector(params) if method == "graph" else _small_detector(params)
    info = InputInfo()
    parsers: list[Any] = []
    groups = list(group_events(read_events(path, format=format, info=info, parser_out=parsers), grouping))
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
    model = ModelInfo(method, fmt, grouping, det, {"groups": len(groups), "input_kind": info.kind,
                                                   "labels": labels.kind if labels else None, **trained})
    out = Path(model_dir)
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
    from logkit.detect.graphs import require_torch

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


def load_model(model_dir: str | os.PathLike[str], *, device: str = "cpu") -> ModelInfo:
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
    return ModelInfo(method, str(meta.get("format") or "auto"), grouping, detector,
                     meta.get("trained", {}), str(model_dir))


def _iso(ts: Any) -> str | None:
    return ts.isoformat() if ts is not None else None


def score_groups(
    groups: Iterator[Group] | Sequence[Group],
    detector: Any,
    *,
    threshold: float = 0.5,
    router: Router | None = None,
    method: str = "router",
    batch: int = 256,
    llm: Callable[[Group, dict[str, Any]], dict[str, Any] | None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Detection records (DESIGN.md 3.4) for groups, in the order they close.

    ``llm``, when given, is called for routed items with the group and its model record; it returns
    ``{"anomaly": bool, "reason": str}`` or ``None`` (no usable answer: the model's decision stays).
    """
    router = router or Router(parse_budget(DEFAULT_BUDGET))
    pending: list[Group] = []
    answers: dict[frozenset[str], dict[str, Any]] = {}

    def flush() -> Iterator[dict[str, Any]]:
        scores = detector.score(pending)
        # a pattern (the set of an item's templates) is asked once; later unsure items of the pattern take
        # the LLM's answer for it
        # (only items unsure enough to be routed or to take an answer need their pattern)
        low = router.min_uncertainty
        keys: list[frozenset[str] | None] = [
                frozenset(map(_TEMPLATE_ID, g.events)) if s.route_uncertainty >= low else None
                for g, s in zip(pending, scores, strict=True)]
        routes = router.route_batch([s.route_uncertainty for s in scores], keys)
        for g, s, routed, key in zip(pending, scores, routes, keys, strict=True):
            anomaly = s.score >= threshold
            rec: dict[str, Any] = {
                "group": g.key, "first_line": g.first_line, "last_line": g.last_line, "lines": g.lines,
                "start": _iso(g.start), "end": _iso(g.end), "score": round(s.score, 4),
                "threshold": threshold, "anomaly": anomaly, "uncertainty": round(s.uncertainty, 4),
                "routed": routed, "decided_by": "model", "method": method,
                "reason": s.reason if anomaly else s.note,
            }
            top = getattr(s, "top", None)
            if top is not None:
                rec["top"] = top
            answer = None
            if llm is not None and routed:
                answer = llm(g, rec)
                if answer is not None and key is not None and len(answers) < MAX_PATTERN_ANSWERS:
                    answers[key] = answer
            elif llm is not None and key is not None:
                answer = answers.get(key)
            if answer is not None:
                rec["anomaly"] = bool(answer["anomaly"])
                rec["decided_by"] = "llm"
                del rec["reason"]
                rec["model_anomaly"] = anomaly
                rec["reason"] = str(answer.get("reason") or "") or "the LLM gave no reason"
            yield rec
        pending.clear()

    for g in groups:
        pending.append(g)
        if len(pending) >= batch:
            yield from flush()
    if pending:
        yield from flush()


def detect(
    path: str,
    model: ModelInfo,
    *,
    grouping: Grouping | None = None,
    format: str | None = None,
    threshold: float = 0.5,
    budget: str = DEFAULT_BUDGET,
    follow: bool = False,
    idle: float | None = None,
    stop: Callable[[], bool] | None = None,
    llm: Callable[[Group, dict[str, Any]], dict[str, Any] | None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Score one input with a trained model; the model's format and grouping apply unless given."""
    if not 0.0 <= threshold <= 1.0:  # also NaN, which would silently flag nothing
        raise UsageError(f"--threshold {threshold} is not a number from 0 to 1; give e.g. 0.5")
    gr = grouping or model.grouping
    state = Path(model.folder) / PARSER_STATE_FILE if model.folder else None
    events = read_events(path, format=format or model.format_spec, follow=follow, stop=stop,
                         state=state if state is not None and state.exists() else None)
    within = model.trained.get("open_within_lines") if gr.kind == "session" else None
    groups = group_events(events, gr, idle=idle if follow else None,
                          open_within=int(within) if within is not None else None)
    return score_groups(groups, model.detector, threshold=threshold, router=Router(parse_budget(budget)),
                        method=model.method, batch=1 if follow or path == "-" else 256, llm=llm)
