"""Several municipalities in one deployment: nothing one webhook does reaches another's data."""

from __future__ import annotations

import json

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


def test_a_placeholder_a_municipality_lacks_never_reaches_residents(multi_app, fake_line) -> None:
    """#17.6: 問い合わせ先 showed a raw {tax_phone} where the municipality had no such value."""
    from click.testing import CliRunner

    from cli.main import main
    from faq.packs import save_entry

    rt = multi_app.extensions["machimado"]
    tenant = rt.tenant("shima")
    assert tenant.config.fill("税務課 {tax_phone}／{tax_url}／{city}") == "税務課 代表 0000-11-1111／／しま市"
    entry = {"id": "zei-nofu", "question": "固定資産税の納付方法", "answer": "窓口か口座振替で納めます。",
             "category": "税", "alt_questions": [], "keywords": [], "department": "税務課", "contact": "{tax_phone}",
             "links": [{"label": "納付方法", "url": "{tax_url}/nofu"}], "active": True}
    with rt.sessions() as session:
        save_entry(session, tenant.id, entry, "test")
        session.commit()
    post_webhook(multi_app.test_client(), body_of(text_event("固定資産税の納付方法")), "secret-shima", "/callback/shima")
    messages = [c for c in fake_line.calls_to("reply") if c["status"] == 200][-1]["body"]["messages"]
    shown = json.dumps(messages, ensure_ascii=False)
    assert "【お問い合わせ】税務課 代表 0000-11-1111" in messages[0]["text"] and "{" not in messages[0]["text"]
    assert "{tax_url}" not in shown and "関連リンク" not in shown  # the only link had no usable URL: no link card
    result = CliRunner().invoke(main, ["faq", "lint", "-m", "shima"])
    assert "warning: {tax_phone} has no value in shima's placeholders" in result.output
    assert "{tax_url}" in result.output
