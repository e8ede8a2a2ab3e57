"""Learning from residents: a もしかして choice is remembered, the inbox offers what residents confirmed for
one-click attaching, and the next resident is answered outright."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

from sqlalchemy import select

from core.models import AuditLog
from faq.models import FaqEntry, QuestionLog
from tests.admin.test_console import csrf, last_reply, login, make_staff
from tests.helpers import body_of, event_of, post_webhook, text_event, user

QUESTION = "赤ちゃんの予防注射はいつ"


def choose(app, fake_line, resident: str, key: str) -> None:
    """Ask QUESTION as ``resident`` and tap the もしかして choice for the entry ``key``."""
    bot = app.test_client()
    post_webhook(bot, body_of(text_event(QUESTION, resident)))
    reply = [c for c in fake_line.calls_to("reply") if c["status"] == 200][-1]["body"]["messages"]
    items = [i["action"] for m in reply for i in (m.get("quickReply") or {}).get("items", [])]
    with app.extensions["machimado"].sessions() as session:
        entry_id = session.scalars(select(FaqEntry.id).where(FaqEntry.key == key)).one()
    data = next(a["data"] for a in items if a.get("type") == "postback" and
                parse_qs(a["data"]).get("entry") == [str(entry_id)])
    post_webhook(bot, body_of(event_of("postback", resident, postback={"data": data})))


def test_residents_choices_are_offered_in_the_inbox_for_one_click_attaching(app, client, fake_line) -> None:
    for i in range(2):  # below the demo city's auto_attach_after (3): staff decide
        choose(app, fake_line, user(100 + i), "kosodate-yobosesshu")
    with app.extensions["machimado"].sessions() as session:
        chosen = session.scalars(select(QuestionLog.chosen_entry_id).where(QuestionLog.text == QUESTION)).all()
    assert len(chosen) == 2 and len(set(chosen)) == 1 and chosen[0] is not None
    login(client, make_staff(app)["editor"])
    page = client.get("/admin/inbox").text
    assert "住民が選んだ回答" in page and "子どもの予防接種" in page
    assert re.search(rf'<input type="checkbox" name="phrasing" value="{QUESTION}" checked> {QUESTION} '
                     r'<span class="badge">2人が選択</span>', page)  # pre-selected
    form = page[page.index('action="/admin/inbox/confirmed"'):]
    ids = re.search(r'name="ids" value="([^"]+)"', form).group(1)
    entry_id = re.search(r'name="entry_id" value="(\d+)"', form).group(1)
    client.post("/admin/inbox/confirmed", data={"csrf_token": csrf(client, "/admin/inbox"), "ids": ids,
                                                "entry_id": entry_id, "phrasing": QUESTION})
    assert "住民が選んだ回答" not in client.get("/admin/inbox").text  # handled
    post_webhook(app.test_client(), body_of(text_event(QUESTION, user(200))))
    assert "予防接種" in last_reply(fake_line) and "もしかして" not in last_reply(fake_line)


def test_three_residents_choices_attach_themselves_and_answer_the_fourth(app, client, fake_line) -> None:
    for i in range(3):
        choose(app, fake_line, user(100 + i), "kosodate-yobosesshu")
    with app.extensions["machimado"].sessions() as session:
        entry = session.scalars(select(FaqEntry).where(FaqEntry.key == "kosodate-yobosesshu")).one()
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "faq_phrasing_learned")).one()
    assert QUESTION in entry.alt_questions and entry.revision == 2
    assert audit.username == "住民の選択（自動）" and audit.after["residents"] == 3 and audit.user_id is None
    post_webhook(app.test_client(), body_of(text_event(QUESTION, user(200))))
    assert "予防接種" in last_reply(fake_line) and "もしかして" not in last_reply(fake_line)
    login(client, make_staff(app)["editor"])  # reversible: the entry's history reverts it
    client.post(f"/admin/faq/{entry.id}/revert/1", data={"csrf_token": csrf(client, f"/admin/faq/{entry.id}")})
    with app.extensions["machimado"].sessions() as session:
        assert QUESTION not in (session.get(FaqEntry, entry.id).alt_questions or [])


def test_one_resident_choosing_three_times_teaches_nothing(app, fake_line) -> None:
    for _ in range(3):
        choose(app, fake_line, user(100), "kosodate-yobosesshu")
    with app.extensions["machimado"].sessions() as session:
        entry = session.scalars(select(FaqEntry).where(FaqEntry.key == "kosodate-yobosesshu")).one()
    assert QUESTION not in (entry.alt_questions or [])


def test_a_choice_made_for_someone_elses_question_is_not_a_confirmation(app, fake_line) -> None:
    choose(app, fake_line, user(300), "kosodate-yobosesshu")
    with app.extensions["machimado"].sessions() as session:
        log = session.scalars(select(QuestionLog).where(QuestionLog.text == QUESTION)).one()
        log.chosen_entry_id = None
        session.commit()
        entry_id = session.scalars(select(FaqEntry.id).where(FaqEntry.key == "kosodate-yobosesshu")).one()
    data = f"action=answer&entry={entry_id}&q={log.id}"
    post_webhook(app.test_client(), body_of(event_of("postback", user(301), postback={"data": data})))
    with app.extensions["machimado"].sessions() as session:
        assert session.get(QuestionLog, log.id).chosen_entry_id is None


def test_attach_from_the_inbox_starts_at_the_bots_own_candidates(app, client) -> None:
    post_webhook(app.test_client(), body_of(text_event("ゴミ袋はどこで売っていますか")))
    login(client, make_staff(app)["editor"])
    page = client.get("/admin/inbox").text
    select_html = page[page.index('name="entry_id"'):page.index("</select>")]
    first = re.search(r'<optgroup label="ボットが候補にしたFAQ"><option value="\d+" selected>([^<]+)</option>',
                      select_html)
    assert first and "土のう" in first.group(1)  # the bot's best candidate, not the alphabetically first entry
