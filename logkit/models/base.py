"""The detector contract (DESIGN.md section 4): keyword-only hyperparameters, ``fit``/``score``, safe files.

Hyperparameters are stored verbatim by ``__init__``; what ``fit`` learns lives in attributes ending in
``_``. A fitted detector is saved as ``detector.json`` plus ``arrays.npz`` (never pickle) and loaded back.
"""

from __future__ import annotations

import inspect
import os
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from logkit.errors import StateError, UsageError
from logkit.fsutil import atomic_path, make_folder, read_versioned_json, write_json_atomic
from logkit.records import Group

__all__ = ["Detector", "Verdict", "REGISTRY", "BUILTIN", "register", "load_detector", "DETECTOR_FILE",
           "ARRAYS_FILE"]

DETECTOR_FILE = "detector.json"
ARRAYS_FILE = "arrays.npz"
FORMAT_VERSION = 1
D = TypeVar("D", bound="Detector")


@dataclass
class Verdict:
    """What a detector says about one group (the scoring path turns it into a
    :class:`logkit.records.Score` record, adding the threshold, routing and the LLM's part).

    ``score`` in [0, 1] (higher is more anomalous, calibrated where the detector can), ``uncertainty`` in
    [0, 1], ``reason`` a sentence saying what weighed most, ``top_lines`` the line numbers that did.
    An item cut by the end of the input also has ``incomplete`` (the share of a whole item not seen yet)
    and ``note`` (a sentence saying so, kept on normal items too); its ``uncertainty`` includes what the
    missing part leaves open, while ``reducible`` is the part a reader of the same lines (the LLM) could
    resolve: what the routing goes by.
    """

    score: float
    uncertainty: float
    reason: str
    top_lines: list[int] = field(default_factory=list)
    incomplete: float = 0.0
    note: str | None = None
    reducible: float | None = None

    @property
    def route_uncertainty(self) -> float:
        """The uncertainty routing goes by (what a reader of the same lines could resolve)."""
        return self.uncertainty if self.reducible is None else self.reducible


class Detector:
    """Base class of every detector; subclasses set ``name`` and implement the ``_fit``/``score`` pair."""

    name: ClassVar[str] = ""

    def get_params(self) -> dict[str, Any]:
        """The hyperparameters, read back from the attributes ``__init__`` stored verbatim."""
        sig = inspect.signature(type(self).__init__)
        return {p: getattr(self, p) for p in sig.parameters if p != "self"}

    # -- the contract ------------------------------------------------------------------------------
    def fit(
        self: D,
        groups: Sequence[Group],
        labels: Sequence[int] | None = None,
        *,
        line_labels: Mapping[int, int] | None = None,
    ) -> D:
        """Learn from training groups.

        Parameters
        ----------
        groups : sequence of Group
            Training sessions or windows.
        labels : sequence of int, optional
            0/1 per group (supervised). Without labels nor ``line_labels`` the groups are taken as
            normal behaviour (semi-supervised).
        line_labels : mapping of int to int, optional
            0/1 per input line number (supervised at the line level).
        """
        if labels is not None and len(labels) != len(groups):
            raise UsageError(f"{len(labels)} labels for {len(groups)} groups; give one label per group")
        if not groups:
            raise UsageError("no sessions or windows to train on; check --session/--window against the input")
        self._fit(groups, labels, line_labels)
        return self

    def _fit(self, groups: Sequence[Group], labels: Sequence[int] | None,
             line_labels: Mapping[int, int] | None) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def score(self, groups: Sequence[Group], context: Any = None) -> Sequence[Verdict]:  # pragma: no cover
        """One :class:`Verdict` per group.

        ``context`` is what :meth:`new_context` made for one stream: a detector that reads earlier items
        (the graph method's window history) keeps it there, so that without a context a score depends only
        on the groups given; most detectors ignore it.
        """
        raise NotImplementedError

    def new_context(self) -> Any:
        """A fresh scoring context for one stream of groups (``None``: the detector keeps none)."""
        return None

    def is_fitted(self) -> bool:
        """Whether ``fit`` ran (some attribute ending in ``_`` exists)."""
        return any(k.endswith("_") and not k.startswith("_") for k in vars(self))

    # -- state ------------------------------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:  # pragma: no cover - abstract
        """Fitted state as (plain JSON, numpy arrays)."""
        raise NotImplementedError

    def _set_state(self, data: dict[str, Any], arrays: Mapping[str, Any]) -> None:  # pragma: no cover
        raise NotImplementedError

    def save(self, folder: str | os.PathLike[str]) -> None:
        """Write ``detector.json`` and ``arrays.npz`` into ``folder`` atomically."""
        import numpy as np

        if not self.is_fitted():
            raise UsageError("the detector is not fitted; call fit before save")
        data, arrays = self._get_state()
        out = Path(folder)
        make_folder(out)
        with atomic_path(out / ARRAYS_FILE) as tmp, open(tmp, "wb") as fh:
            arrs: dict[str, Any] = {k: np.asarray(v) for k, v in arrays.items()}
            np.savez_compressed(fh, **arrs)
        write_json_atomic(out / DETECTOR_FILE, {"kind": "logkit-detector", "version": FORMAT_VERSION,
                                                "name": self.name, "params": self.get_params(),
                                                "state": data})

    @classmethod
    def _from_folder(cls: type[D], folder: str | os.PathLike[str], meta: Mapping[str, Any]) -> D:
        """The detector whose ``detector.json`` is ``meta``: its params, state and ``arrays.npz``."""
        import numpy as np

        det = cls(**meta.get("params", {}))
        try:
            # our own handle: np.load leaks the one it opens when the file is not a zip
            with open(Path(folder) / ARRAYS_FILE, "rb") as fh, np.load(fh, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
            where = Path(folder) / ARRAYS_FILE
            raise StateError(f"{where} is not readable ({exc}); train the model again") from None
        det._set_state(dict(meta.get("state", {})), arrays)
        return det

    @classmethod
    def load(cls: type[D], folder: str | os.PathLike[str]) -> D:
        """Read a detector saved by :meth:`save` (plain JSON and npz without pickled objects)."""
        det = load_detector(folder)
        if not isinstance(det, cls):
            raise StateError(f"{folder} holds a {det.name!r} detector, not {cls.name!r}")
        return det


REGISTRY: dict[str, type[Detector]] = {}
# the built-in detectors by name -> module that registers it (imported when a saved model names it, so this
# module imports none of them)
BUILTIN = {"small": "logkit.models.small", "graph": "logkit.models.graph"}


def register(cls: type[D]) -> type[D]:
    """Class decorator: make a detector known by its ``name`` (the contract tests run over all)."""
    REGISTRY[cls.name] = cls
    return cls


def load_detector(folder: str | os.PathLike[str]) -> Detector:
    """The detector saved in ``folder``, of whichever registered kind."""
    path = Path(folder) / DETECTOR_FILE
    meta = read_versioned_json(
        path, kind="logkit-detector", version=FORMAT_VERSION, what="logkit detector",
        fix="train the model again",
        missing=f"no {DETECTOR_FILE} in {folder}; train a model there with `logkit train`",
    )
    cls = _detector_class(str(meta.get("name")))
    if cls is None:
        raise StateError(f"{path} names an unknown detector {meta.get('name')!r}; train the model again")
    return cls._from_folder(folder, meta)


def _detector_class(name: str) -> type[Detector] | None:
    """The registered detector class called ``name`` (a built-in one is imported first)."""
    if name not in REGISTRY and name in BUILTIN:
        import importlib

        importlib.import_module(BUILTIN[name])
    return REGISTRY.get(name)
