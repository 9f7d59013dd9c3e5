"""Loghub reader: the raw log, the structured CSV with its ground truth, and the templates of one system.

Laid out like ``loghub-2k/NAME/NAME_2k.log`` + ``..._structured_corrected.csv`` +
``..._templates_corrected.csv`` with a ``formats.json`` of header specs beside the systems.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from logkit.datasets.home import data_home as _data_home
from logkit.errors import InputError

__all__ = ["LoghubDataset", "load_loghub", "list_loghub", "LOGHUB_DIR"]

LOGHUB_DIR = "loghub-2k"


@dataclass
class LoghubDataset:
    """One Loghub system.

    Attributes
    ----------
    name : str
        System name (``HDFS``, ``BGL``, ...).
    log_path : Path
        The raw log.
    format : str
        Its header spec in the Loghub notation (from ``formats.json``).
    structured : pandas.DataFrame
        One row per line: ``LineId``, header fields, ``Content``, ``EventId``, ``EventTemplate`` (all text
        except ``LineId``).
    templates : pandas.DataFrame
        ``EventId``, ``EventTemplate`` (and ``Occurrences`` when the file has it).
    """

    name: str
    log_path: Path
    format: str
    structured: Any
    templates: Any

    def lines(self) -> Iterator[bytes]:
        """The raw lines as bytes without their ``\\n`` (a last line without one counts)."""
        with open(self.log_path, "rb") as fh:
            for line in fh:
                yield line[:-1] if line.endswith(b"\n") else line

    @property
    def ground_truth(self) -> list[str]:
        """The ground-truth template of each line, in order."""
        return list(self.structured["EventTemplate"])

    def __len__(self) -> int:
        return len(self.structured)


def _loghub_root(data_home: str | os.PathLike[str] | None) -> Path:
    root = _data_home(data_home)
    sub = root / LOGHUB_DIR
    return sub if sub.is_dir() else root


def _formats(root: Path) -> dict[str, str]:
    path = root / "formats.json"
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise InputError(f"{path} is missing; the Loghub folder needs its formats.json") from None
    except ValueError as exc:
        raise InputError(f"{path} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path} should map system names to header formats")
    return {str(k): str(v) for k, v in data.items()}


def list_loghub(data_home: str | os.PathLike[str] | None = None) -> list[str]:
    """Names of the Loghub systems in the data folder (those with a raw log), sorted."""
    root = _loghub_root(data_home)
    return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*.log")))


def _one(folder: Path, pattern: str, what: str) -> Path:
    found = sorted(folder.glob(pattern))
    if not found:
        raise InputError(f"{folder} has no {what} ({pattern})")
    return found[0]


def load_loghub(name: str, data_home: str | os.PathLike[str] | None = None) -> LoghubDataset:
    """Load one Loghub system: raw log path, header format, structured and templates tables.

    Parameters
    ----------
    name : str
        A system name as listed by :func:`list_loghub` (case-insensitive).
    data_home : path, optional
        The data folder (else ``LOGKIT_DATA``); may also be the ``loghub-2k`` folder itself.
    """
    import pandas as pd

    root = _loghub_root(data_home)
    names = {n.lower(): n for n in list_loghub(root)}
    if name.lower() not in names:
        raise InputError(
            f"no Loghub system {name!r} in {root}; choose one of {', '.join(sorted(names.values()))}"
        )
    name = names[name.lower()]
    folder = root / name
    formats = _formats(root)
    if name not in formats:
        raise InputError(f"{root / 'formats.json'} has no format for {name}; add it")
    log = _one(folder, f"{name}*.log", "raw log")
    structured_path = _one(folder, "*structured*.csv", "structured CSV")
    templates_path = _one(folder, "*templates*.csv", "templates CSV")
    read: dict[str, Any] = {"dtype": str, "keep_default_na": False, "na_filter": False}
    structured = pd.read_csv(structured_path, **read)
    if "LineId" in structured.columns:
        structured["LineId"] = structured["LineId"].astype("int64")
    templates = pd.read_csv(templates_path, **read)
    if "Occurrences" in templates.columns:
        templates["Occurrences"] = templates["Occurrences"].astype("int64")
    return LoghubDataset(name, log, formats[name], structured, templates)
