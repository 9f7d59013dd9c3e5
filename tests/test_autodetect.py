"""--format auto: small synthetic samples of each style, and agreement with the Loghub specs on real data."""

from __future__ import annotations

import json

import pytest

from logkit.parse.autodetect import candidates, detect_format
from logkit.parse.formats import HeaderFormat, JsonFormat, NoFormat, compile_format, resolve_format
from logkit.parse.sources import iter_raw_lines
from logkit.records import RawLine


def _sample(lines: list[str]) -> list[RawLine]:
    return [RawLine("s.log", i, t.encode()) for i, t in enumerate(lines, 1)]


def _detect(lines: list[str]):
    fmt, reason = resolve_format("auto", _sample(lines))
    recs = [fmt.split(r) for r in _sample(lines)]
    return fmt, reason, recs


def test_syslog() -> None:
    lines = [
        "Jun 14 15:16:01 web1 sshd[1234]: Accepted password for bob from 10.0.0.1 port 22",
        "Jun 14 15:16:02 web1 CRON[99]: (root) CMD (run-parts /etc/cron.hourly)",
        "Jun  4 15:16:03 web1 kernel: eth0: link up",
        "Jun 14 15:16:04 web1 su(pam_unix)[77]: session opened for user root",
    ]
    fmt, reason, recs = _detect(lines)
    assert reason.startswith("syslog: 4 of 4 lines match")
    assert "<Month> <Day> <Time> <Host> <Component>" in reason
    assert recs[0].fields["Host"] == "web1" and recs[0].fields["Component"] == "sshd"
    assert recs[0].fields["Pid"] == "1234"
    assert recs[2].content == "eth0: link up" and recs[2].fields["Day"] == "4"
    assert all(r.timestamp is not None and r.timestamp.month == 6 for r in recs)


def test_syslog_rfc5424_and_iso() -> None:
    lines = [
        '<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - su root failed on /dev/pts/8',
        '<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% Its time to make the do-nuts.',
        '<165>1 2003-10-11T22:14:15.003Z host evntslog - ID47 [exampleSDID@32473 iut="3" eventSource='
        '"Application" eventID="1011"] An application event log entry',
    ]
    fmt, reason, recs = _detect(lines)
    assert reason.startswith("syslog (RFC 5424): 3 of 3")
    assert recs[0].content == "su root failed on /dev/pts/8" and recs[0].fields["App"] == "su"
    assert recs[2].content == "An application event log entry"
    assert recs[1].timestamp is not None and recs[1].timestamp.utcoffset() is not None
    iso = [
        "2024-01-01T10:00:00+00:00 web1 nginx[12]: started",
        "2024-01-01T10:00:01+00:00 web1 systemd[1]: Started Session 3 of user bob.",
    ]
    fmt, reason, recs = _detect(iso)
    assert reason.startswith("syslog with ISO timestamp") and recs[1].fields["Component"] == "systemd"


@pytest.mark.parametrize(
    ("lines", "level", "content", "extra"),
    [
        (["2015-10-18 18:01:47,978 INFO [main] org.apache.Foo: Created thing 1",
          "2015-10-18 18:01:48,963 WARN [IPC Server handler 5 on 62270] org.apache.Bar: Slow: 3 ms"],
         "INFO", "Created thing 1", {"Thread": "main", "Component": "org.apache.Foo"}),
        (["2024-01-01T10:00:00Z ERROR connection refused: retrying",
          "2024-01-01T10:00:01.5Z INFO connected to db-1"],
         "ERROR", "connection refused: retrying", {}),
        (["2024-01-01 10:00:00,123 - myapp.db - INFO - pool ready",
          "2024-01-01 10:00:01,123 - myapp.web - ERROR - request failed"],
         "INFO", "pool ready", {"Component": "myapp.db"}),
        (["081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating",
          "081109 203807 222 WARN dfs.FSNamesystem: BLOCK* ask 10.0.0.1:50010 to delete"],
         "INFO", "PacketResponder 1 terminating", {"Pid": "148"}),
        (["17/06/09 20:10:40 INFO spark.SecurityManager: Changing view acls to: yarn",
          "17/06/09 20:10:41 INFO executor.Executor: Running task 0.0"],
         "INFO", "Changing view acls to: yarn", {"Component": "spark.SecurityManager"}),
        (["2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0.0.0.0:2181:Election@774] - Timeout: 3200",
          "2015-07-29 19:04:12,394 - WARN  [SendWorker:1:Manager$Worker@688] - Leaving thread"],
         "INFO", "Timeout: 3200", {}),
        (["[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/x.properties",
          "[Sun Dec 04 04:47:45 2005] [error] mod_jk child workerEnv in error state 6"],
         "notice", "workerEnv.init() ok /etc/httpd/conf/x.properties", {}),
        (["2024-01-01 10:00:00 [WARNING] disk almost full",
          "2024-01-01 10:00:05 [INFO] disk fine"], "WARNING", "disk almost full", {}),
        (["INFO:root:starting up", "WARNING:app.db:slow query 3s"], "INFO", "starting up",
         {"Component": "root"}),
        (["[ERROR] app.server: crashed", "[INFO] app.server: restarted"], "ERROR", "crashed",
         {"Component": "app.server"}),
    ],
)
def test_level_styles(lines, level, content, extra) -> None:
    fmt, reason, recs = _detect(lines)
    assert isinstance(fmt, HeaderFormat), reason
    assert recs[0].fields.get("Level") == level, reason
    assert recs[0].content == content, reason
    for k, v in extra.items():
        assert recs[0].fields[k] == v, reason
    assert f"{len(lines)} of {len(lines)} lines match" in reason


