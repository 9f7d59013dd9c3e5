"""The detector contract, run over every registered detector, and the small model's behaviour."""

from __future__ import annotations

import inspect
import json
import random

import pytest

from logkit.models.base import REGISTRY, Detector, load_detector
from logkit.models.graph import GraphDetector  # noqa: F401  (registers it)
from logkit.models.small import SmallDetector  # noqa: F401  (registers it)
from logkit.records import Event, Group

NORMAL = ["open file <*>", "read <*> bytes from <*>", "close file <*>"]
BAD = ["disk error while reading <*>", "read <*> bytes from <*>"]


def make_groups(n: int, rate: float, seed: int = 0) -> tuple[list[Group], list[int]]:
    rng = random.Random(seed)
    groups, labels = [], []
    line = 1
    for i in range(n):
        bad = rng.random() < rate
        templates = BAD if bad else NORMAL
        g = Group(f"s{i}", line, line)
        for t in templates:
            g.add(Event(line, "t" + str(abs(hash(t)) % 10_000), t, t.replace("<*>", "1"), None,
                        (("Level", "ERROR" if "error" in t else "INFO"),)))
            line += 1
        groups.append(g)
        labels.append(int(bad))
    return groups, labels


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_contract(name: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    if name == "graph":
        pytest.importorskip("torch")  # the [graph] extra trains it
    cls = REGISTRY[name]
    assert issubclass(cls, Detector) and cls.name == name
    sig = inspect.signature(cls.__init__)
    params = [p for p in sig.parameters.values() if p.name != "self"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params)
    det = cls()
    assert det.get_params() == {p.name: p.default for p in params}  # stored verbatim
    assert not det.is_fitted()
    groups, labels = make_groups(120, 0.2)
    assert det.fit(groups, labels) is det and det.is_fitted()
    scores = det.score(groups[:20])
    assert len(scores) == 20
    assert all(0.0 <= s.score <= 1.0 and 0.0 <= s.uncertainty <= 1.0 for s in scores)
    det.save(tmp_path)
    meta = json.loads((tmp_path / "detector.json").read_text())
    assert meta["name"] == name
    back = load_detector(tmp_path)
    assert [round(s.score, 9) for s in back.score(groups[:20])] == [round(s.score, 9) for s in scores]


def test_supervised_separates_and_explains() -> None:
    groups, labels = make_groups(200, 0.2)
    det = SmallDetector().fit(groups, labels)
    test, truth = make_groups(50, 0.3, seed=1)
    scores = det.score(test)
    assert all((s.score >= 0.5) == bool(y) for s, y in zip(scores, truth, strict=True))
    bad = next(s for s, y in zip(scores, truth, strict=True) if y)
    assert "weighed most" in bad.reason
    # the error template was in training, in anomalous items only: not "never seen"
    assert "seen in training only in anomalous items" in bad.reason and "never seen" not in bad.reason


def test_unseen_template_is_understood_by_its_words() -> None:
    groups, labels = make_groups(200, 0.2)
    det = SmallDetector().fit(groups, labels)
    g = Group("new", 1, 1)
    for i, t in enumerate(["disk error while writing <*>", "read <*> bytes from <*>"], 1):
        tid = "tnew" if "writing" in t else "t" + str(abs(hash(t)) % 10_000)
        g.add(Event(i, tid, t, t, None, (("Level", "ERROR" if "error" in t else "INFO"),)))
    s = det.score([g])[0]
    assert s.score >= 0.5
    assert "never seen in training" in s.reason and "tnew" in s.reason


def test_novelty_without_labels() -> None:
    groups, _ = make_groups(100, 0.0)
    det = SmallDetector().fit(groups)
    odd, _ = make_groups(5, 1.0, seed=3)
    assert all(s.score >= 0.5 for s in det.score(odd))
    assert all(s.score < 0.5 for s in det.score(groups[:10]))


def test_line_labels_score_the_worst_line() -> None:
    groups, labels = make_groups(200, 0.2)
    line_labels = {ev.line: int("error" in ev.template) for g in groups for ev in g.events}
    det = SmallDetector().fit(groups, line_labels=line_labels)
    test, truth = make_groups(40, 0.3, seed=2)
    s = det.score(test)
    assert all((x.score >= 0.5) == bool(y) for x, y in zip(s, truth, strict=True))


def test_load_refuses_pickle_and_foreign_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from logkit.errors import StateError

    with pytest.raises(StateError):
        load_detector(tmp_path)
    (tmp_path / "detector.json").write_text('{"kind": "other"}')
    with pytest.raises(StateError):
        load_detector(tmp_path)


def test_an_item_made_of_what_training_never_showed_is_uncertain(tmp_path) -> None:  # type: ignore[no-untyped-def]
    groups, labels = make_groups(200, 0.2)
    # a template that only ever appears late in training, in anomalous items: new things were often bad
    for g, y in zip(groups[150:], labels[150:], strict=True):
        if y:
            g.add(Event(g.last_line, "tlate", "quota exceeded for <*>", "quota exceeded for 1", None,
                        (("Level", "INFO"),)))
    det = SmallDetector().fit(groups, labels)
    assert 0.0 < det.novel_rate_ < 1.0
    known = det.score(groups[:5])
    g = Group("alien", 1, 1)
    g.add(Event(1, "talien", "zebra galloping across meadow <*>", "zebra galloping across meadow 7", None,
                (("Level", "NOTICE"),)))
    alien = det.score([g])[0]
    assert all(alien.uncertainty > s.uncertainty for s in known)
    assert alien.uncertainty >= 1.0 - abs(2.0 * det.novel_rate_ - 1.0) - 0.25
    det.save(tmp_path)
    assert load_detector(tmp_path).score([g])[0].uncertainty == pytest.approx(alien.uncertainty)


def test_labels_that_teach_nothing_leave_novelty_to_speak(tmp_path) -> None:  # type: ignore[no-untyped-def]
    groups, _ = make_groups(200, 0.0)
    rng = random.Random(4)
    noise = [int(rng.random() < 0.1) for _ in groups]  # labels unrelated to anything in the groups
    det = SmallDetector().fit(groups, noise)
    assert det.heldout_auc_ < 0.6
    g = Group("new", 1, 1)
    for i, t in enumerate(["open file <*>", "checksum mismatch in block <*>"], 1):
        g.add(Event(i, "t" + str(abs(hash(t)) % 10_000), t, t, None, (("Level", "INFO"),)))
    s = det.score([g])[0]
    assert s.score >= 0.5 and "never seen in training" in s.reason
    assert all(x.score < 0.5 for x in det.score(groups[:20]))
    # below the threshold a novelty score is no probability: the calibrated rate (the noise rate) stays
    twice = Group("twice", 1, 1)
    for ev in groups[0].events + [groups[0].events[1]]:  # one step more often than ever in training
        twice.add(ev)
    assert 0.0 < det._p_novelty(twice, [], det._zmax(twice)[0]) < 0.5
    assert det.score([twice])[0].score == pytest.approx(sum(noise) / len(noise), abs=0.05)
    det.save(tmp_path)
    assert load_detector(tmp_path).score([g])[0].score == pytest.approx(s.score)
    informed, labels = make_groups(200, 0.2)
    assert SmallDetector().fit(informed, labels).heldout_auc_ > 0.9


def _line_group(key: str, template: str, level: str) -> Group:
    g = Group(key, 1, 1)
    g.add(Event(1, "t" + key, template, template.replace("<*>", "9"), None, (("Level", level),)))
    return g


def test_new_words_neither_dilute_what_is_known_nor_unsettle_a_clear_normal() -> None:
    groups, _ = make_groups(300, 0.2)
    line_labels = {ev.line: int("error" in ev.template) for g in groups for ev in g.events}
    det = SmallDetector().fit(groups, line_labels=line_labels)
    tail = " during nightly compaction of shard replica index segment merge window quorum"
    bad = det.score([_line_group("b", "disk error while reading <*>" + tail, "ERROR")])[0]
    ok = det.score([_line_group("n", "close file <*>" + tail, "INFO")])[0]
    short_bad = det.score([_line_group("sb", "disk error while reading <*>", "ERROR")])[0]
    # the words training knew still decide; the new ones pull the score towards what new lines of the kind
    # turned out to be (never past it), so the long form is less sure than the short one
    rate = det.kind_novel_.get((("Level", "ERROR"),), det.novel_rate_)
    assert short_bad.score > bad.score >= max(0.5, min(rate, short_bad.score))
    assert ok.score < 0.5
    # the new words leave each less sure than its short form, the clear normal still fairly sure
    assert bad.uncertainty > short_bad.uncertainty
    assert ok.uncertainty < 0.5


def test_new_lines_take_what_new_lines_of_their_kind_turned_out_to_be(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(3)
    groups, line_labels, line = [], {}, 1
    for w in range(100):  # windows of 5 lines; every 10th window brings two new templates, one of each kind
        g = Group(f"w{w}", line, line)
        for i in range(5):
            if w % 10 == 0 and i < 2:
                level = "FATAL" if i == 0 else "INFO"
                word = "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(8))
                t = f"{word} {level.lower()} event in unit <*>"
                y = int(level == "FATAL")  # new fatal lines were anomalous, new info lines were not
            else:
                level, t, y = "INFO", ["open file <*>", "read <*> bytes", "close file <*>"][i % 3], 0
            g.add(Event(line, "t" + t.split()[0], t, t.replace("<*>", "3"), None, (("Level", level),)))
            line_labels[line] = y
            line += 1
        groups.append(g)
    det = SmallDetector().fit(groups, line_labels=line_labels)
    assert det.kind_novel_[(("Level", "FATAL"),)] > 0.5 > det.kind_novel_[(("Level", "INFO"),)]

    def new(level: str) -> Group:
        g = Group("x", 1, 1)
        t = f"quokka zephyr {level.lower()} in unit <*>"
        g.add(Event(1, "tq" + level, t, t, None, (("Level", level),)))
        return g

    fatal, info = det.score([new("FATAL"), new("INFO")])
    # the unseen words are worth the rate of new lines of the kind: a new fatal line is anomalous, a new
    # info line normal, though neither template nor its words were ever seen
    assert fatal.score >= 0.5 > info.score
    det.save(tmp_path)
    again = load_detector(tmp_path).score([new("FATAL")])[0]
    assert again.score == pytest.approx(fatal.score) and again.uncertainty == pytest.approx(fatal.uncertainty)
