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
        "heavy = [m for m in ('pandas', 'pyarrow', 'torch', 'sklearn', 'drain3', 'numpy', 'logkit.detect.api',\n"
        "                     'logkit.compress.archive') if m in sys.modules]\n"
        "print('HEAVY:' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "HEAVY:"


def test_parse_imports_no_detection_and_no_compressor(tmp_path) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "a.log"
    log.write_text("2024-01-01 10:00:00 INFO svc: job 1 done\n")
    code = (
        "import sys, os\n"
        "from logkit.cli import main\n"
        f"try:\n    main(['parse', {str(log)!r}, '-o', os.devnull])\nexcept SystemExit:\n    pass\n"
        "heavy = ('logkit.detect.api', 'logkit.compress.archive', 'numpy', 'pandas')\n"
        "loaded = [m for m in heavy if m in sys.modules]\n"
        "print('LOADED:' + ','.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "LOADED:"
