"""A question equal to one of an entry's phrasings answers that entry outright (search/index.py ``exact``)."""

from __future__ import annotations

from core.db import session_scope
from tests.helpers import matcher_of


def ask(app, question: str):  # noqa: ANN201
    with session_scope(app.extensions["machimado"].sessions) as session:
        return matcher_of(app, session).match(question)


def test_an_faqs_own_question_is_answered_outright(app) -> None:
    """It used to be a もしかして list: a national procedure is nearly the same (マイナンバーカードの交付申請)."""
    result = ask(app, "マイナンバーカードの更新")
    assert result.outcome == "answer" and result.top.question == "マイナンバーカードの更新"
    assert result.fields.get("exact") == 1.0


def test_the_same_words_as_a_phrasing_answer_too(app) -> None:
    result = ask(app, "児童手当の申請をしたい")  # the words of the phrasing 児童手当の申請 (したい says nothing)
    assert result.outcome == "answer" and result.top.question == "児童手当の申請方法"


def test_a_negation_is_part_of_what_a_question_asks(app) -> None:
    """税金が払えない has the words of 税金の払い方 once normalized, but asks the opposite."""
    result = ask(app, "税金が払えない")
    assert result.top.key == "zei-nofu-konnan"  # 税金が払えないときはどうすればいい, not 税金の払い方
    assert ask(app, "マイナンバーカードを更新しない").fields.get("exact") is None


def test_leave_out_evaluation_never_answers_an_excluded_entry(app) -> None:
    with session_scope(app.extensions["machimado"].sessions) as session:
        result = matcher_of(app, session).match("マイナンバーカードの更新", exclude=frozenset({"myna-koshin"}))
    assert all(c.key != "myna-koshin" for c in result.candidates) and result.fields.get("exact") is None
