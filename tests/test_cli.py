"""The command-line surface: help for every verb, README coverage, exit codes, lazy imports."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import REPO

from logkit.cli import VERBS, cli, main


def test_version() -> None:
    res = CliRunner().invoke(cli, ["--version"])
    assert res.exit_code == 0
    assert "logkit, version" in res.output


def test_help_lists_every_verb() -> None:
    res = CliRunner().invoke(cli, ["--help"])
    assert res.exit_code == 0
    for verb in VERBS:
        assert verb in res.output


@pytest.mark.parametrize("verb", list(VERBS))
def test_every_verb_has_help_and_is_in_readme(verb: str) -> None:
    res = CliRunner().invoke(cli, [verb, "--help"])
    assert res.exit_code == 0, res.output
    assert "Usage:" in res.output
    readme = (REPO / "README.md").read_text()
    assert f"logkit {verb}" in readme


def test_unknown_verb_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2


def test_missing_input_is_one_line_error(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["parse", str(tmp_path / "nope.log")])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: ")
    assert "Traceback" not in err[0]


def test_import_and_help_stay_light() -> None:
    code = (
        "import sys, logkit, logkit.cli\n"
        "from logkit.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pandas', 'pyarrow', 'torch', 'sklearn', 'drain3') if m in sys.modules]\n"
        "print('HEAVY:' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "HEAVY:"
