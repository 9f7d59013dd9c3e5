"""Templates that generalise: the rules of logkit.parse.revise and the miner's revisions, on synthetic lines
(the final templates do not depend on which line came first; params still rebuild each content)."""

from __future__ import annotations

import json

import pytest

from logkit.parse.miner import TemplateMiner
from logkit.parse.revise import fill_empty
from tests.test_miner import check, mine


def _templates(lines: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for line, m in zip(lines, mine(lines), strict=True):
        check(m, line)
        out[m.template] = out.get(m.template, 0) + 1
    return out


def _both_orders(lines: list[str]) -> list[dict[str, int]]:
    return [_templates(lines), _templates(lines[::-1])]


@pytest.mark.parametrize(
    ("word", "filled"),
    [("()", "(\ue000)"), ("[]", "[\ue000]"), ('""', '"\ue000"'), ("rhost=", "rhost=\ue000"),
     ("dev=,", "dev=\ue000,"), ("(x)", "(x)"), ("a=b", "a=b"), ("=", "="), ("word", "word")],
)
def test_fill_empty_writes_a_variable_into_each_empty_value(word: str, filled: str) -> None:
    assert fill_empty(word) == filled


def test_empty_value_is_a_value_whichever_line_comes_first() -> None:
    lines = [f"connection from 10.0.{i}.{i + 1} () at 12:0{i % 10}:11" for i in range(30)]
    lines += [f"connection from 10.1.{i}.{i + 2} (host{i}.example.org) at 1{i % 10}:00:01" for i in range(30)]
    for got in _both_orders(lines):
        assert got == {"connection from <*> (<*>) at <*>": 60}
    m = TemplateMiner()
    for line in lines:
        m.learn(line)
    empty = m.match(lines[0]).params[1]
    assert (empty.value, empty.end - empty.start) == ("", 0)
    assert lines[0][empty.start - 1 : empty.end + 1] == "()"


def test_odd_bracketed_values_are_one_variable() -> None:
    lines = ["bad username []"] * 5 + ["bad username [;;]", "bad username [\\]", "bad username [guest]"]
    for got in _both_orders(lines):
        assert got == {"bad username [<*>]": 8}


def test_empty_key_value_joins_the_filled_one() -> None:
    lines = [f"request done user= status=ok size={i} client=app.local" for i in range(10)]
    lines += [f"request done user=u{i}x status=ok size={i} client=app.local" for i in range(10)]
    for got in _both_orders(lines):
        assert got == {"request done user=<*> status=ok size=<*> client=app.local": 20}


def test_a_value_always_empty_stays_literal() -> None:
    lines = [f"authentication failure; logname= uid={i} tty=ssh ruser= rhost=10.0.0.{i}" for i in range(20)]
    assert _templates(lines) == {"authentication failure; logname= uid=<*> tty=ssh ruser= rhost=<*>": 20}


def test_function_calls_stay_apart_from_other_calls() -> None:
    lines = ["jk2_init() Found child 12 in scoreboard slot 3"] * 3 + ["config.update() Found child 1 in x"]
    got = _templates(lines)
    assert got["jk2_init() Found child <*> in scoreboard slot <*>"] == 3


def test_state_round_trip_keeps_generalised_words() -> None:
    m = TemplateMiner()
    for line in ["connection from 1.2.3.4 () at 10:00:00", "connection from 1.2.3.5 (h.example) at 10:00:01"]:
        m.learn(line)
    again = TemplateMiner.from_dict(json.loads(json.dumps(m.to_dict())))
    assert again.templates() == m.templates()
    assert again.match("connection from 1.2.3.9 () at 11:00:00").template == "connection from <*> (<*>) at <*>"


def test_a_literal_cluster_covered_by_a_later_one_is_absorbed() -> None:
    # ``job alpha done`` alone is a constant; once ``job <*> done`` exists, its lines are instances of it
    lines = ["job alpha done"] * 3 + ["job 42 done", "job 7 done"]
    for got in _both_orders(lines):
        assert got == {"job <*> done": 5}


def test_clusters_that_a_generalised_cluster_covers_are_absorbed() -> None:
    tail = "seconds on node one"
    lines = [f"task alpha finished with state=ok after {i} {tail}" for i in range(4)]
    lines += [f"task beta finished with state=failed after {i} {tail}" for i in range(2)]
    lines += [f"task {i} finished with state={i} after {i} {tail}" for i in range(10, 14)]
    for got in _both_orders(lines):
        assert got == {f"task <*> finished with state=<*> after <*> {tail}": 10}
    m = TemplateMiner()
    first = [m.add(line).template for line in lines]  # a stream: the form known when each line came
    assert first[0] == f"task alpha finished with state=ok after <*> {tail}"
    assert len(m) == 1 and m.templates()[0][1] == 10
    assert {m.match(line).template for line in lines} == {f"task <*> finished with state=<*> after <*> {tail}"}
    again = TemplateMiner.from_dict(json.loads(json.dumps(m.to_dict())))
    assert again.templates() == m.templates()


def test_a_value_that_differs_only_in_part_is_one_whole_variable() -> None:
    names = ["libfoo:amd64", "curl:arm64", "bash:i386", "tzdata:all"]
    versions = ["1.2.3-1+foo2", "4.5-6", "2.36-9+deb12u10", "1:1.2.13.dfsg-1", "7.88.1-10+deb12u5"]
    lines = [f"Setting up {names[i % 4]} ({versions[i % 5]}) ..." for i in range(20)]
    lines += [f"Unpacking {names[i % 4]} ({versions[i % 5]}) over ({versions[(i + 2) % 5]}) ..." for i in range(20)]
    for got in _both_orders(lines):
        assert got == {"Setting up <*> (<*>) ...": 20, "Unpacking <*> (<*>) over (<*>) ...": 20}


def test_a_word_that_varied_takes_a_new_value_of_its_shape_whole() -> None:
    """Short messages (too few constant words to compare by similarity): once names made ``<*>:amd64`` vary,
    ``name:all`` is one more value of that word, in whichever order the lines come; a key (``user=``) that
    differs is not, nor a word whose only variable the masking put in both (``LOGIN(uid=0)`` / ``root(uid=0)``)."""
    names = ["libc6", "bash", "coreutils", "zlib1g", "perl-base", "tzdata", "adduser", "debconf"]
    lines = [f"status unpacked {n}:{'amd64' if k % 2 else 'all'} 1.{k}-{k + 2}" for k, n in enumerate(names)] * 3
    for got in _both_orders(lines):
        assert got == {"status unpacked <*> <*>": len(lines)}
    from logkit.parse.clusters import _soft

    assert _soft("user=\ue000", "group=libc6") is False  # another key: it counts against the similarity
    assert _soft("\ue000:amd64", "curl:all") is True
    assert _soft("LOGIN(uid=\ue000)", "root(uid=\ue000)") is False  # the masking's variable: no evidence


def test_blanks_between_brackets_are_one_blank_value() -> None:
    """``[ ]`` and ``[   ]`` are ``[]`` with blanks in it: one value, not two words (a template of their own)."""
    lines = ["bad username []"] * 5 + ["bad username [ ]", "bad username [   ]", "bad username [guest]",
                                       "bad username [;;]"]
    for got in _both_orders(lines):
        assert got == {"bad username [<*>]": 9}
    m = TemplateMiner()
    for line in lines:
        m.learn(line)
    blank = m.match("bad username [   ]").params[0]
    assert blank.value == "   " and (blank.start, blank.end) == (14, 17)


def test_a_word_that_is_a_value_through_and_through_joins_any_other() -> None:
    """Short messages: versions written in different shapes (``1.2-3+deb10u1``, ``4.5``, ``2.28-10~deb10u6``) and
    the placeholder a program prints for an absent one (``<none>``) are values of one slot, in either order."""
    lines = []
    for k, (old, new) in enumerate([("1.2-3+deb10u1", "1.2-3+deb10u2"), ("4.5", "4.6"), ("<none>", "2.28-10~deb10u6"),
                                    ("0.9~rc1", "1:2.3-4"), ("<none>", "7.0")] * 4):
        lines.append(f"upgrade pkg{k}x:amd64 {old} {new}")
    for got in _both_orders(lines):
        assert got == {"upgrade <*>:amd64 <*> <*>": len(lines)}
    # text without a digit stays text: a unit or a key is no value
    from logkit.parse.clusters import _all_value

    assert not _all_value("\ue000ms") and not _all_value("blk_\ue000") and _all_value("\ue000~deb10u6")
