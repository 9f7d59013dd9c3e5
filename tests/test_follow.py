"""--follow: appended lines, rotation, truncation, a file that appears later; each test ends via stop()."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from logkit.parse.follow import follow_raw_lines
from logkit.records import RawLine

POLL = 0.01


class _Run:
    """Follow ``path`` in a thread, collecting lines, until ``want`` lines came or time ran out."""

    def __init__(self, path, want: int, *, from_start: bool = True, timeout: float = 2.5) -> None:
        self.lines: list[RawLine] = []
        self.want = want
        self.deadline = time.monotonic() + timeout
        self._halt = False

        def stop() -> bool:
            return self._halt or len(self.lines) >= self.want or time.monotonic() > self.deadline

        def work() -> None:
            for line in follow_raw_lines(str(path), from_start=from_start, poll=POLL, stop=stop):
                self.lines.append(line)

        self.thread = threading.Thread(target=work, daemon=True)
        self.thread.start()

    def wait_for(self, n: int, timeout: float = 2.0) -> None:
        end = time.monotonic() + timeout
        while len(self.lines) < n and time.monotonic() < end:
            time.sleep(POLL)

    def finish(self) -> list[tuple[int, bytes]]:
        self.thread.join(3)
        assert not self.thread.is_alive()
        return [(r.line_no, r.data) for r in self.lines]


def _append(path, data: bytes) -> None:
    with open(path, "ab") as fh:
        fh.write(data)


def test_reads_existing_then_appended_lines_and_holds_partial(tmp_path) -> None:
    p = tmp_path / "app.log"
    p.write_bytes(b"one\ntwo\n")
    run = _Run(p, want=4)
    run.wait_for(2)
    _append(p, b"thr")  # a partial line is held ...
    time.sleep(5 * POLL)
    assert len(run.lines) == 2
    _append(p, b"ee\r\nfour\n")  # ... until its newline arrives
    assert run.finish() == [(1, b"one"), (2, b"two"), (3, b"three\r"), (4, b"four")]
    assert {r.source for r in run.lines} == {str(p)}


def test_from_end_skips_what_is_there(tmp_path) -> None:
    p = tmp_path / "app.log"
    p.write_bytes(b"old\n")
    run = _Run(p, want=1, from_start=False)
    time.sleep(5 * POLL)
    _append(p, b"new\n")
    assert run.finish() == [(1, b"new")]


def test_rotation_by_rename(tmp_path) -> None:
    p = tmp_path / "app.log"
    p.write_bytes(b"a1\n")
    run = _Run(p, want=5)
    run.wait_for(1)
    _append(p, b"a2\na-part")  # written just before rotation; the partial line is emitted on rotation
    os.rename(p, tmp_path / "app.log.1")
    p.write_bytes(b"b1\n")
    run.wait_for(4)
    _append(p, b"b2\n")
    assert run.finish() == [(1, b"a1"), (2, b"a2"), (3, b"a-part"), (4, b"b1"), (5, b"b2")]


def test_truncation_restarts_at_zero(tmp_path) -> None:
    p = tmp_path / "app.log"
    p.write_bytes(b"long line number one\nlong line number two\n")
    run = _Run(p, want=3)
    run.wait_for(2)
    with open(p, "r+b") as fh:  # copytruncate-style rotation
        fh.truncate(0)
    time.sleep(5 * POLL)
    _append(p, b"x\n")
    assert run.finish() == [(1, b"long line number one"), (2, b"long line number two"), (3, b"x")]


def test_waits_for_a_missing_file(tmp_path) -> None:
    p = tmp_path / "later.log"
    run = _Run(p, want=2, from_start=False)
    time.sleep(5 * POLL)
    p.write_bytes(b"hello\nworld\n")  # a file that appears later is read from its start
    assert run.finish() == [(1, b"hello"), (2, b"world")]


def test_stop_ends_promptly(tmp_path) -> None:
    p = tmp_path / "quiet.log"
    p.write_bytes(b"")
    flag = {"stop": False}
    stop: Callable[[], bool] = lambda: flag["stop"]  # noqa: E731
    out: list[RawLine] = []
    t = threading.Thread(target=lambda: out.extend(follow_raw_lines(str(p), poll=POLL, stop=stop)))
    t.start()
    time.sleep(5 * POLL)
    flag["stop"] = True
    t.join(1)
    assert not t.is_alive() and out == []
