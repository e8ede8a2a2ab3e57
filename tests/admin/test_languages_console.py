"""The console's side of residents' languages (#15): coverage per language, untranslated entries residents asked
about in other languages, translations in the editor, and each inbox item's language."""

from __future__ import annotations

import re

from sqlalchemy import select

from faq.models import FaqEntry, QuestionLog
from tests.admin.test_console import login, make_staff
from tests.helpers import body_of, post_webhook, text_event


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_coverage_untranslated_filter_editor_and_inbox_language(app, client, fake_line) -> None:
    user = "U" + "f" * 32
    fake_line.profiles[user] = {"userId": user, "displayName": "Ana", "language": "pt"}
    post_webhook(client, body_of({"type": "follow", "mode": "active", "timestamp": 1, "source": {"type": "user",
                 "userId": user}, "webhookEventId": "01FOLLOWPT", "deliveryContext": {"isRedelivery": False},
                 "replyToken": "rt-f"}))
    post_webhook(client, body_of(text_event("Como registrar o meu cachorro?", user)))
    post_webhook(client, body_of(text_event("Qual time de futebol é o melhor?", user)))  # unanswerable
    login(client, make_staff(app)["admin"])

    page = client.get("/admin/faq").get_data(as_text=True)
    assert "英語</td><td>40 / 151件" in page and "ポルトガル語</td><td>0 / 151件" in page

    with app.extensions["machimado"].sessions() as session:  # もしかして twice, nobody tapped: reached nothing
        other = session.scalar(select(FaqEntry).where(FaqEntry.key == "koseki-juminhyo-dairi"))
        assert other is not None
        session.add_all([QuestionLog(municipality_id=other.municipality_id, text="procuração", outcome="suggest",
                                     top_entry_id=other.id, language="pt") for _ in range(2)])
        session.commit()
    page = client.get("/admin/faq?missing=en").get_data(as_text=True)
    rows = re.findall(r'<tr><td>[^<]*</td><td><a href="/admin/faq/(\d+)">', page)
    with app.extensions["machimado"].sessions() as session:
        dog = session.scalar(select(FaqEntry.id).where(FaqEntry.key == "gomi-inu"))
        translated = set(session.scalars(select(FaqEntry.id).where(FaqEntry.translations.is_not(None))))
        asked = session.scalars(select(QuestionLog.language)).all()
    assert asked == ["pt", "pt", "pt", "pt"]
    assert len(rows) == 151 - 40 and not translated & {int(r) for r in rows}
    assert int(rows[0]) == dog  # the one a Portuguese speaker asked about comes first

    edit = client.get(f"/admin/faq/{dog}").get_data(as_text=True)
    assert "ポルトガル語" in edit and 'name="tr_pt_answer"' in edit
    form = {"csrf_token": csrf(edit), "category": "くらし・住まい・環境", "question": "犬を飼ったときの登録",
            "answer": "犬を飼ったら、30日以内に登録してください。", "active": "1",
            "tr_pt_question": "Registro de cachorro", "tr_pt_answer": "Registre o cachorro em até 30 dias."}
    assert client.post(f"/admin/faq/{dog}", data=form).status_code == 302
    with app.extensions["machimado"].sessions() as session:
        entry = session.get(FaqEntry, dog)
        assert entry is not None and entry.translations == {"pt": {"question": "Registro de cachorro",
                                                                   "answer": "Registre o cachorro em até 30 dias."}}
    page = client.get("/admin/faq").get_data(as_text=True)
    assert "ポルトガル語</td><td>1 / 151件" in page

    inbox = client.get("/admin/inbox").get_data(as_text=True)
    assert "Qual time de futebol é o melhor?" in inbox and '<span class="badge language">ポルトガル語</span>' in inbox
