"""The one scoring path: input -> events -> groups -> detector -> router and LLM -> detection records.

``logkit detect``, ``logkit run``, ``logkit batch`` and the Python API (``logkit.load_model(dir).score``)
all score through :class:`Scorer`, so one model and one input give one answer everywhere. Here live the
rules that decide a record beyond the detector's own verdict:

- the open-session rule: sessions still active when the input ends (quiet for fewer lines than the training
  data's sessions ever were) are marked ``open`` and judged as beginnings;
- raw lines are parsed by a parser holding the model's saved parser state (``parser_state.json``), so
  template ids are those of training whichever verb reads the input;
- the LLM route: the most uncertain items within the budget are routed; an LLM answer is reused only for
  later unsure items the model cannot tell apart from the one asked (the same event counts), marked
  ``decided_by: "llm-cache"``.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any

from logkit.detect.grouping import Grouping, group_events
from logkit.detect.reading import InputInfo, events_of
from logkit.detect.router import DEFAULT_BUDGET, Router, parse_budget
from logkit.errors import UsageError
from logkit.records import DecidedBy, Event, Group, Score

__all__ = ["Scorer", "ScoreStats", "LLMHook", "PARSER_STATE_FILE", "MAX_ANSWERS", "counts_key"]

PARSER_STATE_FILE = "parser_state.json"
MAX_ANSWERS = 100_000  # LLM answers kept for later items with the same event counts (bounded memory)
_TEMPLATE_ID = attrgetter("template_id")

LLMHook = Callable[[Group, dict[str, Any]], "dict[str, Any] | None"]


def counts_key(g: Group) -> Hashable:
    """What makes two items the same to the model: their event (template) counts, and whether the input
    ended inside them. An LLM answer is reused only between items with one key."""
    return (frozenset(Counter(map(_TEMPLATE_ID, g.events)).items()), g.open)


@dataclass
class ScoreStats:
    """What a scorer did: items scored, routed, and decided by the LLM (asked, or its answer reused)."""

    items: int = 0
    anomalies: int = 0
    routed: int = 0
    llm: int = 0
    llm_cache: int = 0

    @property
    def routed_share(self) -> float:
        """Share of the items routed (sent to the LLM, or that would have been had one been set)."""
        return self.routed / self.items if self.items else 0.0

    @property
    def llm_share(self) -> float:
        """Share of the items whose final decision is the LLM's (asked or reused)."""
        return (self.llm + self.llm_cache) / self.items if self.items else 0.0

    def summary(self) -> str:
        """One line for stderr."""
        return (f"{self.items:,} items, {self.anomalies:,} anomalies; routed {self.routed:,} "
                f"({self.routed_share:.1%}); decided by the LLM {self.llm + self.llm_cache:,} "
                f"({self.llm_share:.1%}: {self.llm:,} asked, {self.llm_cache:,} reused for items with the "
                "same event counts)")


def _check_threshold(threshold: float) -> None:
    if not 0.0 <= threshold <= 1.0:  # also NaN, which would silently flag nothing
        raise UsageError(f"--threshold {threshold} is not a number from 0 to 1; give e.g. 0.5")