def test_bracketed_timestamp_without_level() -> None:
    fmt, reason, recs = _detect(["[2024-01-01 10:00:00] user bob logged in", "[2024-01-01 10:00:09] bye"])
    assert recs[0].content == "user bob logged in" and recs[0].timestamp is not None
    assert recs[0].timestamp.year == 2024


def test_pipe_separated() -> None:
    fmt, reason, recs = _detect(["20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579",
                                 "20171223-22:16:0:119|Step_SPUtils|30002312|getTodayTotalDetailSteps = 1"])
    assert recs[1].content == "getTodayTotalDetailSteps = 1" and recs[1].fields["Pid"] == "30002312"
    assert recs[1].timestamp is not None and recs[1].timestamp.minute == 16


def test_json_lines() -> None:
    lines = [json.dumps({"time": "2024-01-01T10:00:00Z", "level": "info", "msg": f"job {i} done", "n": i})
             for i in range(20)]
    fmt, reason, recs = _detect(lines)
    assert isinstance(fmt, JsonFormat) and reason.startswith("json: 20 of 20")
    assert "'msg'" in reason
    assert recs[3].content == "job 3 done" and recs[3].fields["n"] == "3" and recs[3].timestamp is not None


def test_prose_gives_no_format() -> None:
    fmt, reason, recs = _detect(["hello world", "this is not a log header", "", "just words"])
    assert isinstance(fmt, NoFormat) and reason.startswith("none:")
    assert recs[1].content == "this is not a log header"
    fmt, reason = detect_format([])
    assert isinstance(fmt, NoFormat) and "no non-empty lines" in reason


def test_a_few_odd_lines_do_not_change_the_choice() -> None:
    lines = [f"2024-01-01 10:00:{i:02d},000 INFO [main] a.B: step {i}" for i in range(40)]
    lines[5] = "\tat com.x.Y.run(Y.java:10)"
    fmt, reason, recs = _detect(lines)
    assert "[thread]" in reason and "39 of 40" in reason
    assert recs[5].fields == {} and recs[5].content == lines[5]


def test_stack_traces_do_not_hide_the_header() -> None:
    lines = []
    for i in range(5):
        lines.append(f"2024-01-01 10:00:0{i},000 ERROR [main] a.B: failed {i}")
        lines += ["java.lang.IllegalStateException: x", "\tat a.B.run(B.java:1)", "\tat a.C.go(C.java:2)",
                  "Caused by: java.io.IOException: closed", "\t... 3 more"]
    fmt, reason, recs = _detect(lines)
    assert isinstance(fmt, HeaderFormat), reason
    assert recs[0].fields["Level"] == "ERROR"


def test_detected_spec_round_trips() -> None:
    lines = ["2024-01-01 10:00:00,001 INFO [main] a.B: x", "2024-01-01 10:00:00,002 INFO [main] a.B: y"]
    fmt, _ = resolve_format("auto", _sample(lines))
    again = compile_format(fmt.spec)
    raw = _sample(lines)[0]
    assert again.split(raw) == fmt.split(raw)
    assert len({c.format.spec for c in candidates()}) == len(candidates())


@pytest.mark.data
def test_auto_matches_the_loghub_specs(data_dir) -> None:
    root = data_dir / "loghub-2k"
    specs = json.loads((root / "formats.json").read_text())
    agree: dict[str, float] = {}
    for system, spec in specs.items():
        path = root / system / f"{system}_2k.log"
        lines = list(iter_raw_lines(str(path)))
        fmt, _ = resolve_format("auto", lines[:200])
        given = compile_format(spec)
        same = sum(1 for r in lines if fmt.split(r).content == given.split(r).content)
        agree[system] = same / len(lines)
    good = [s for s, share in agree.items() if share >= 0.95]
    assert len(good) >= 6, agree


