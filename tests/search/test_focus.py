"""Long messages (#22): the question inside a story is found and matched with the story, so the right entry is
shown instead of the fallback. The stories here are the team's own, not the measuring set's."""

from __future__ import annotations

import pytest

from search import focus
from search.focus import combine, question_part
from tests.helpers import matcher_of

STORY = ("来月、実家の母と同居することになり、今の部屋を片付けています。古いタンスやソファ、使わなくなった自転車が"
         "たくさん出てきました。家族で話し合って処分することにしたのですが、大きな家具はどうやって出せばいいのでしょうか。")


def test_the_question_sentences_of_a_long_message() -> None:
    assert question_part(STORY) == "家族で話し合って処分することにしたのですが、大きな家具はどうやって出せばいいのでしょうか。"
    assert question_part("粗大ごみの出し方を教えてください") is None  # short: matched as it is
    told = "先週、県外から家族四人で引っ越してきました。荷物がまだ片付きません。子どもの学校と住民票の手続きのこと。"
    assert question_part(told) == "子どもの学校と住民票の手続きのこと。"  # no question ending: the last sentence


def test_combined_scores_never_fall_below_the_whole_message() -> None:
    mixed = combine({"a": 0.3, "b": 0.2}, {"b": 0.6, "c": 0.5})
    assert mixed["a"] == 0.3 and mixed["b"] == pytest.approx(focus.FOCUS_WEIGHT * 0.6 + (1 - focus.FOCUS_WEIGHT) * 0.2)
    assert mixed["c"] == pytest.approx(focus.FOCUS_WEIGHT * 0.5)


def test_a_story_around_a_question_finds_it(app, monkeypatch: pytest.MonkeyPatch) -> None:
    with app.extensions["machimado"].sessions() as session:
        matcher = matcher_of(app, session)
        found = matcher.match(STORY)
        assert found.candidates[0].key == "gomi-sodai" and found.outcome in ("answer", "suggest")
        monkeypatch.setattr("search.matcher.question_part", lambda text: None)  # the story alone, as before
        diluted = matcher.match(STORY)
        assert diluted.candidates[0].score < found.candidates[0].score
