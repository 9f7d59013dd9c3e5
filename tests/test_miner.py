"""Template miner: templates for synthetic lines in several log styles, exact params, state, bounds."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logkit.errors import StateError
from logkit.parse.miner import Match, TemplateMiner
from logkit.records import VarType


def mine(lines: list[str]) -> list[Match]:
    """Two passes, as a file is parsed."""
    m = TemplateMiner()
    for line in lines:
        m.add(line)
    return [m.match(line) for line in lines]


def rebuild(content: str, match: Match) -> str:
    out, pos = [], 0
    for p in match.params:
        assert content[p.start : p.end] == p.value
        out.append(content[pos : p.start])
        out.append(p.value)
        pos = p.end
    out.append(content[pos:])
    return "".join(out)


def check(match: Match, content: str) -> None:
    assert match.template.count("<*>") == len(match.params)
    assert rebuild(content, match) == content
    assert all(isinstance(p.type, VarType) for p in match.params)
    starts = [p.start for p in match.params]
    assert starts == sorted(starts)


STYLES = {
    "openssh": (
        [
            "Failed password for invalid user admin from 1.2.3.4 port 22 ssh2",
            "Failed password for invalid user oracle from 10.0.0.7 port 51234 ssh2",
            "Failed password for invalid user test from 10.9.8.7 port 4022 ssh2",
        ],
        "Failed password for invalid user <*> from <*> port <*> ssh2",
    ),
    "proxifier": (
        [
            "chrome.exe - proxy.cse.cuhk.edu.hk:5070 close, 1190 bytes (1.16 KB) sent, 1671 bytes (1.63 KB) "
            "received, lifetime 00:02",
            "Dropbox.exe - proxy.cse.cuhk.edu.hk:5070 close, 12190 bytes (11.9 KB) sent, 671 bytes (0.65 KB) "
            "received, lifetime 01:12",
            "firefox.exe - www.example.org:443 close, 2190 bytes (2.13 KB) sent, 1671 bytes (1.63 KB) "
            "received, lifetime 10:02",
        ],
        "<*> - <*> close, <*> bytes (<*> KB) sent, <*> bytes (<*> KB) received, lifetime <*>",
    ),
    "openstack": (
        [
            '10.11.10.1 "GET /v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail HTTP/1.1" status: 200 '
            "len: 1893 time: 0.2477829",
            '10.11.10.2 "GET /v2/e9746973ac574c6b8a9e8857f56a7608/servers/detail HTTP/1.1" status: 404 '
            "len: 380 time: 0.0913219",
        ],
        '<*> "GET <*>" status: <*> len: <*> time: <*>',
    ),
    "windows": (
        [
            "Session: 30546174_3831622798 initialized by client WindowsUpdateAgent.",
            "Session: 30546175_3832453123 initialized by client WindowsUpdateAgent.",
        ],
        "Session: <*> initialized by client WindowsUpdateAgent.",
    ),
    "mac": (
        ["en0: BSSID changed to 5c:50:15:4c:18:13", "en0: BSSID changed to 5c:50:15:36:bc:03"],
        "en0: BSSID changed to <*>",
    ),
    "android": (
        [
            "setSystemUiVisibility vis=40008 mask=ffffffff oldVal=508 newVal=40008 diff=40500 "
            "fullscreenStackVis=0",
            "setSystemUiVisibility vis=0 mask=ffffffff oldVal=40008 newVal=0 diff=40008 fullscreenStackVis=0",
        ],
        "setSystemUiVisibility vis=<*> mask=ffffffff oldVal=<*> newVal=<*> diff=<*> fullscreenStackVis=<*>",
    ),
    "hpc": (["node-246 unavailable", "node-12 unavailable"], "<*> unavailable"),
    "thunderbird": (
        ["session opened for user root by (uid=0)", "session opened for user fred by (uid=500)"],
        "session opened for user <*> by (uid=<*>)",
    ),
    "hdfs": (
        [
            "Receiving block blk_5792489080791696128 src: /10.251.30.6:33145 dest: /10.251.30.6:50010",
            "Receiving block blk_-1608999687919862906 src: /10.250.19.102:54106 dest: /10.250.19.102:50010",
        ],
        "Receiving block <*> src: <*> dest: <*>",
    ),
    "syslog-date": (
        [
            "connection from 24.54.76.216 (24-54-76-216.bflony.adelphia.net) at Fri Jun 17 07:07:00 2005",
            "connection from 82.53.6.2 (host2-6.pool8253.interbusiness.it) at Sat Jun 18 12:01:30 2005",
        ],
        "connection from <*> (<*>) at <*>",
    ),
}


@pytest.mark.parametrize("style", sorted(STYLES))
def test_templates_by_style(style: str) -> None:
    lines, expected = STYLES[style]
    for line, match in zip(lines, mine(lines), strict=True):
        assert match.template == expected, line
        check(match, line)


def test_params_offsets_and_values() -> None:
    line = "Receiving block blk_1 src: /10.0.0.1:50010 dest: /10.0.0.2:50010"
    (m,) = mine([line])
    assert [p.value for p in m.params] == ["blk_1", "/10.0.0.1:50010", "/10.0.0.2:50010"]
    assert m.params[1].start == line.index("/10.0.0.1")


def test_distinct_messages_stay_apart() -> None:
    lines = [
        "After Scheduling: PendingReds:1 ScheduledMaps:9",
        "Before Scheduling: PendingReds:1 ScheduledMaps:10",
        "cupsd startup succeeded",
        "syslogd startup succeeded",
        "Task moved from RUNNING to FAILED",
        "Task moved from NEW to SCHEDULED",
    ]
    templates = [m.template for m in mine(lines)]
    assert len(set(templates)) == 6


def test_varying_run_is_one_variable() -> None:
    lines = ["job done in 3 4 s", "job done in 3 s", "job done in 3 4 5 s"]
    ms = mine(lines)
    assert {m.template for m in ms} == {"job done in <*> s"}
    assert ms[2].params[0].value == "3 4 5"
    fixed = mine(["REPORT : 7007 5002 150089 240", "REPORT : 1 2 3 4"])
    assert fixed[0].template == "REPORT : <*> <*> <*> <*>"


def test_whitespace_runs_and_empty() -> None:
    m = TemplateMiner()
    assert m.add("") == Match("", ())
    r = m.add("  a\t\tb   12  ")
    assert r.template == "a b <*>"
    check(r, "  a\t\tb   12  ")


def test_odd_text_never_fails() -> None:
    m = TemplateMiner()
    for line in ["x\x00y 12", "bad \udcff\udcfe bytes 7", "<*> literal 5", "\t", "é ü 3"]:
        check(m.add(line), line)
        check(m.match(line), line)


def test_huge_line_is_fast() -> None:
    line = "start " + " ".join(f"w{i}-{i}x" for i in range(120_000)) + " end"
    assert len(line) > 1_000_000
    m = TemplateMiner()
    t0 = time.perf_counter()
    r = m.add(line)
    m.match(line)
    assert time.perf_counter() - t0 < 2.0
    check(r, line)
    unbroken = "a-" * 600_000
    check(m.add(unbroken), unbroken)


def test_state_round_trip() -> None:
    lines = ["user root logged in from 1.2.3.4", "user fred logged in from 1.2.3.5", "disk full on /dev/sda1"]
    m = TemplateMiner()
    for line in lines:
        m.add(line)
    d = json.loads(json.dumps(m.to_dict()))
    assert d["version"] == 1
    m2 = TemplateMiner.from_dict(d)
    assert m2.templates() == m.templates()
    assert [m2.match(x) for x in lines] == [m.match(x) for x in lines]
    with pytest.raises(StateError):
        TemplateMiner.from_dict({"version": 99, "clusters": []})
    with pytest.raises(StateError):
        TemplateMiner.from_dict({"version": 1, "clusters": [{"tokens": "x"}]})


def test_templates_are_bounded() -> None:
    m = TemplateMiner(max_templates=50)
    for i in range(500):
        m.add(f"event{chr(97 + i % 26)}{chr(97 + i // 26 % 26)} happened")
    assert len(m) <= 50
    assert sum(c for _, c, _ in m.templates()) <= 500
    check(m.match("eventzz happened"), "eventzz happened")


def test_templates_listing() -> None:
    m = TemplateMiner()
    for line in ["a 1", "a 2", "b x"]:
        m.add(line)
    assert m.templates()[0] == ("a <*>", 2, "a 1")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab1 :=./_-\t(x)@\x00")), max_size=40), max_size=8))
def test_rebuild_property(lines: list[str]) -> None:
    m = TemplateMiner()
    for line in lines:
        check(m.add(line), line)
    for line in lines:
        r = m.match(line)
        check(r, line)
        assert r.template == " ".join(r.template.split())


def test_request_target_and_protocol_are_one_variable() -> None:
    from logkit.parse.api import parse_lines

    lines = [
        '10.0.0.1 "GET /v2/servers/detail?limit=5 HTTP/1.1" status: 200 len: 1893 time: 0.25',
        '10.0.0.2 "GET /v2/images HTTP/1.1" status: 200 len: 12 time: 0.01',
        '10.0.0.3 "GET /a%20b/c HTTP/2" status: 404 len: 0 time: 0.1',
        "upgrade to HTTP/1.1 refused",
    ]
    parsed = parse_lines(lines, format="none")
    assert {p.template for p in parsed[:3]} == {'<*> "GET <*>" status: <*> len: <*> time: <*>'}
    assert parsed[0].params[1].value == "/v2/servers/detail?limit=5 HTTP/1.1"
    assert parsed[3].template == "upgrade to HTTP/1.1 refused"  # a protocol outside a request stays text
    for p in parsed:
        assert p.rebuild() == p.record.content


def test_value_with_varying_unit_is_one_variable() -> None:
    from logkit.parse.api import parse_lines

    lines = [
        "Block b1 stored in memory (estimated size 5.2 KB, free 5.2 KB)",
        "Block b2 stored in memory (estimated size 380.0 B, free 14.0 KB)",
        "Block b3 stored in memory (estimated size 2.1 MB, free 1.0 GB)",
        "Finished task 3 in 120 ms, result 4096 bytes",
        "Finished task 4 in 98 ms, result 512 bytes",
    ]
    parsed = parse_lines(lines, format="none")
    assert {p.template for p in parsed[:3]} == {"Block <*> stored in memory (estimated size <*>, free <*>)"}
    assert [q.value for q in parsed[1].params] == ["b2", "380.0 B", "14.0 KB"]
    # units that never vary stay text
    assert parsed[3].template == "Finished task <*> in <*> ms, result <*> bytes"
    for p in parsed:
        assert p.rebuild() == p.record.content


def test_glued_units_survive_the_state_round_trip() -> None:
    m = TemplateMiner()
    for line in ["size 5 KB, free 2 KB now", "size 7 B, free 9 MB now", "size 1 GB, free 3 KB now"]:
        m.add(line)
    again = TemplateMiner.from_dict(m.to_dict())
    assert again.match("size 8 MB, free 1 KB now").template == "size <*>, free <*> now"


def test_values_of_varying_length_make_one_event() -> None:
    from logkit.parse.api import parse_lines

    lines = [
        "host-a:443 close, 1190 bytes (1.16 KB) sent, 1671 bytes (1.63 KB) received, lifetime 00:02",
        "host-b:80 close, 0 bytes sent, 0 bytes received, lifetime <1 sec",
        "host-c:80 close, 12 bytes sent, 2048 bytes (2.00 KB) received, lifetime 01:10",
        "host-d:443 close, 90 bytes sent, 3 bytes received, lifetime 00:05",
        "cache table entries: 4096 (order: 3, 32768 bytes)",
    ]
    parsed = parse_lines(lines, format="none")
    assert {p.template for p in parsed[:4]} == {"<*> close, <*> sent, <*> received, lifetime <*>"}
    assert len({p.template_id for p in parsed[:4]}) == 1
    assert [q.value for q in parsed[0].params] == ["host-a:443", "1190 bytes (1.16 KB)", "1671 bytes (1.63 KB)",
                                                 "00:02"]
    assert parsed[1].params[3].value == "<1 sec"
    # a lone form keeps its unit as text
    assert parsed[4].template == "cache table entries: <*> (order: <*>, <*> bytes)"
    for p in parsed:
        assert p.rebuild() == p.record.content


def test_family_forms_are_listed_once() -> None:
    m = TemplateMiner()
    for line in ["job 1 done, 10 bytes sent now", "job 2 done, 10 bytes (0.01 KB) sent now", "job 3 done, 7 sent now"]:
        m.add(line)
    rows = m.templates()
    assert [(t, n) for t, n, _ in rows] == [("job <*> done, <*> sent now", 3)]


def test_plain_words_are_events_unless_a_name_is_expected() -> None:
    from logkit.parse.api import parse_lines

    lines = [
        "[instance: 8f2c1a] VM Started (Lifecycle Event)",
        "[instance: 9a4e0b] VM Paused (Lifecycle Event)",
        "[instance: 77d3ce] VM Resumed (Lifecycle Event)",
        "Failed password for root from 10.0.0.1 port 22 ssh2",
        "Failed password for admin from 10.0.0.2 port 2201 ssh2",
        "Failed password for git from 10.0.0.3 port 41 ssh2",
    ]
    parsed = parse_lines(lines, format="none")
    assert [p.template for p in parsed[:3]] == [
        "[instance: <*>] VM Started (Lifecycle Event)",
        "[instance: <*>] VM Paused (Lifecycle Event)",
        "[instance: <*>] VM Resumed (Lifecycle Event)",
    ]
    assert {p.template for p in parsed[3:]} == {"Failed password for <*> from <*> port <*> ssh2"}


@pytest.mark.parametrize(
    ("word", "template"),
    [
        ("[ib_sm_sweep.c:123]:", "[ib_sm_sweep.c:\ue000]:"),
        ("Main.java:42", "Main.java:\ue000"),
        ("cache.cc(88)]", "cache.cc(\ue000)]"),
        ("host.example.com:8080", "\ue000"),  # a host and port stays one variable
        ("HTTP/1.1", "HTTP/1.1"),
    ],
)
def test_source_file_names_stay_text_before_their_line_number(word: str, template: str) -> None:
    from logkit.parse.masking import mask_word

    assert mask_word(word)[0] == template


def test_short_messages_around_ids_share_a_template() -> None:
    # only two constant words: ids of letters and digits still vary as one variable
    lines = [f"done req_web{100143 + 37 * i} status 200" for i in range(20)]
    lines += [f"start job job_{i:04x}a1b2 on node n{10 + i}" for i in range(20)]
    templates = {m.template for m in mine(lines)}
    assert templates == {"done <*> status <*>", "start job <*> on node <*>"}
    assert [p.value for p in mine(lines)[0].params] == ["req_web100143", "200"]


def test_names_with_one_digit_stay_constant_words() -> None:
    lines = ["MDNS: IPV6 Addr: 10.0.0.7", "MDNS: IPV4 Addr: 10.0.0.1"] * 3
    assert {m.template for m in mine(lines)} == {"MDNS: IPV6 Addr: <*>", "MDNS: IPV4 Addr: <*>"}


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(alphabet="ab:/.(", max_size=3), min_size=2, max_size=4),
       st.text(alphabet="ab:/.(", max_size=12), st.integers(0, 3), st.integers(0, 3))
def test_word_template_spans_are_those_of_the_lazy_regex(pieces, text, lead, trail):
    """A word template's variables are found without a regex, where a full match of the literal pieces
    joined by lazy groups puts them (the regex form the miner used before)."""
    import re

    from logkit.parse.clusters import PH, _is_instance, _token_spans

    token = PH.join(pieces)
    padded = "x" * lead + text + "y" * trail
    start, end = lead, lead + len(text)
    m = re.compile("(.*?)".join(re.escape(p) for p in pieces), re.DOTALL).fullmatch(padded, start, end)
    got = _token_spans(token, padded, start, end)
    assert got == (list(m.regs[1:]) if m is not None else None)
    assert _is_instance(token, text) == (m is not None)