def test_access_log_header_is_detected() -> None:
    from logkit.parse.autodetect import resolve_format
    from logkit.records import RawLine

    lines = [
        b'10.0.0.1 - - [11/Mar/2024:08:00:00 +0000] "GET /a HTTP/1.1" 200 512 "-" "curl/8.0"',
        b'10.0.0.2 - bob [11/Mar/2024:08:00:01 +0000] "POST /login HTTP/1.1" 401 29 "-" "Mozilla/5.0"',
    ]
    fmt, reason = resolve_format("auto", [RawLine("x", i, d) for i, d in enumerate(lines, 1)])
    assert reason.startswith("access log")
    rec = fmt.split(RawLine("x", 1, lines[0]))
    assert rec.content.startswith('"GET /a HTTP/1.1" 200')
    assert rec.fields["User"] == "-" and rec.timestamp is not None


_GATE_LINES = [
    "Jun 14 15:16:01 web1 sshd[1234]: Accepted password for bob from 10.0.0.1 port 22",
    "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - su root failed on /dev/pts/8",
    "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% Its time to make the do-nuts.",
    "2024-01-01T10:00:00+00:00 web1 nginx[12]: started",
    "\u0662\u0660\u0662\u0664-01-01T10:00:00+00:00 web1 nginx[12]: started",
    "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO x",
    "- \u0661117838570 2005.06.03 R02 2005-06-03-15.42.50.675872 R02 RAS KERNEL INFO x",
    '10.0.0.1 - - [11/Mar/2024:08:00:00 +0000] "GET /a HTTP/1.1" 200 512 "-" "curl/8.0"',
    "10.0.0.1\t-  bob\u2003[11/Mar/2024:08:00:00 +0000] x",
    "INFO:root:starting up", "WARNING:app.db:slow query 3s", "[ERROR] app.server: crashed", "[INFO] x",
    "warn [main] started", "Info: hello", "\u017fevere: long s folds to s", "K\u0130NFO odd case", "info x",
    "2015-10-18 18:01:47,978 INFO [main] org.apache.Foo: Created thing 1",
    "17/06/09 20:10:40 INFO spark.SecurityManager: Changing view acls to: yarn",
    "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok",
    "2024-01-01 10:00:00,123 - myapp.db - INFO - pool ready",
    "2024-01-01T10:00:00Z |web|12| started", " leading space INFO x", "", "[", "<", "1",
]


def test_gates_pass_every_line_their_candidates_match(monkeypatch: pytest.MonkeyPatch) -> None:
    from logkit.parse import autodetect

    lines = list(_GATE_LINES)
    for text in _GATE_LINES:  # and variants: another level word, upper case, no separator after it
        lines += [text.upper(), text.replace("INFO", "Warning"), text.replace(": ", ":", 1), text[1:]]
    for i, (name, spec, family) in enumerate(autodetect._specs()):
        cand = autodetect._compiled(i, name, spec)
        matched = [t for t in lines if cand.format.match(t) is not None]
        gate = autodetect._GATES.get(name)
        if gate is not None:
            assert all(gate(t) for t in matched), (name, [t for t in matched if not gate(t)])
        family_gate = autodetect._FAMILY_GATES.get(family)
        if family_gate is not None:
            assert all(family_gate(t) for t in matched), (name, [t for t in matched if not family_gate(t)])
    # the gates do turn candidates away: a syslog sample compiles fewer of them
    texts = _GATE_LINES[:1]
    gated = len(autodetect._fitting(texts))
    monkeypatch.setattr(autodetect, "_GATES", {})
    monkeypatch.setattr(autodetect, "_FAMILY_GATES", {})
    assert gated < len(autodetect._fitting(texts))


def _samples_to_detect(data_dir) -> list[list[str]]:
    samples = [[t] for t in _GATE_LINES if t] + [_GATE_LINES[:4], _GATE_LINES[8:14], _GATE_LINES]
    root = data_dir / "loghub-2k" if data_dir is not None else None
    if root is not None and root.exists():
        for path in sorted(root.glob("*/*_2k.log")):
            samples.append([r.data.decode("utf-8", "replace") for r in list(iter_raw_lines(str(path)))[:200]])
    return samples


def test_detection_is_the_same_with_and_without_gates(monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import shared_data

    from logkit.parse import autodetect

    samples = _samples_to_detect(shared_data())  # the Loghub samples too, where the shared data is
    assert len(samples) > 30
    gated = [detect_format(_sample(s)) for s in samples]
    monkeypatch.setattr(autodetect, "_GATES", {})
    monkeypatch.setattr(autodetect, "_FAMILY_GATES", {})
    plain = [detect_format(_sample(s)) for s in samples]
    assert [(getattr(f, "spec", "none"), why) for f, why in gated] == \
        [(getattr(f, "spec", "none"), why) for f, why in plain]
