"""The compress, decompress and info commands, called through click's CliRunner."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from logkit.cli import compress, decompress, info

LOG = b"".join(
    b"2024-03-01 12:00:%02d,%03d INFO [main] Server: request %d from 192.168.1.%d took %d ms\n"
    % (i % 60, i % 1000, i, i % 200, (i * 7) % 300)
    for i in range(3000)
) + b"2024-03-01 12:59:59,999 ERROR [main] Server: disk full\r\nbinary \xff\x00 tail"


def test_compress_then_decompress(tmp_path: Path) -> None:
    src = tmp_path / "app.log"
    src.write_bytes(LOG)
    r = CliRunner().invoke(compress.command, [str(src)])
    assert r.exit_code == 0, r.output
    archive = tmp_path / "app.log.lkz"
    assert archive.exists() and not (tmp_path / "app.log.lkz.part").exists()
    assert archive.stat().st_size * 20 < len(LOG)
    r = CliRunner().invoke(decompress.command, [str(archive)])
    assert r.exit_code == 0
    assert r.stdout_bytes == LOG
    out = tmp_path / "back.log"
    r = CliRunner().invoke(decompress.command, [str(archive), "-o", str(out)])
    assert r.exit_code == 0 and out.read_bytes() == LOG


def test_compress_stdin_needs_output(tmp_path: Path) -> None:
    r = CliRunner().invoke(compress.command, ["-"], input=LOG)
    assert r.exit_code != 0
    target = tmp_path / "s.lkz"
    r = CliRunner().invoke(compress.command, ["-", "-o", str(target)], input=LOG)
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(decompress.command, [str(target)])
    assert r.stdout_bytes == LOG


def test_compress_gzip_input(tmp_path: Path) -> None:
    import gzip

    src = tmp_path / "a.log.gz"
    src.write_bytes(gzip.compress(LOG))
    r = CliRunner().invoke(compress.command, [str(src), "-o", str(tmp_path / "a.lkz")])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(decompress.command, [str(tmp_path / "a.lkz")])
    assert r.stdout_bytes == LOG


def test_leftover_part_file_is_reported(tmp_path: Path) -> None:
    src = tmp_path / "app.log"
    src.write_bytes(LOG)
    (tmp_path / "app.log.lkz.part").write_bytes(b"junk")
    r = CliRunner().invoke(compress.command, [str(src)])
    assert r.exit_code != 0
    assert "salvage" in str(r.exception)


def test_info(tmp_path: Path) -> None:
    src = tmp_path / "app.log"
    src.write_bytes(LOG)
    CliRunner().invoke(compress.command, [str(src)])
    r = CliRunner().invoke(info.command, [str(tmp_path / "app.log.lkz")])
    assert r.exit_code == 0
    assert "ratio" in r.output and "templates (packed)" in r.output and "version" in r.output
    r = CliRunner().invoke(info.command, [str(tmp_path / "app.log.lkz"), "--json"])
    import json

    data = json.loads(r.output)
    assert data["blocks"] == 1 and data["original_bytes"] == len(LOG)


def test_damaged_archive_is_one_line_error(tmp_path: Path) -> None:
    src = tmp_path / "app.log"
    src.write_bytes(LOG)
    CliRunner().invoke(compress.command, [str(src)])
    archive = tmp_path / "app.log.lkz"
    data = bytearray(archive.read_bytes())
    data[40] ^= 4
    archive.write_bytes(bytes(data))
    r = CliRunner().invoke(decompress.command, [str(archive)])
    assert r.exit_code != 0
    assert "block 1" in str(r.exception)
    assert r.stdout_bytes == b""


def test_decompress_to_a_device_writes_in_place(tmp_path: Path) -> None:
    import os

    log = tmp_path / "a.log"
    log.write_bytes(b"x 1\ny 2\n")
    r = CliRunner().invoke(compress.command, [str(log), "-o", str(tmp_path / "a.lkz")])
    assert r.exit_code == 0, r.output
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader must exist before the writer opens
    try:
        r = CliRunner().invoke(decompress.command, [str(tmp_path / "a.lkz"), "-o", str(fifo)])
        assert r.exit_code == 0, r.output
        assert os.read(reader, 100) == b"x 1\ny 2\n"
    finally:
        os.close(reader)
    assert fifo.is_fifo() and sorted(p.name for p in tmp_path.iterdir()) == ["a.lkz", "a.log", "pipe"]


def test_compress_creates_a_missing_output_folder_like_other_outputs(tmp_path: Path) -> None:
    src = tmp_path / "app.log"
    src.write_bytes(LOG)
    target = tmp_path / "new" / "deeper" / "app.lkz"
    r = CliRunner().invoke(compress.command, [str(src), "-o", str(target)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(decompress.command, [str(target)])
    assert r.exit_code == 0 and r.stdout_bytes == LOG
    (tmp_path / "plain").write_text("a file")
    r = CliRunner().invoke(compress.command, [str(src), "-o", str(tmp_path / "plain" / "app.lkz")])
    assert r.exit_code == 1 and "is a file" in str(r.exception)
