"""Informative-word features of the small model: token weights (inverse frequency) and punctuation shapes."""

from __future__ import annotations

from logkit.detect.features import Featurizer, punctuation_shapes, token_weights
from logkit.detect.grouping import Event


def _ev(template: str, level: str = "INFO") -> Event:
    return Event(1, "t" + template, template, template, None, (("Level", level),))


def test_punctuation_shapes_collapse_repeats_and_mark_variables() -> None:
    assert punctuation_shapes("alpha rounded..........<*>") == ["p:.*"]
    assert punctuation_shapes("r1=<*> r2=<*>") == ["p:=*", "p:=*"]
    assert punctuation_shapes("plain words only") == []


def test_rare_tokens_weigh_more_than_what_every_line_has() -> None:
    lines = [_ev("open file <*>"), _ev("close file <*>"), _ev("disk failure on <*>")]
    weights, unseen = token_weights(lines)
    feat = Featurizer([], sequence=False, weights=weights, unseen_weight=unseen)
    vec = feat.line_vector(_ev("disk failure on <*>"))
    (level,) = Featurizer.tokens(_ev(""))  # the level field, which every line has
    (disk,) = Featurizer.tokens(Event(1, "d", "disk", "disk"))
    assert weights[level] == min(weights.values()) < weights[disk]
    assert unseen == max(weights.values())  # a token no line had is as rare as the rarest
    # an unseen word gets the unseen weight, and the vector is L2-normalised
    new = feat.line_vector(_ev("quokka"))
    assert abs(sum(v * v for v in new.values()) - 1.0) < 1e-9 and abs(sum(v * v for v in vec.values()) - 1.0) < 1e-9
    assert max(new.values()) > min(new.values())
