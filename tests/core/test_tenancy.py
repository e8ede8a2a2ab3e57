"""Several municipalities in one deployment: nothing one webhook does reaches another's data."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Follower, Municipality
from faq.models import FaqEntry, QuestionLog
from tests.helpers import body_of, event_of, post_webhook, reply_texts, text_event


def rows(app, query):
    with app.extensions["machimado"].sessions() as session:
        return session.execute(query).all()


def test_each_municipality_answers_from_its_own_knowledge_base(multi_app, fake_line) -> None:
    client = multi_app.test_client()
    assert post_webhook(client, body_of(text_event("粗大ごみの出し方")), "secret-shima", "/callback/shima").status_code == 200
    assert post_webhook(client, body_of(text_event("粗大ごみの出し方")), "secret-minato",
                        "/callback/minato").status_code == 200
    replies = fake_line.calls_to("reply")
    assert [c["token"] for c in replies] == ["tok-shima", "tok-minato"]
    texts = reply_texts(fake_line)
    assert "しまクリーンセンター" in texts[0] and "みなと町" not in texts[0]
    assert "みなと町" in texts[2] and "しま" not in texts[2]


def test_default_callback_serves_the_default_municipality(multi_app, fake_line) -> None:
    client = multi_app.test_client()
    assert post_webhook(client, body_of(text_event("島内バスの時刻表")), "secret-shima").status_code == 200
    assert "港の案内所" in reply_texts(fake_line)[0]


def test_one_municipalitys_secret_does_not_open_another(multi_app, fake_line) -> None:
    client = multi_app.test_client()
    response = post_webhook(client, body_of(text_event("粗大ごみ")), "secret-shima", "/callback/minato")
    assert response.status_code == 400
    assert rows(multi_app, select(QuestionLog.id)) == []
    assert post_webhook(client, body_of(text_event("x")), "secret-shima", "/callback/nowhere").status_code == 404


def test_questions_and_followers_are_recorded_under_their_municipality(multi_app, fake_line) -> None:
    client = multi_app.test_client()
    user = "U" + "e" * 32  # the same LINE user may follow both accounts
    post_webhook(client, body_of(event_of("follow", user)), "secret-shima", "/callback/shima")
    post_webhook(client, body_of(text_event("町営温泉の営業時間", user)), "secret-minato", "/callback/minato")
    by_slug = dict(rows(multi_app, select(Municipality.id, Municipality.slug)))
    followers = rows(multi_app, select(Follower.municipality_id, Follower.status).order_by(Follower.id))
    # Following shima made a shima follower; asking minato made a separate minato record.
    assert [(by_slug[m], s) for m, s in followers] == [("shima", "following"), ("minato", "following")]
    logs = rows(multi_app, select(QuestionLog.municipality_id, QuestionLog.outcome))
    assert [(by_slug[m], o) for m, o in logs] == [("minato", "answer")]


def test_postback_cannot_reveal_another_municipalitys_entry(multi_app, fake_line) -> None:
    client = multi_app.test_client()
    (minato_onsen,) = rows(multi_app, select(FaqEntry.id).where(FaqEntry.key == "onsen"))[0]
    postback = event_of("postback", postback={"data": f"action=answer&entry={minato_onsen}"})
    post_webhook(client, body_of(postback), "secret-shima", "/callback/shima")
    text = reply_texts(fake_line)[0]
    assert "温泉" not in text and "見つかりませんでした" in text


def test_feedback_cannot_attach_to_another_municipalitys_question(multi_app, fake_line) -> None:
    from faq.models import Feedback

    client = multi_app.test_client()
    post_webhook(client, body_of(text_event("町営温泉の営業時間")), "secret-minato", "/callback/minato")
    ((log_id, entry_id),) = rows(multi_app, select(QuestionLog.id, QuestionLog.top_entry_id))
    data = f"action=feedback&v=0&entry={entry_id}&q={log_id}"
    post_webhook(client, body_of(event_of("postback", postback={"data": data})), "secret-shima", "/callback/shima")
    ((question_log_id, fb_entry),) = rows(multi_app, select(Feedback.question_log_id, Feedback.entry_id))
    assert question_log_id is None and fb_entry is None
