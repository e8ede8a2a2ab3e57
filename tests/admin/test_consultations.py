"""相談 in the console: the request and the resident's questions to the bot side by side, a reply pushed to
the resident, a failed reply resent once, roles and tenant isolation, and the retention purge."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.retention import purge
from core.models import AuditLog
from core.timeutil import utcnow
from desk.models import Consultation, ConsultationMessage
from tests.admin.test_console import login, make_staff
from tests.bot.test_consultation import Chat, quick
from tests.helpers import body_of, event_of, post_webhook, text_event, user

REQUEST = "固定資産税の通知が届いていないので、電話で相談したいです"


def leave_request(client, fake_line, resident: str = user(7)) -> Chat:
    chat = Chat(client, fake_line, resident)
    chat.send("宇宙人の住民登録")  # something the bot could not answer first
    chat.tap(quick(chat.send("担当者と話したい"))["相談する（文章で）"])
    chat.send(REQUEST)
    return chat


def form_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_staff_answer_a_consultation_by_push_with_the_bots_history_beside_it(app, client, fake_line) -> None:
    leave_request(client, fake_line)
    staff = app.test_client()
    login(staff, make_staff(app)["editor"])
    listing = staff.get("/admin/consultations").text
    assert "返信待ち" in listing and REQUEST[:20] in listing
    assert re.search(r'相談 <span class="badge fallback">1</span>', listing)  # the menu's badge
    with app.extensions["machimado"].sessions() as session:
        consultation_id = session.scalars(select(Consultation.id)).one()
    page = staff.get(f"/admin/consultations/{consultation_id}").text
    assert REQUEST in page
    history = page[page.index("この住民がボットに聞いたこと"):]
    assert "宇宙人の住民登録" in history and "答えられず" in history

    response = staff.post(f"/admin/consultations/{consultation_id}/reply",
                          data={"csrf_token": form_token(page), "text": "明日の午前中にお電話します。税務課 山田"})
    assert response.status_code == 302
    push = fake_line.calls_to("push")[-1]
    assert push["status"] == 200 and push["body"]["to"] == user(7)
    assert push["body"]["messages"][0]["text"].startswith("【サンプル市役所 総合案内からのお返事】\n明日の午前中に")
    page = staff.get(f"/admin/consultations/{consultation_id}").text
    assert "住民に返信を送りました" in page and "明日の午前中にお電話します" in page
    assert not re.search(r'相談 <span class="badge fallback">', page)  # nothing waiting any more

    staff.post(f"/admin/consultations/{consultation_id}/close", data={"csrf_token": form_token(page)})
    with app.extensions["machimado"].sessions() as session:
        assert session.get(Consultation, consultation_id).status == "closed"
        actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
        assert actions[-2:] == ["consultation_replied", "consultation_closed"]
        assert REQUEST not in str(session.scalars(select(AuditLog.after)).all())  # no bodies in the audit log


def test_a_reply_lost_in_a_line_outage_is_kept_and_resent(app, client, fake_line) -> None:
    leave_request(client, fake_line)
    staff = app.test_client()
    login(staff, make_staff(app)["editor"])
    with app.extensions["machimado"].sessions() as session:
        consultation_id = session.scalars(select(Consultation.id)).one()
    page = staff.get(f"/admin/consultations/{consultation_id}").text
    fake_line.faults.append(("push", 503))
    staff.post(f"/admin/consultations/{consultation_id}/reply", data={"csrf_token": form_token(page), "text": "お返事です"})
    page = staff.get(f"/admin/consultations/{consultation_id}").text
    assert "送れませんでした" in page and "再送" in page
    with app.extensions["machimado"].sessions() as session:
        message = session.scalars(select(ConsultationMessage).where(ConsultationMessage.sender == "staff")).one()
    assert message.status == "failed"
    staff.post(f"/admin/consultations/{consultation_id}/resend/{message.id}", data={"csrf_token": form_token(page)})
    assert "返信を送りました" in staff.get(f"/admin/consultations/{consultation_id}").text
    assert len([d for d in fake_line.deliveries if "お返事です" in str(d["messages"])]) == 1


def test_viewers_cannot_read_consultations_and_other_cities_cannot_see_them(multi_app, fake_line) -> None:
    bot = multi_app.test_client()  # みなと町 offers 相談; its resident leaves a request
    post_webhook(bot, body_of(event_of("postback", user(8), postback={"data": "action=consult"})),
                 "secret-minato", "/callback/minato")
    post_webhook(bot, body_of(text_event(REQUEST, user(8))), "secret-minato", "/callback/minato")
    with multi_app.extensions["machimado"].sessions() as session:
        consultation_id = session.scalars(select(Consultation.id)).one()
    shima, minato = make_staff(multi_app, "shima"), make_staff(multi_app, "minato")
    other = multi_app.test_client()
    login(other, shima["admin"])
    assert other.get(f"/admin/consultations/{consultation_id}").status_code == 404
    assert REQUEST[:20] not in other.get("/admin/consultations").text
    viewer = multi_app.test_client()
    login(viewer, minato["viewer"])
    assert viewer.get("/admin/consultations").status_code == 403
    editor = multi_app.test_client()
    login(editor, minato["editor"])
    assert REQUEST in editor.get(f"/admin/consultations/{consultation_id}").text


def test_consultations_are_purged_with_the_questions(app, client, fake_line) -> None:
    leave_request(client, fake_line)
    with app.extensions["machimado"].sessions() as session:
        assert purge(session, utcnow(), 365)["consultations"] == 0
        session.scalars(select(Consultation)).one().updated_at = utcnow() - timedelta(days=400)
        assert purge(session, utcnow(), 365)["consultations"] == 1
        session.commit()
        assert session.scalars(select(ConsultationMessage)).all() == []
