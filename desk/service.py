"""Consultations: open one for a resident, add what they write, answer them by push, close.

The bot opens and feeds consultations (bot/consultation.py); the console lists them, shows the
resident's earlier questions beside them and sends staff replies (admin/views_consultations.py).
Callers own the transaction. A reply is saved before it is pushed, with a LINE retry key: if LINE is
away the reply stays ``failed`` and "再送" pushes it again under the same key (delivered once).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import i18n
from core.models import Follower
from core.timeutil import as_utc, utcnow
from desk.models import Consultation, ConsultationMessage
from line import messages as lm
from line.client import LineClient

# A consultation nobody wrote in for this long is no longer "open" for the resident: their next message
# goes to the bot again (staff can still reply from the console until they close it).
ACTIVE_FOR = timedelta(days=3)
MAX_TEXT = 2000  # a staff reply (the console refuses a longer one; the push adds a heading within LINE's 5,000)
# a resident's message is kept whole: LINE delivers at most 5,000 characters (#26: cut at 2,000 without a word)
MAX_RESIDENT_TEXT = 5000


def active_for(session: Session, municipality_id: int, follower_id: int) -> Consultation | None:
    """The resident's open consultation they are still in (written to within ``ACTIVE_FOR``)."""
    consultation = session.scalar(select(Consultation).where(
        Consultation.municipality_id == municipality_id, Consultation.follower_id == follower_id,
        Consultation.status == "open").order_by(Consultation.id.desc()).limit(1))
    if consultation is None or utcnow() - as_utc(consultation.updated_at) > ACTIVE_FOR:
        return None
    return consultation


def add_resident_message(session: Session, municipality_id: int, follower_id: int, text: str) -> Consultation:
    """What the resident wrote, added to their open consultation or opening a new one."""
    consultation = active_for(session, municipality_id, follower_id)
    if consultation is None:
        consultation = Consultation(municipality_id=municipality_id, follower_id=follower_id)
        session.add(consultation)
        session.flush()
    consultation.updated_at = utcnow()
    session.add(ConsultationMessage(consultation_id=consultation.id, sender="resident", text=text[:MAX_RESIDENT_TEXT]))
    session.flush()
    return consultation


def close(consultation: Consultation, by: str) -> None:
    consultation.status, consultation.closed_at, consultation.closed_by = "closed", utcnow(), by[:120]


def messages_of(session: Session, consultation: Consultation) -> list[ConsultationMessage]:
    return list(session.scalars(select(ConsultationMessage).where(
        ConsultationMessage.consultation_id == consultation.id).order_by(ConsultationMessage.id)))


def get(session: Session, municipality_id: int, consultation_id: int) -> Consultation | None:
    return session.scalar(select(Consultation).where(Consultation.id == consultation_id,
                                                     Consultation.municipality_id == municipality_id))


@dataclass
class Row:
    consultation: Consultation
    first_text: str
    messages: int
    waiting: bool  # the last word is the resident's: staff owe an answer


def listing(session: Session, municipality_id: int, limit: int = 200) -> list[Row]:
    """Open consultations first (those waiting for staff first), then the latest closed ones."""
    consultations = session.scalars(select(Consultation).where(Consultation.municipality_id == municipality_id)
                                    .order_by(Consultation.updated_at.desc()).limit(limit)).all()
    by_consultation: dict[int, list[ConsultationMessage]] = {c.id: [] for c in consultations}
    for message in session.scalars(select(ConsultationMessage).where(
            ConsultationMessage.consultation_id.in_(list(by_consultation))).order_by(ConsultationMessage.id)):
        by_consultation[message.consultation_id].append(message)
    rows = []
    for c in consultations:
        msgs = by_consultation[c.id]
        rows.append(Row(c, msgs[0].text if msgs else "", len(msgs),
                        c.status == "open" and bool(msgs) and msgs[-1].sender == "resident"))
    rows.sort(key=lambda r: (r.consultation.status != "open", not r.waiting))
    return rows


def waiting_count(session: Session, municipality_id: int) -> int:
    """Open consultations whose last message is the resident's (the console's badge)."""
    last = select(ConsultationMessage.consultation_id, func.max(ConsultationMessage.id).label("last_id")) \
        .group_by(ConsultationMessage.consultation_id).subquery()
    return int(session.scalar(
        select(func.count()).select_from(Consultation)
        .join(last, last.c.consultation_id == Consultation.id)
        .join(ConsultationMessage, ConsultationMessage.id == last.c.last_id)
        .where(Consultation.municipality_id == municipality_id, Consultation.status == "open",
               ConsultationMessage.sender == "resident")) or 0)


# The line above a staff reply, in the resident's language (staff write the reply itself; the console shows them
# the resident's language so they can write plainly, in やさしい日本語 or in English).
REPLY_HEADS = {"ja": "【{desk}からのお返事】", "ja-easy": "【{desk}からの 返事】", "en": "[Reply from {desk}]",
               "zh-Hans": "【{desk}的回复】", "zh-Hant": "【{desk}的回覆】", "ko": "【{desk}의 답변】",
               "vi": "[Trả lời từ {desk}]", "pt": "[Resposta de {desk}]", "tl": "[Sagot mula sa {desk}]",
               "ne": "[{desk} बाट जवाफ]", "id": "[Balasan dari {desk}]"}


def reply_messages(desk: str, text: str, language: str | None = None) -> list[dict]:
    head = REPLY_HEADS[i18n.best(language, REPLY_HEADS) or i18n.JA]
    return [lm.text(head.format(desk=desk) + f"\n{text}")]


def send(session: Session, client: LineClient, consultation: Consultation, message: ConsultationMessage,
         desk: str) -> bool:
    """Push a saved staff message to the resident (again, under the same retry key, when it failed)."""
    follower = session.get(Follower, consultation.follower_id) if consultation.follower_id else None
    if follower is None or follower.status != "following":
        message.status, message.error = "failed", "友だち登録が解除されているため、送れません。"
        return False
    result = client.push(follower.line_user_id, reply_messages(desk, message.text, follower.language),
                         retry_key=message.retry_key)
    if result.delivered:
        message.status, message.error = "sent", ""
        return True
    message.status = "failed"
    message.error = (f"LINEへの送信に失敗しました（{result.status or '接続できません'}）。"
                     f"{result.error}")[:300]
    return False


def reply(session: Session, client: LineClient, consultation: Consultation, author: str, text: str,
          desk: str) -> ConsultationMessage:
    """Save a staff reply, then push it. The caller commits either way: a failed reply stays to be resent."""
    message = ConsultationMessage(consultation_id=consultation.id, sender="staff", author=author[:120],
                                  text=text[:MAX_TEXT], status="pending", retry_key=str(uuid.uuid4()))
    session.add(message)
    consultation.updated_at = utcnow()
    session.flush()
    send(session, client, consultation, message, desk)
    return message
