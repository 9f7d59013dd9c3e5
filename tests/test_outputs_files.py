"""Output files (DESIGN.md 3.1 Files): -o - is standard output, compress refuses to replace an archive
without --force, record outputs go by extension (compressed JSONL included), symlinks and the umask rule."""

from __future__ import annotations

import gzip
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from logkit.cli import cli

LOG = "".join(f"2024-01-01 10:00:{i % 60:02d} INFO svc: request {i} took {i % 7}ms\n" for i in range(60))


def _run(*args: str, input: bytes | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), input=input)


def _log(tmp_path: Path) -> Path:
    p = tmp_path / "a.log"
    p.write_text(LOG)
    return p


def test_compress_refuses_an_existing_archive_without_force(tmp_path: Path) -> None:
    log = _log(tmp_path)
    assert _run("compress", str(log)).exit_code == 0
    archive = tmp_path / "a.log.lkz"
    before = archive.read_bytes()
    log.write_text(LOG + "one more line\n")
    r = _run("compress", str(log))
    assert r.exit_code == 1 and "--force" in r.output
    assert archive.read_bytes() == before
    assert _run("compress", str(log), "--force").exit_code == 0
    assert archive.read_bytes() != before


def test_compress_to_standard_output(tmp_path: Path) -> None:
    log = _log(tmp_path)
    r = CliRunner().invoke(cli, ["compress", str(log), "-o", "-"])
    assert r.exit_code == 0, r.output
    assert r.stdout_bytes.startswith(b"LKZ\x89")
    assert not (tmp_path / "-").exists()
    (tmp_path / "x.lkz").write_bytes(r.stdout_bytes)
    back = _run("decompress", str(tmp_path / "x.lkz"), "-o", str(tmp_path / "back.anything"))
    assert back.exit_code == 0 and (tmp_path / "back.anything").read_text() == LOG


def test_record_outputs_go_by_extension(tmp_path: Path) -> None:
    import zstandard

    log = _log(tmp_path)
    r = _run("parse", str(log), "-o", str(tmp_path / "x.txt"))
    assert r.exit_code == 2 and ".jsonl.gz" in r.output
    assert not (tmp_path / "x.txt").exists()
    assert _run("parse", str(log), "-o", str(tmp_path / "x.txt"), "--output-format", "jsonl").exit_code == 0
    assert _run("parse", str(log), "-o", str(tmp_path / "x.jsonl.gz")).exit_code == 0
    assert _run("parse", str(log), "-o", str(tmp_path / "x.jsonl.zst")).exit_code == 0
    plain = (tmp_path / "x.txt").read_bytes()
    assert gzip.decompress((tmp_path / "x.jsonl.gz").read_bytes()) == plain
    zst = zstandard.ZstdDecompressor().stream_reader((tmp_path / "x.jsonl.zst").read_bytes()).read()
    assert zst == plain
    assert len(plain.splitlines()) == 60 and json.loads(plain.splitlines()[0])["line"] == 1
    r = _run("templates", str(log), "-o", str(tmp_path / "t.jsonl.gz"))
    assert r.exit_code == 0 and json.loads(gzip.decompress((tmp_path / "t.jsonl.gz").read_bytes()).splitlines()[0])


def test_writes_follow_symlinks(tmp_path: Path) -> None:
    log = _log(tmp_path)
    real = tmp_path / "real.jsonl"
    link = tmp_path / "link.jsonl"
    link.symlink_to(real.name)
    assert _run("parse", str(log), "-o", str(link)).exit_code == 0
    assert link.is_symlink() and len(real.read_text().splitlines()) == 60
    state_real, state_link = tmp_path / "s-real.json", tmp_path / "s.json"
    state_link.symlink_to(state_real.name)
    assert _run("parse", str(log), "-o", str(tmp_path / "p.jsonl"), "--state", str(state_link)).exit_code == 0
    assert state_link.is_symlink() and json.loads(state_real.read_text())


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_outputs_follow_the_umask(tmp_path: Path) -> None:
    log = _log(tmp_path)
    for mask, want in ((0o022, 0o644), (0o027, 0o640)):
        out = tmp_path / f"m{mask:o}"
        out.mkdir()
        old = os.umask(mask)
        try:
            assert _run("parse", str(log), "-o", str(out / "p.jsonl"), "--state", str(out / "s.json")).exit_code == 0
            assert _run("parse", str(log), "-o", str(out / "p.parquet")).exit_code == 0
            assert _run("compress", str(log), "-o", str(out / "a.lkz")).exit_code == 0
            assert _run("decompress", str(out / "a.lkz"), "-o", str(out / "d.log")).exit_code == 0
            assert _run("train", str(log), "--model", str(out / "model"), "--window", "10").exit_code == 0
        finally:
            os.umask(old)
        # batch workers come from a process pool that may have started earlier: a process of its own here
        subprocess.run([sys.executable, "-m", "logkit", "-q", "batch", "parse", str(log), "--out", str(out / "b")],
                       check=True, timeout=120, preexec_fn=lambda m=mask: os.umask(m))  # type: ignore[misc]
        files = [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")]
        assert {p.name for p in files} >= {"p.jsonl", "s.json", "p.parquet", "a.lkz", "d.log", "model.json",
                                           "manifest.json"}
        assert {p.relative_to(out).as_posix(): oct(_mode(p)) for p in files} == \
            {p.relative_to(out).as_posix(): oct(want) for p in files}


def test_a_replaced_output_keeps_its_mode(tmp_path: Path) -> None:
    log = _log(tmp_path)
    out = tmp_path / "p.jsonl"
    out.write_text("old\n")
    out.chmod(0o664)
    assert _run("parse", str(log), "-o", str(out)).exit_code == 0
    assert _mode(out) == 0o664 and out.read_text() != "old\n"
