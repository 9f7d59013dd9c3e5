"""A header format's fast regex (fields before whitespace as ``\\S*``, that whitespace taken whole) splits
every line exactly as Loghub's lazy pattern does; where it cannot, the lazy pattern decides."""

from __future__ import annotations

import random
import re

import pytest

from logkit.parse.formats import HeaderFormat, compile_format

SPECS = [
    "<Date> <Time> <Pid> <Level> <Component>: <Content>",
    "<Month> <Date> <Time> <Level> <Component>(\\[<PID>\\])?: <Content>",
    "<Date> <Time> - <Level>  \\[<Node>:<Component>@<Id>\\] - <Content>",
    "<Date> <Time> <Level> [<Process>] <Component>: <Content>",
    "<Label> <Timestamp> <Date> <Node> <Time> <Type> <Component> <Level> <Content>",
    "<Time:\\d\\d:\\d\\d> <Level> <Content>",
]
ATOMS = ["a", "bc", "10:00", "Jun", "9", "06:06:20", "host", "sshd", "[", "]", "12", "(pam)", ":", ": ", "|", "@", "-",
         " ", "  ", "\t", " \t ", "x:y", "[1 2]", "]:", "INFO", "=", ".", "- "]


def _near(spec: str, rng: random.Random) -> str:
    """A line written after ``spec``: each field a few atoms, each space a random run of whitespace."""
    out = re.sub(r"<[A-Za-z]+(?::[^>]*)?>", lambda _m: "".join(rng.choice(ATOMS) for _ in range(rng.randrange(1, 4))),
                 spec.replace("\\[", "[").replace("\\]", "]").replace("(", "").replace(")?", ""))
    return re.sub(" +", lambda _m: rng.choice([" ", "  ", "\t", " \t"]), out)


@pytest.mark.parametrize("spec", SPECS)
def test_fast_regex_splits_like_the_lazy_pattern(spec: str) -> None:
    fmt = compile_format(spec)
    assert isinstance(fmt, HeaderFormat)
    lazy = fmt.lazy or fmt.regex
    rng = random.Random(spec)
    lines = ["".join(rng.choice(ATOMS) for _ in range(rng.randrange(1, 22))) for _ in range(3000)]
    lines += [_near(spec, rng) for _ in range(3000)]  # lines shaped like the header, with odd values
    lines += ["  [06:06:20 [|  12-12Jun= \t []  1212|: ]", "Jun  9 06:06:20 combo syslogd 1.4.1: restart.",
              "2024-01-01 10:00:00 - INFO  [main:App@12] - started", " leading space: x", ""]
    matched = 0
    for line in lines:
        a, b = fmt.match(line), lazy.match(line)
        assert (a is None) == (b is None), line
        if a is not None and b is not None:
            matched += 1
            assert a.groups() == b.groups(), line
    assert matched > 50


def test_only_fields_before_whitespace_are_rewritten() -> None:
    fmt = compile_format("<Date> <Time> \\[<Level>\\] <Component>: <Content>")
    assert isinstance(fmt, HeaderFormat) and fmt.lazy is not None
    assert r"(?P<Date>\S*)\s++" in fmt.regex.pattern and r"(?P<Level>.*?)\]" in fmt.regex.pattern
    assert r"(?P<Component>.*?):" in fmt.regex.pattern
    plain = compile_format("\\[<Time>\\] \\[<Level>\\] <Content>")
    assert isinstance(plain, HeaderFormat) and plain.lazy is None  # nothing to rewrite
