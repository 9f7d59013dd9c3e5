"""``logkit bench parse --wild DIR``: the generalization suite, real logs from outside Loghub.

The logs are public files from public repositories (:data:`MANIFEST` says where each came from, at which
commit, and its SHA-256); they are not part of logkit: fetch them into a folder and pass it. Each file is
checked against its hash, parsed whole by logkit (two passes, through :class:`logkit.parse.Parser`) and by
drain3 masked (on the contents the same header format splits off), and scored against the labels its rule
in :mod:`logkit.bench.wild_rules` gives: grouping accuracy (GA) and its F1 over groups (FGA) only, as the
rules give group ids, not Loghub templates. Run by hand; the tests use a synthetic folder and manifest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from logkit.bench.metrics import score_parsing
from logkit.bench.parse import drain3_split, read_lines
from logkit.bench.scale import logkit_file
from logkit.bench.targets import Target
from logkit.bench.wild_rules import AUTH, DPKG, KUBELET, MYSQL8
from logkit.errors import InputError

__all__ = ["WildFile", "WildResult", "MANIFEST", "GOAL", "check_files", "bench_wild", "wild_targets"]

GOAL = 0.90  # GA and FGA of logkit on each file


@dataclass(frozen=True)
class WildFile:
    """One log of the suite: its name in the folder, where it came from, its hash, header format and rule."""

    name: str
    repo: str
    path: str
    commit: str
    sha256: str
    format: str
    rule: Callable[[str], str | None]
    what: str = ""


MANIFEST: tuple[WildFile, ...] = (
    WildFile("dpkg.log", "teliten/log.pinga", "dpkg.log", "d036f2cc6d1d92ea831eb73c8130b379fea48c98",
             "0197c1a9b1501dc4715f3d962e13dcc172d57e6984e0f8373f58663d85f88d7a",
             "<Date> <Time> <Content>", DPKG, "Debian package manager log, 7,686 lines"),
    WildFile("auth.log", "2026Jan16/tlvlogs", "auth.log", "47f7f91234947b424391f4d90a6b74e0a126bda4",
             "90a36c8d0914f16b071d470fd8663fc0b31159a3c59700e850d020846fe5a819",
             "<Timestamp> <Host> <Component>: <Content>", AUTH,
             "Ubuntu desktop auth.log (rsyslog, ISO stamps), 15,850 lines"),
    WildFile("mysqld.log", "MrZhengJ/mysql-log", "mysqld.log", "5357051481a02d3a882f97a791b5be53c9d92b97",
             "efa7a6d8cb7e0928f088be90e994c3d63255510a92ed05d240638b1e64a4f293",
             r"<Time> <Thread> \[<Level>\] \[<Code>\] \[<Subsystem>\] <Content>", MYSQL8,
             "MySQL 8.0 error log, 2,879 lines"),
    WildFile("kubelet.log", "stevet284/rancher_logs", "kubelet.log", "63a692fb01636f8f1b6147c3ee2c78e7124e0991",
             "39b087847593edcc8a336673afad3af93955015ad3b4d84f89fe8fec784a4f3f",
             "none", KUBELET,
             "Rancher RKE kubelet container log (klog and entrypoint xtrace), 2,251 lines; parsed as whole lines: "
             "its first 200 lines are the entrypoint's xtrace, where no klog header fits, and logkit refuses a "
             "header format that matches none of them"),
)


@dataclass(frozen=True, slots=True)
class WildResult:
    """One file and parser: GA and FGA over its labelled lines, with the counts behind them."""

    file: str
    parser: str
    lines: int
    unlabeled: int  # lines the rule gave no kind (left out of the scores)
    kinds: int  # ground-truth kinds
    templates: int  # templates the parser found (over the labelled lines)
    ga: float
    fga: float


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_files(folder: str | Path, manifest: Sequence[WildFile] | None = None) -> list[Path]:
    """The manifest's files (default :data:`MANIFEST`) in ``folder``, each checked against its SHA-256;
    InputError (one line) when one is missing or differs."""
    manifest = MANIFEST if manifest is None else manifest
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"--wild {root}: no such folder; fetch the suite's files into one (see logkit/bench/wild.py)")
    out = []
    for f in manifest:
        path = root / f.name
        where = f"github.com/{f.repo} {f.path} at {f.commit[:12]}"
        if not path.is_file():
            raise InputError(f"--wild: {path} is missing; fetch it from {where}")
        if _sha256(path) != f.sha256:
            raise InputError(f"--wild: {path} is not the file of the suite (SHA-256 differs); fetch it again "
                             f"from {where}")
        out.append(path)
    return out


def bench_wild(folder: str | Path, manifest: Sequence[WildFile] | None = None, *,
               with_drain3: bool = True) -> list[WildResult]:
    """Check, parse and score every file of ``manifest`` (default :data:`MANIFEST`) in ``folder`` (logkit,
    then drain3 masked)."""
    manifest = MANIFEST if manifest is None else manifest
    out: list[WildResult] = []
    for f, path in zip(manifest, check_files(folder, manifest), strict=True):
        raw = read_lines(path)
        truth = [f.rule(line.decode("utf-8", "replace").removesuffix("\r")) for line in raw]
        unlabeled = sum(t is None for t in truth)
        runs = [("logkit", logkit_file(path, f.format))]
        if with_drain3:
            runs.append(("drain3", drain3_split(raw, f.format)))
        for parser, pred in runs:
            if len(pred) != len(raw):
                raise InputError(f"--wild: {parser} gave {len(pred)} records for the {len(raw)} lines of {path}")
            s = score_parsing(truth, pred)
            out.append(WildResult(f.name, parser, len(raw), unlabeled, s.truth_templates, s.predicted_templates,
                                  s.ga, s.fga))
    return out


def wild_targets(results: Sequence[WildResult]) -> list[Target]:
    """logkit's GA and FGA on each file against :data:`GOAL`."""
    out = []
    for r in results:
        if r.parser == "logkit":
            out += [Target(f"wild {r.file} GA", r.ga, GOAL), Target(f"wild {r.file} FGA", r.fga, GOAL)]
    return out
