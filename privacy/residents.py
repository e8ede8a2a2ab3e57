"""Export and erase one resident's data (a request under 個人情報保護法: 開示・利用停止／消去).

What is held about a resident of one municipality, found by their LINE user id:
- the follower row (status, language, notice preferences, dates);
- the questions they typed (``question_logs``) and their 👍/👎 on answers (``feedback``);
- their 相談 (``consultations`` and the messages both ways);
- which notices were sent to them (their id in finished notices' recipient lists).
Questions asked in group chats carry no follower and cannot be attributed; webhook dedupe keys are one-way
hashes. The caller owns the transaction and writes the audit entry.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, delete, select
from sqlalchemy.orm import Session

from broadcasts.models import Notice, NoticeBatch
from core.models import Follower
from desk.models import Consultation, ConsultationMessage
from faq.models import FaqEntry, Feedback, QuestionLog
from gomi.models import GomiResident
from reports import retention as report_data
from reports.storage import PhotoStore


def pseudonym(line_user_id: str) -> str:
    """What the audit log keeps of a resident whose data was exported or erased: enough to match a later
    question about the same request, not the id itself."""
    return "sha256:" + hashlib.sha256(line_user_id.encode()).hexdigest()[:16]


def parse_who(text: str) -> tuple[str, int | None]:
    """Staff type a LINE user id (``U…``) or the resident number the console shows (``#123`` / ``住民 #123``)."""
    text = text.strip().replace("＃", "#")
    if "#" in text:
        number = text.rsplit("#", 1)[1].strip()
        return "", int(number) if number.isascii() and number.isdigit() and len(number) <= 9 else -1
    return text, None


def summary(session: Session, municipality_id: int, follower: Follower) -> dict[str, int]:
    """How much is held (what the console shows before export or erase)."""
    data = export(session, municipality_id, follower)
    return {k: len(v) for k, v in data.items() if isinstance(v, list)}


def find(session: Session, municipality_id: int, line_user_id: str = "", follower_id: int | None = None
         ) -> Follower | None:
    """The resident by LINE user id (``U`` + 32 hex) or by the number the console shows (住民 #id)."""
    query = select(Follower).where(Follower.municipality_id == municipality_id)
    if follower_id is not None:
        return session.scalar(query.where(Follower.id == follower_id))
    return session.scalar(query.where(Follower.line_user_id == line_user_id.strip())) if line_user_id.strip() else None


def _at(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _questions(session: Session, municipality_id: int, follower: Follower) -> list[QuestionLog]:
    return list(session.scalars(select(QuestionLog).where(QuestionLog.municipality_id == municipality_id,
                                                          QuestionLog.follower_id == follower.id)
                                .order_by(QuestionLog.id)))


def _consultations(session: Session, municipality_id: int, follower: Follower) -> list[Consultation]:
    return list(session.scalars(select(Consultation).where(Consultation.municipality_id == municipality_id,
                                                           Consultation.follower_id == follower.id)
                                .order_by(Consultation.id)))


def _batches_with(session: Session, municipality_id: int, line_user_id: str) -> list[tuple[NoticeBatch, Notice]]:
    rows = session.execute(select(NoticeBatch, Notice).join(Notice, Notice.id == NoticeBatch.notice_id).where(
        Notice.municipality_id == municipality_id,
        cast(NoticeBatch.recipients, String).like(f"%{line_user_id}%"))).all()
    return [(batch, notice) for batch, notice in rows if line_user_id in (batch.recipients or [])]


def export(session: Session, municipality_id: int, follower: Follower, photos: PhotoStore | None = None
           ) -> dict[str, Any]:
    """Everything held about the resident, as JSON-ready data."""
    questions = _questions(session, municipality_id, follower)
    entries = {e.id: e.question for e in session.scalars(select(FaqEntry).where(FaqEntry.id.in_(
        {q.chosen_entry_id or q.top_entry_id for q in questions} - {None})))}
    feedback = session.scalars(select(Feedback).where(Feedback.municipality_id == municipality_id,
                                                      Feedback.question_log_id.in_([q.id for q in questions]))).all()
    consultations = _consultations(session, municipality_id, follower)
    messages = session.scalars(select(ConsultationMessage).where(ConsultationMessage.consultation_id.in_(
        [c.id for c in consultations])).order_by(ConsultationMessage.id)).all()
    notices = {notice.id: notice for _, notice in _batches_with(session, municipality_id, follower.line_user_id)}
    return {
        "resident": {"line_user_id": follower.line_user_id, "status": follower.status, "language": follower.language,
                     "language_source": follower.language_source, "menu": follower.menu,
                     "topics": follower.topics, "district": follower.district,
                     "followed_at": _at(follower.followed_at), "unfollowed_at": _at(follower.unfollowed_at)},
        "questions": [{"at": _at(q.created_at), "text": q.text, "outcome": q.outcome, "language": q.language,
                       "answered_with": entries.get(q.chosen_entry_id or q.top_entry_id or 0)} for q in questions],
        "feedback": [{"at": _at(f.created_at), "helpful": f.helpful} for f in feedback],
        "consultations": [{"number": c.id, "status": c.status, "opened_at": _at(c.created_at),
                           "messages": [{"at": _at(m.created_at), "from": "resident" if m.sender == "resident"
                                         else "staff", "text": m.text} for m in messages if m.consultation_id == c.id]}
                          for c in consultations],
        "notices_received": [{"title": n.title, "sent_at": _at(n.scheduled_at)} for n in notices.values()],
        "gomi": [{"area": g.area, "reminder_types": g.reminder_types, "reminder_timing": g.reminder_timing,
                  "updated_at": _at(g.updated_at)} for g in _gomi(session, municipality_id, follower)],
        "reports": report_data.export(session, photos, municipality_id, follower.id),
    }


def _gomi(session: Session, municipality_id: int, follower: Follower) -> list[GomiResident]:
    return list(session.scalars(select(GomiResident).where(GomiResident.municipality_id == municipality_id,
                                                           GomiResident.follower_id == follower.id)))


def erase(session: Session, municipality_id: int, follower: Follower, photos: PhotoStore | None = None
          ) -> dict[str, int]:
    """Delete everything above; returns how many of each kind (for the audit log — no contents)."""
    questions = [q.id for q in _questions(session, municipality_id, follower)]
    consultations = [c.id for c in _consultations(session, municipality_id, follower)]
    counts = {"questions": len(questions), "consultations": len(consultations)}
    counts["feedback"] = len(session.scalars(select(Feedback.id).where(Feedback.question_log_id.in_(questions))).all())
    session.execute(delete(Feedback).where(Feedback.question_log_id.in_(questions)))
    session.execute(delete(QuestionLog).where(QuestionLog.id.in_(questions)))
    session.execute(delete(ConsultationMessage).where(ConsultationMessage.consultation_id.in_(consultations)))
    session.execute(delete(Consultation).where(Consultation.id.in_(consultations)))
    batches = _batches_with(session, municipality_id, follower.line_user_id)
    for batch, _ in batches:
        batch.recipients = [r for r in batch.recipients if r != follower.line_user_id]
    counts["recipient_lists"] = len(batches)
    gomi = _gomi(session, municipality_id, follower)
    counts["gomi"] = len(gomi)
    session.execute(delete(GomiResident).where(GomiResident.id.in_([g.id for g in gomi])))
    counts["reports"] = report_data.erase(session, photos, municipality_id, follower.id)
    session.delete(follower)
    session.flush()
    return counts
