"""Batch job bookkeeping: expanding INPUTS (files, folders, globs), output names, and ``manifest.json``.

The manifest records, per stage and input, the input's path, size, mtime and content hash, the outputs
written, the status and metrics; it is rewritten atomically after every input, so a killed job resumes.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from logkit.errors import StateError
from logkit.fsutil import read_versioned_json, write_json_atomic

__all__ = ["MANIFEST_FILE", "Manifest", "InputFile", "expand_inputs", "output_names", "content_hash"]

MANIFEST_FILE = "manifest.json"
MANIFEST_KIND = "logkit-batch-manifest"
MANIFEST_VERSION = 1
_SUFFIXES = (".gz", ".zst")
_SAFE = re.compile(r"[^A-Za-z0-9._-]")  # names become folder names (source=NAME) and file names


@dataclass(frozen=True)
class InputFile:
    """One input of a batch job: the path as found, and whether it exists as a file."""

    path: str
    missing: bool = False


def _walk(folder: str, skip: Path | None) -> list[str]:
    out: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and (skip is None or Path(root, d).resolve() != skip))
        out.extend(os.path.join(root, f) for f in sorted(files) if not f.startswith("."))
    return out


def expand_inputs(inputs: Iterable[str], *, out_dir: str | os.PathLike[str] | None = None) -> list[InputFile]:
    """Files, folders (every non-hidden file inside, recursively) and globs, in order, without duplicates.

    A path that matches nothing is kept with ``missing=True`` so the job reports it as a failed input.
    Files inside ``out_dir`` are left out (a job may write its outputs into the folder it reads).
    """
    skip = Path(out_dir).resolve() if out_dir is not None else None
    seen: set[str] = set()
    found: list[InputFile] = []

    def add(p: str, missing: bool = False) -> None:
        key = os.path.abspath(p)
        if key in seen:
            return
        if skip is not None and not missing and skip in Path(key).resolve().parents:
            return
        seen.add(key)
        found.append(InputFile(p, missing))

    for item in inputs:
        if os.path.isdir(item):
            for p in _walk(item, skip):
                add(p)
        elif os.path.exists(item):
            add(item)
        elif glob.has_magic(item):
            matches = sorted(glob.glob(item, recursive=True))
            for m in matches:
                if os.path.isdir(m):
                    for p in _walk(m, skip):
                        add(p)
                else:
                    add(m)
            if not matches:
                add(item, missing=True)
        else:
            add(item, missing=True)
    return found


def _stem(path: str) -> str:
    name = os.path.basename(path.rstrip("/")) or "input"
    for suf in _SUFFIXES:
        if name.endswith(suf) and len(name) > len(suf):
            return name[: -len(suf)]
    return name


def output_names(paths: Sequence[str]) -> dict[str, str]:
    """A file-system-safe output name per input: its file name (``.gz``/``.zst`` dropped, characters other
    than letters, digits and ``._-`` written ``_``); inputs whose names
    collide get their folder's name in front (``host1__app.log``), and a short hash of the path if that
    still collides."""

    def clashes(names: dict[str, str]) -> set[str]:
        counts: dict[str, int] = {}
        for n in names.values():
            counts[n] = counts.get(n, 0) + 1
        return {p for p, n in names.items() if counts[n] > 1}

    names = {p: _stem(p) for p in paths}
    for p in clashes(names):
        names[p] = f"{Path(os.path.abspath(p)).parent.name or 'root'}__{names[p]}"
    for p in clashes(names):
        digest = hashlib.blake2b(os.path.abspath(p).encode("utf-8", "surrogatepass"), digest_size=3).hexdigest()
        names[p] = f"{digest}__{names[p]}"
    return {p: _SAFE.sub("_", n) for p, n in names.items()}


def content_hash(path: str) -> str:
    """``blake2b:`` and the hex digest of the file's bytes as stored (compressed bytes for ``.gz``)."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return "blake2b:" + h.hexdigest()


class Manifest:
    """``OUT/manifest.json``: one entry per (stage, input), rewritten atomically after each change."""

    def __init__(self, out_dir: str | os.PathLike[str]) -> None:
        self.path = Path(out_dir) / MANIFEST_FILE
        self.entries: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            data = read_versioned_json(self.path, kind=MANIFEST_KIND, version=MANIFEST_VERSION,
                                       what="logkit batch manifest",
                                       fix="delete it (and the outputs beside it) to start afresh")
            for e in data.get("inputs", []):
                if not isinstance(e, dict) or "stage" not in e or "key" not in e:
                    raise StateError(f"{self.path}: an entry lacks stage or key; delete it to start afresh")
                self.entries[self._id(e["stage"], e["key"])] = e

    @staticmethod
    def _id(stage: str, key: str) -> str:
        return f"{stage}\x00{key}"

    def get(self, stage: str, key: str) -> dict[str, Any] | None:
        """The entry of ``key`` (an absolute input path) for ``stage``, if any."""
        return self.entries.get(self._id(stage, key))

    def put(self, entry: dict[str, Any]) -> None:
        """Store an entry (it has ``stage`` and ``key``) and rewrite the file atomically."""
        self.entries[self._id(entry["stage"], entry["key"])] = entry
        self.save()

    def save(self) -> None:
        """Write the manifest atomically."""
        entries = sorted(self.entries.values(), key=lambda e: (e["stage"], e["key"]))
        write_json_atomic(self.path, {"kind": MANIFEST_KIND, "version": MANIFEST_VERSION, "inputs": entries})

    def is_done(self, stage: str, key: str, size: int, mtime: float, root: Path) -> bool:
        """Whether ``key`` was done by ``stage`` from the same content and its outputs are all still there."""
        e = self.get(stage, key)
        if e is None or e.get("status") != "done":
            return False
        if not all((root / o).exists() for o in e.get("outputs", [])):
            return False
        if e.get("size") == size and e.get("mtime") == mtime:
            return True
        return e.get("size") == size and e.get("hash") == content_hash(key)
