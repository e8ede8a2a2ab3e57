"""Consultations: staff replies are saved, then pushed once (a retry after a LINE fault is not a second
message), and what is waiting for staff is counted."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Follower
from desk import service as desk
from tests.helpers import municipality, user


def resident(session, municipality_id: int, i: int = 1, status: str = "following") -> Follower:
    follower = Follower(municipality_id=municipality_id, line_user_id=user(i), status=status)
    session.add(follower)
    session.flush()
    return follower


def test_reply_is_pushed_and_a_failed_one_is_resent_once(app, fake_line) -> None:
    rt = app.extensions["machimado"]
    client = rt.line_client("sample")
    with rt.sessions() as session:
        mid = municipality(session).id
        follower = resident(session, mid)
        consultation = desk.add_resident_message(session, mid, follower.id, "相談です")
        assert desk.waiting_count(session, mid) == 1

        sent = desk.reply(session, client, consultation, "山田", "お電話します", "総合案内")
        assert sent.status == "sent" and desk.waiting_count(session, mid) == 0
        pushes = fake_line.calls_to("push")
        assert pushes[-1]["body"]["to"] == user(1)
        assert pushes[-1]["body"]["messages"][0]["text"] == "【総合案内からのお返事】\nお電話します"

        fake_line.faults.append(("push", -2))  # LINE delivers, then answers 500: we cannot know it arrived
        failed = desk.reply(session, client, consultation, "山田", "追加の連絡です", "総合案内")
        assert failed.status == "failed" and "500" in failed.error
        assert desk.send(session, client, consultation, failed, "総合案内") is True  # same retry key: 409
        delivered = [d for d in fake_line.deliveries if d["to"] == user(1) and "追加の連絡です" in str(d["messages"])]
        assert len(delivered) == 1 and failed.status == "sent"


def test_no_push_to_a_resident_who_blocked_the_account(app, fake_line) -> None:
    rt = app.extensions["machimado"]
    with rt.sessions() as session:
        mid = municipality(session).id
        follower = resident(session, mid, 2)
        consultation = desk.add_resident_message(session, mid, follower.id, "相談です")
        follower.status = "blocked"
        message = desk.reply(session, rt.line_client("sample"), consultation, "山田", "お返事", "総合案内")
        assert message.status == "failed" and "友だち登録が解除" in message.error
        assert fake_line.calls_to("push") == []


def test_a_consultation_lapses_for_the_resident_after_days_of_silence(app) -> None:
    from datetime import timedelta

    from core.timeutil import utcnow

    rt = app.extensions["machimado"]
    with rt.sessions() as session:
        mid = municipality(session).id
        follower = resident(session, mid, 3)
        consultation = desk.add_resident_message(session, mid, follower.id, "相談です")
        assert desk.active_for(session, mid, follower.id) is consultation
        consultation.updated_at = utcnow() - desk.ACTIVE_FOR - timedelta(minutes=1)
        assert desk.active_for(session, mid, follower.id) is None
        again = desk.add_resident_message(session, mid, follower.id, "また相談です")
        assert again.id != consultation.id
        assert [r.consultation.id for r in desk.listing(session, mid)][0] == again.id
        assert session.scalar(select(Follower.id).where(Follower.id == follower.id)) == follower.id


def test_a_residents_long_message_is_kept_whole(app) -> None:
    """#26 (36): LINE delivers up to 5,000 characters; a 4,800-character 相談 reaches staff whole (was cut at 2,000)."""
    rt = app.extensions["machimado"]
    text = "家の前の側溝があふれて困っています。" * 266  # 4,788 characters
    with rt.sessions() as session:
        mid = municipality(session).id
        consultation = desk.add_resident_message(session, mid, resident(session, mid).id, text)
        assert desk.messages_of(session, consultation)[-1].text == text
