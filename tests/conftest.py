"""Shared fixtures: an isolated LOGKIT_HOME for every test, and the shared-data lookup."""

from __future__ import annotations

import os
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
