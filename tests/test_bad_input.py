"""Bad input never gives a traceback: every verb, run as a hostile user would (DESIGN.md section 3.1).

Each case runs the real entry point (``logkit.cli.main``) and checks the exit code, that standard error
ends in ONE ``Error: ...`` line naming the fix, and that no traceback appears anywhere.
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import cast

import pytest

from logkit.cli import main

REPO = Path(__file__).resolve().parent.parent


def _log_lines(n: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        s = rng.randint(1, 30)
        msg = rng.choice([
            f"Opening session sess_{s} for user u{rng.randint(1, 9)}",
            f"Session sess_{s} read {rng.randint(1, 9999)} bytes from /data/f{rng.randint(1, 50)}.bin",
            f"Closing session sess_{s} after {rng.randint(1, 900)} ms",
        ])
        out.append(f"2024-03-0{1 + i % 9} 10:{i % 60:02d}:{(i * 7) % 60:02d} INFO worker.Pool: {msg}")
    return out


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of good and damaged inputs, archives, models, labels and states."""
    import zstandard

    d = tmp_path_factory.mktemp("bad")
    text = ("\n".join(_log_lines(600)) + "\n").encode()
    (d / "log.log").write_bytes(text)
    (d / "log.copy").write_bytes(text)
    gz = gzip.compress(text)
    (d / "cut.gz").write_bytes(gz[: len(gz) // 2])
    zst = zstandard.ZstdCompressor().compress(text)
    (d / "cut.zst").write_bytes(zst[: len(zst) // 2])
    (d / "two.zst").write_bytes(zst + zst)  # two frames: valid, every line kept
    (d / "empty.log").write_bytes(b"")
    (d / "bin.dat").write_bytes(bytes(range(256)) * 40)
    (d / "folder").mkdir()
    (d / "emptydir").mkdir()
    (d / "labels_header.csv").write_text("foo,bar\nx,y\n")
    (d / "labels_row.csv").write_text("session,label\nsess_1,1\nsess_2,maybe\n")
    (d / "labels_unknown.csv").write_text("session,label\nnope_1,1\nnope_2,0\n")
    (d / "state_bad.json").write_text("{not json")
    (d / "state_other.json").write_text('{"version": 999, "templates": []}')
    (d / "notarchive.lkz").write_bytes(b"hello world\n" * 10)
    rec = {"source": "a", "line": 1, "timestamp": None, "fields": {}, "template": "x <*>", "template_id": "t1",
           "params": [{"value": "1", "type": "OID"}]}
    (d / "bad_parse.jsonl").write_text(json.dumps(rec) + "\n" + json.dumps({**rec, "params": "oops"}) + "\n")
    home = d / "home"
    home.mkdir()
    runs = [
        ["compress", str(d / "log.log"), "-o", str(d / "good.lkz")],
        ["train", str(d / "log.log"), "--model", str(d / "m"), "--session", r"sess_\d+"],
    ]
    for argv in runs:
        assert _run(argv)[0] == 0, argv
    arch = (d / "good.lkz").read_bytes()
    (d / "half.lkz").write_bytes(arch[: len(arch) // 2])
    future = bytearray(arch)
    future[4] = 99  # the format version after the magic number
    (d / "future.lkz").write_bytes(bytes(future))
    for name in ("m_json", "m_weights", "m_future", "m_method", "m_grouping"):
        shutil.copytree(d / "m", d / name)
    (d / "m_json" / "model.json").write_text("{bad")
    w = d / "m_weights" / "arrays.npz"
    w.write_bytes(w.read_bytes()[:100])
    meta = json.loads((d / "m_future" / "model.json").read_text())
    meta["version"] = 99
    (d / "m_future" / "model.json").write_text(json.dumps(meta))
    meta["version"] = 1
    (d / "m_method" / "model.json").write_text(json.dumps({**meta, "method": "frob"}))
    (d / "m_grouping" / "model.json").write_text(json.dumps({**meta, "grouping": {"kind": "zzz"}}))
    return d


def _run(argv: list[str]) -> tuple[int, str, str]:
    """Run ``logkit ARGV`` in this process; (exit code, stdout, stderr)."""
    import contextlib
    import io

    out, err = (io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True) for _ in range(2))
    code: int | str | None = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code
    texts = [cast(io.BytesIO, f.buffer).getvalue().decode("utf-8", "replace") for f in (out, err)]
    return int(code or 0), texts[0], texts[1]


# (id, argv with {d} for the fixture folder, exit code, a fragment of the Error line)
CASES: list[tuple[str, list[str], int, str]] = [
    ("parse-missing", ["parse", "{d}/nope.log"], 1, "no such file"),
    ("parse-folder", ["parse", "{d}/folder"], 1, "is a folder"),
    ("parse-cut-gz", ["parse", "{d}/cut.gz"], 1, "damaged or truncated"),
    ("parse-cut-zst", ["parse", "{d}/cut.zst"], 1, "damaged or truncated"),
    ("parse-state-bad", ["parse", "{d}/log.log", "--state", "{d}/state_bad.json"], 1, "delete it"),
    ("parse-state-other", ["parse", "{d}/log.log", "--state", "{d}/state_other.json"], 1, "delete it"),
    ("parse-state-folder", ["parse", "{d}/log.log", "--state", "{d}/folder"], 2, "--state"),
    ("parse-out-under-file", ["parse", "{d}/log.log", "-o", "{d}/log.log/x.jsonl"], 1, "is a file"),
    ("parse-out-folder", ["parse", "{d}/log.log", "-o", "{d}/folder"], 2, "-o"),
    ("parse-bad-format", ["parse", "{d}/log.log", "--format", "<Bad"], 1, "<Content>"),
    ("parse-output-format", ["parse", "{d}/log.log", "--output-format", "xml"], 2, "--output-format"),
    ("parse-keep", ["parse", "{d}/log.log", "--keep", "FOO"], 2, "--keep"),
    ("templates-missing", ["templates", "{d}/nope.lkz"], 1, "no such file"),
    ("templates-half", ["templates", "{d}/half.lkz"], 1, "--salvage"),
    ("templates-future", ["templates", "{d}/future.lkz"], 1, "upgrade logkit"),
    ("templates-folder", ["templates", "{d}/folder"], 1, "is a folder"),
    ("compress-missing", ["compress", "{d}/nope.log"], 1, "no such file"),
    ("compress-folder", ["compress", "{d}/folder"], 1, "is a folder"),
    ("compress-cut-gz", ["compress", "{d}/cut.gz", "-o", "{d}/cutgz.lkz"], 1, "damaged or truncated"),
    ("compress-cut-zst", ["compress", "{d}/cut.zst", "-o", "{d}/cutzst.lkz"], 1, "damaged or truncated"),
    ("compress-stdin-no-o", ["compress", "-"], 1, "needs -o"),
    ("compress-out-folder", ["compress", "{d}/log.log", "-o", "{d}/folder"], 2, "-o"),
    ("decompress-missing", ["decompress", "{d}/nope.lkz"], 1, "check the path"),
    ("decompress-not-archive", ["decompress", "{d}/notarchive.lkz"], 1, "not a logkit archive"),
    ("decompress-half", ["decompress", "{d}/half.lkz"], 1, "--salvage"),
    ("decompress-future", ["decompress", "{d}/future.lkz"], 1, "upgrade logkit"),
    ("decompress-folder", ["decompress", "{d}/folder"], 2, "ARCHIVE"),
    ("decompress-out-under-file", ["decompress", "{d}/good.lkz", "-o", "{d}/log.log/x"], 1, "is a file"),
    ("grep-bad-regex", ["grep", "-E", "(", "{d}/good.lkz"], 2, "escape special characters"),
    ("grep-bad-class", ["grep", "[", "{d}/good.lkz"], 2, "escape special characters"),
    ("grep-missing", ["grep", "x", "{d}/nope.log"], 2, "no such file"),  # errors exit 2, as grep's
    ("grep-folder", ["grep", "x", "{d}/folder"], 2, "is a folder"),
    ("grep-half", ["grep", "x", "{d}/half.lkz"], 2, "--salvage"),
    ("grep-future", ["grep", "x", "{d}/future.lkz"], 2, "upgrade logkit"),
    ("info-not-archive", ["info", "{d}/notarchive.lkz"], 1, "not a logkit archive"),
    ("info-half", ["info", "{d}/half.lkz"], 1, "--salvage"),
    ("info-future", ["info", "{d}/future.lkz"], 1, "upgrade logkit"),
    ("info-empty", ["info", "{d}/empty.log"], 1, "not a logkit archive"),
    ("info-folder", ["info", "{d}/folder"], 2, "ARCHIVE"),
    ("train-missing", ["train", "{d}/nope.log", "--model", "{d}/mx", "--window", "10"], 1, "no such file"),
    ("train-bad-session", ["train", "{d}/log.log", "--model", "{d}/mx", "--session", "("], 2, "regular expression"),
    ("train-no-session", ["train", "{d}/log.log", "--model", "{d}/mx", "--session", r"zzz\d+"], 2, "--session"),
    ("train-window-0", ["train", "{d}/log.log", "--model", "{d}/mx", "--window", "0"], 2, "N >= 1"),
    ("train-window-neg", ["train", "{d}/log.log", "--model", "{d}/mx", "--window", "-5"], 2, "30s"),
    ("train-window-5x", ["train", "{d}/log.log", "--model", "{d}/mx", "--window", "5x"], 2, "30s"),
    ("train-labels-header", ["train", "{d}/log.log", "--model", "{d}/mx", "--session", r"sess_\d+",
                             "--labels", "{d}/labels_header.csv"], 1, "fix the header"),
    ("train-labels-row", ["train", "{d}/log.log", "--model", "{d}/mx", "--session", r"sess_\d+",
                          "--labels", "{d}/labels_row.csv"], 1, "fix that row"),
    ("train-labels-unknown", ["train", "{d}/log.log", "--model", "{d}/mx", "--session", r"sess_\d+",
                              "--labels", "{d}/labels_unknown.csv"], 2, "session ids"),
    ("train-labels-binary", ["train", "{d}/log.log", "--model", "{d}/mx", "--session", r"sess_\d+",
                             "--labels", "{d}/bin.dat"], 1, "CSV text file"),
    ("train-empty", ["train", "{d}/empty.log", "--model", "{d}/mx", "--window", "10"], 1, "is empty"),
    ("train-model-under-file", ["train", "{d}/log.log", "--model", "{d}/log.log/m", "--window", "10"], 1,
     "is a file"),
    ("train-cut-zst", ["train", "{d}/cut.zst", "--model", "{d}/mx", "--window", "10"], 1, "damaged or truncated"),
    ("detect-missing-model", ["detect", "{d}/log.log", "--model", "{d}/nomodel"], 2, "--model"),
    ("detect-empty-folder", ["detect", "{d}/log.log", "--model", "{d}/emptydir"], 1, "logkit train"),
    ("detect-model-json", ["detect", "{d}/log.log", "--model", "{d}/m_json"], 1, "train the model again"),
    ("detect-model-weights", ["detect", "{d}/log.log", "--model", "{d}/m_weights"], 1, "train the model again"),
    ("detect-model-future", ["detect", "{d}/log.log", "--model", "{d}/m_future"], 1, "train the model again"),
    ("detect-model-method", ["detect", "{d}/log.log", "--model", "{d}/m_method"], 1, "unknown method"),
    ("detect-model-grouping", ["detect", "{d}/log.log", "--model", "{d}/m_grouping"], 1, "train the model again"),
    ("detect-follow-missing", ["detect", "{d}/nope.log", "--model", "{d}/m", "--follow"], 1, "no such file"),
    ("run-follow-missing", ["run", "{d}/nope.log", "--archive", "{d}/f.lkz", "--follow"], 1, "no such file"),
    ("detect-threshold-nan", ["detect", "{d}/log.log", "--model", "{d}/m", "--threshold", "nan"], 2, "0 to 1"),
    ("detect-bad-session", ["detect", "{d}/log.log", "--model", "{d}/m", "--session", "("], 2, "regular"),
    ("detect-window-0", ["detect", "{d}/log.log", "--model", "{d}/m", "--window", "0"], 2, "N >= 1"),
    ("detect-threshold", ["detect", "{d}/log.log", "--model", "{d}/m", "--threshold", "abc"], 2, "--threshold"),
    ("detect-budget", ["detect", "{d}/log.log", "--model", "{d}/m", "--llm-budget", "-3"], 2, "--llm-budget"),
    ("detect-cut-gz", ["detect", "{d}/cut.gz", "--model", "{d}/m"], 1, "damaged or truncated"),
    ("detect-out-under-file", ["detect", "{d}/log.log", "--model", "{d}/m", "-o", "{d}/log.log/x.jsonl"], 1,
     "is a file"),
    ("run-nothing", ["run", "{d}/log.log"], 2, "--archive"),
    ("run-cut-zst", ["run", "{d}/cut.zst", "--archive", "{d}/r.lkz"], 1, "damaged or truncated"),
    ("run-binary", ["run", "{d}/bin.dat", "--archive", "{d}/r.lkz"], 1, "binary"),
    ("run-bad-model", ["run", "{d}/log.log", "--model", "{d}/m_weights"], 1, "train the model again"),
    ("batch-empty-folder", ["batch", "parse", "{d}/emptydir", "--out", "{d}/bo"], 1, "no input files"),
    ("batch-workers-0", ["batch", "parse", "{d}/log.log", "--out", "{d}/bo", "--workers", "0"], 2, "--workers"),
    ("batch-out-under-file", ["batch", "parse", "{d}/log.log", "--out", "{d}/log.log/b"], 1, "is a file"),
    ("batch-detect-no-model", ["batch", "detect", "{d}/log.log", "--out", "{d}/bo"], 2, "--model"),
    ("batch-missing-input", ["batch", "parse", "{d}/nope.log", "--out", "{d}/bo7"], 1, "no such file"),
    ("bench-compress-empty", ["bench", "compress", "{d}/empty.log"], 1, "is empty"),
    ("demo-under-file", ["demo", "{d}/log.log/demo"], 1, "is a file"),
    ("bench-no-data", ["bench", "parse", "{d}/emptydir"], 1, "LOGKIT_DATA"),
    ("demo-lines", ["demo", "{d}/demo", "--lines", "5"], 2, "--lines"),
    ("unknown-verb", ["frobnicate"], 2, "frobnicate"),
    # an output that is the input would replace it
    ("parse-out-is-input", ["parse", "{d}/log.log", "-o", "{d}/log.log"], 2, "another path"),
    ("templates-out-is-input", ["templates", "{d}/log.log", "-o", "{d}/log.log"], 2, "another path"),
    ("compress-out-is-input", ["compress", "{d}/log.log", "-o", "{d}/log.log"], 2, "another path"),
    ("decompress-out-is-input", ["decompress", "{d}/good.lkz", "-o", "{d}/good.lkz"], 2, "another path"),
    ("detect-out-is-input", ["detect", "{d}/log.log", "--model", "{d}/m", "-o", "{d}/log.log"], 2, "another path"),
    ("run-archive-is-input", ["run", "{d}/log.log", "--archive", "{d}/log.log"], 2, "another path"),
    ("run-parsed-is-input", ["run", "{d}/log.log", "--parsed", "{d}/log.log"], 2, "another path"),
]


@pytest.mark.parametrize(("argv", "code", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_error_line(bad: Path, argv: list[str], code: int, fragment: str) -> None:
    rc, out, err = _run([a.replace("{d}", str(bad)) for a in argv])
    assert "Traceback" not in out + err
    assert rc == code, err
    lines = [x for x in err.splitlines() if x.strip()]
    errors = [x for x in lines if x.startswith("Error: ")]
    # one line; only a batch job's summary (an info line) may come before it
    assert lines == errors or (len(lines) == 2 and "input(s):" in lines[0]), err
    assert len(errors) == 1, err
    assert fragment in errors[0], err
    assert (bad / "log.log").read_bytes() == bad.joinpath("log.copy").read_bytes()  # inputs are never touched


def test_no_partial_output_under_the_final_name(bad: Path) -> None:
    """A damaged input leaves neither the archive nor its .part behind, and writes no parse output."""
    _run(["compress", str(bad / "cut.zst"), "-o", str(bad / "p.lkz")])
    _run(["parse", str(bad / "cut.gz"), "-o", str(bad / "p.jsonl")])
    assert not list(bad.glob("p.*")) and not list(bad.glob(".p.*"))


def test_grep_fixed_newline_means_either_string(bad: Path) -> None:
    """Like grep -F: a pattern with a newline is a list of strings, any of which matches."""
    rc, out, err = _run(["grep", "-F", "Opening\nClosing", str(bad / "good.lkz")])
    assert rc == 0, err
    lines = out.splitlines()
    assert lines and all(("Opening" in x) != ("Closing" in x) for x in lines)
    assert any("Opening" in x for x in lines) and any("Closing" in x for x in lines)


def test_every_zstd_frame_is_read(bad: Path) -> None:
    rc, out, err = _run(["parse", str(bad / "two.zst"), "--output-format", "jsonl"])
    assert rc == 0, err
    assert len(out.splitlines()) == 2 * 600


def test_dead_llm_keeps_the_model_decision(bad: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rc, out, err = _run(["detect", str(bad / "log.log"), "--model", str(bad / "m"), "--threshold", "0.0001",
                         "--llm-url", f"http://127.0.0.1:{port}", "--llm-model", "x", "--output-format", "jsonl"])
    assert rc == 0, err
    assert "Traceback" not in err
    recs = [json.loads(x) for x in out.splitlines()]
    assert recs and all(r["decided_by"] == "model" for r in recs)
    assert "failed call" in err


def test_dead_scheduler_fails_fast(bad: Path) -> None:
    pytest.importorskip("distributed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rc, _, err = _run(["batch", "parse", str(bad / "log.log"), "--out", str(bad / "bs"),
                       "--scheduler", f"tcp://127.0.0.1:{port}"])
    assert rc == 1
    assert err.strip().splitlines()[-1].startswith("Error: cannot reach the Dask scheduler")


def test_closed_pipe_exits_quietly(bad: Path) -> None:
    big = bad / "big.log"
    big.write_text("\n".join(_log_lines(4000, seed=5)) + "\n")
    proc = subprocess.Popen([sys.executable, "-m", "logkit", "parse", str(big)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0, err
    assert err == ""
