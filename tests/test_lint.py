"""Static checks run with the suite: ruff (E, F, W, I, B, UP) and mypy on the package."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import REPO


def test_ruff_clean() -> None:
    if shutil.which("ruff") is None:
        pytest.skip("ruff not installed (pip install -e '.[dev]')")
    res = subprocess.run(["ruff", "check", "logkit", "tests"], cwd=REPO, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_mypy_clean() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "logkit"], cwd=REPO, capture_output=True, text=True
    )
    if "No module named mypy" in res.stderr:
        pytest.skip("mypy not installed (pip install -e '.[dev]')")
    assert res.returncode == 0, res.stdout + res.stderr