class Scorer:
    """Scores one stream of input with a trained model (see the module docstring).

    Parameters
    ----------
    model : logkit.detect.api.Model
        A model folder read by :func:`logkit.detect.api.load_model`.
    grouping : Grouping, optional
        Sessions or windows (default: the model's).
    threshold : float
        Score at or above which an item is an anomaly.
    budget : str
        Most items routed to the LLM: ``N`` calls or ``P%`` of the items.
    llm : callable, optional
        Called for routed items with the group and its model record (the JSON of DESIGN.md 3.4); returns
        ``{"anomaly": bool, "reason": str}`` or ``None`` (no usable answer: the model's decision stays).
    batch : int
        Groups scored together (1 on streams, so each record leaves as its group closes).
    idle : float, optional
        Sessions with no line for this many seconds (by the lines' timestamps) close early (follow mode).

    A scorer holds the state of one stream (router budget, LLM answers, the detector's scoring context):
    make one per input.
    """

    def __init__(self, model: Any, *, grouping: Grouping | None = None, threshold: float = 0.5,
                 budget: str = DEFAULT_BUDGET, llm: LLMHook | None = None, batch: int = 256,
                 idle: float | None = None) -> None:
        _check_threshold(threshold)
        self.model = model
        self.grouping = grouping or model.grouping
        self.threshold = threshold
        self.router = Router(parse_budget(budget))
        self.llm = llm
        self.batch = max(int(batch), 1)
        self.idle = idle
        self.stats = ScoreStats()
        self.info = InputInfo()
        self._answers: dict[Hashable, dict[str, Any]] = {}
        new_context = getattr(model.detector, "new_context", None)
        self._context = new_context() if new_context is not None else None

    # -- input ------------------------------------------------------------------------------------
    def state_path(self) -> Path | None:
        """The model's saved parser state, when it has one."""
        folder = getattr(self.model, "folder", None)
        if not folder:
            return None
        path = Path(folder) / PARSER_STATE_FILE
        return path if path.exists() else None

    def parser(self, format: str | None = None) -> Any:
        """A :class:`logkit.parse.Parser` holding the model's templates (its saved parser state)."""
        from logkit.parse.api import Parser

        return Parser(format=format or self.model.format_spec, state=self.state_path())

    def events(self, data: Any, *, format: str | None = None, follow: bool = False,
               stop: Callable[[], bool] | None = None) -> Iterator[Event]:
        """Events of ``data`` (see :func:`logkit.detect.reading.events_of`), raw lines parsed with the
        model's parser state."""
        return events_of(data, format=format or self.model.format_spec, state=self.state_path(), info=self.info,
                         follow=follow, stop=stop)

    # -- grouping: the open-session rule ----------------------------------------------------------
    def groups(self, events: Iterable[Event]) -> Iterator[Group]:
        """Closed groups of ``events``; sessions still active when the input ends are marked ``open``."""
        within = self.model.trained.get("open_within_lines") if self.grouping.kind == "session" else None
        return group_events(events, self.grouping, idle=self.idle,
                            open_within=int(within) if within is not None else None)

    # -- scoring: the detector, the router and the LLM --------------------------------------------
    def score_groups(self, groups: Iterable[Group]) -> Iterator[Score]:
        """Detection records for groups, in the order they close."""
        pending: list[Group] = []
        for g in groups:
            pending.append(g)
            if len(pending) >= self.batch:
                yield from self._flush(pending)
                pending = []
        if pending:
            yield from self._flush(pending)

    def score(self, data: Any, *, format: str | None = None, follow: bool = False,
              stop: Callable[[], bool] | None = None) -> Iterator[Score]:
        """Detection records of an input: a path (``-``: standard input), a :class:`~logkit.parse.Source`,
        raw lines, parsed lines, parse records, events or groups."""
        if isinstance(data, (list, tuple)) and data and isinstance(data[0], Group):
            return self.score_groups(data)
        return self.score_groups(self.groups(self.events(data, format=format, follow=follow, stop=stop)))

    def _verdicts(self, groups: Sequence[Group]) -> list[Any]:
        det = self.model.detector
        if self._context is not None:
            return list(det.score(groups, self._context))
        return list(det.score(groups))

    def _flush(self, groups: Sequence[Group]) -> Iterator[Score]:
        verdicts = self._verdicts(groups)
        low = self.router.min_uncertainty
        # only items unsure enough to be routed, or to take an answer given for their like, need a key
        keys: list[Hashable | None] = [counts_key(g) if v.route_uncertainty >= low else None
                                       for g, v in zip(groups, verdicts, strict=True)]
        routes = self.router.route_batch([v.route_uncertainty for v in verdicts], keys)
        method = self.model.method
        records = []
        for g, v, routed in zip(groups, verdicts, routes, strict=True):
            anomaly = v.score >= self.threshold
            top = getattr(v, "top", None)
            records.append(Score(
                g.key, g.first_line, g.last_line, g.lines, g.start, g.end, v.score, self.threshold, anomaly,
                v.uncertainty, routed, DecidedBy.MODEL, method, v.reason if anomaly else v.note,
                top=tuple(top) if top is not None else None))
        if self.llm is not None:
            records = self._ask(groups, records, keys)
        st = self.stats
        for rec in records:
            st.items += 1
            st.anomalies += rec.anomaly
            st.routed += rec.routed
            st.llm += rec.decided_by is DecidedBy.LLM
            st.llm_cache += rec.decided_by is DecidedBy.LLM_CACHE
        yield from records

    def _ask(self, groups: Sequence[Group], records: list[Score], keys: list[Hashable | None]) -> list[Score]:
        """The LLM's decisions: routed items are asked first, then unsure items with the event counts of an
        item asked (in this batch or before) take its answer."""
        assert self.llm is not None
        answers = self._answers
        decided: dict[int, tuple[dict[str, Any], DecidedBy]] = {}
        for i, rec in enumerate(records):
            if rec.routed:
                answer = self.llm(groups[i], rec.to_dict())
                if answer is not None:
                    decided[i] = (answer, DecidedBy.LLM)
                    key = keys[i]
                    if key is not None and len(answers) < MAX_ANSWERS:
                        answers[key] = answer
        for i, rec in enumerate(records):
            key = keys[i]
            if i not in decided and not rec.routed and key is not None and key in answers:
                decided[i] = (answers[key], DecidedBy.LLM_CACHE)
        out = records
        for i, (answer, by) in decided.items():
            rec = records[i]
            out[i] = Score(rec.group, rec.first_line, rec.last_line, rec.lines, rec.start, rec.end, rec.score,
                           rec.threshold, bool(answer["anomaly"]), rec.uncertainty, rec.routed, by, rec.method,
                           str(answer.get("reason") or "") or "the LLM gave no reason",
                           model_anomaly=rec.anomaly, top=rec.top)
        return out


def score_input(model: Any, data: Any, *, grouping: Grouping | None = None, format: str | None = None,
                threshold: float = 0.5, budget: str = DEFAULT_BUDGET, llm: LLMHook | None = None,
                follow: bool = False, idle: float | None = None, stop: Callable[[], bool] | None = None,
                stream: bool | None = None) -> Iterator[Score]:
    """Detection records of one input (see :meth:`Scorer.score`); a stream (``-``, ``follow``, or
    ``stream=True``) scores each group as it closes."""
    if stream is None:
        stream = follow or (isinstance(data, (str, os.PathLike)) and os.fspath(data) == "-")
    scorer = Scorer(model, grouping=grouping, threshold=threshold, budget=budget, llm=llm,
                    batch=1 if stream else 256, idle=idle if follow else None)
    return scorer.score(data, format=format, follow=follow, stop=stop)
