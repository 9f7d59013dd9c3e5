"""Shared fixtures: an isolated LOGKIT_HOME for every test, and the shared-data lookup."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
EXAMPLES = SHARED / "examples"


def shared_data() -> Path | None:
    """The benchmark data folder: LOGKIT_DATA, else ../shared/data beside the checkout."""
    env = os.environ.get("LOGKIT_DATA")
    for cand in ([Path(env)] if env else []) + [SHARED / "data"]:
        if (cand / "loghub-2k").is_dir():
            return cand
    return None


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("logkit-home")
    monkeypatch.setenv("LOGKIT_HOME", str(home))
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture
def data_dir() -> Path:
    """The shared Loghub data; skips when absent, but fails under CI=true (CI must run these)."""
    found = shared_data()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but the shared data folder was not found (set LOGKIT_DATA)")
        pytest.skip("shared data not found (set LOGKIT_DATA or put ../shared/data beside the checkout)")
    return found


@pytest.fixture
def examples_dir() -> Path:
    """../shared/examples: the contract's example records."""
    if not EXAMPLES.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but ../shared/examples was not found")
        pytest.skip("../shared/examples not found")
    return EXAMPLES


def write_session_log(path: Path, n: int, rate: float, seed: int, odd: float = 0.0) -> dict[str, int]:
    """A small synthetic session log (start / query / done per request id) and its labels.

    ``rate`` of the sessions fail (an ERROR line and status 500); with ``odd``, that share of sessions
    hold a slow-cache warning instead of their query line, whatever their label.
    """
    rng = random.Random(seed)
    lines, labels = [], {}
    for i in range(n):
        sid = f"req_{seed}{i:04d}"
        bad = rng.random() < rate
        ts = f"2024-01-01 10:{i // 60 % 60:02d}:{i % 60:02d}"
        lines.append(f"{ts} INFO api: start {sid} from 10.0.0.{i % 9}")
        if odd and rng.random() < odd:
            lines.append(f"{ts} WARN cache: slow lookup for {sid} took {rng.randint(5, 50)} ms")
        elif bad:
            lines.append(f"{ts} ERROR db: query failed for {sid} timeout after {rng.randint(5, 50)} ms")
        else:
            lines.append(f"{ts} INFO db: query ok for {sid} rows {rng.randint(1, 99)}")
        lines.append(f"{ts} INFO api: done {sid} status {500 if bad else 200}")
        labels[sid] = int(bad)
    path.write_text("\n".join(lines) + "\n")
    return labels
