"""What the console shows beside a consultation: the resident's questions to the bot around it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.timeutil import as_utc
from desk.models import Consultation
from faq.models import FaqEntry, QuestionLog, reached_entry

HISTORY_BEFORE = timedelta(hours=24)


@dataclass
class Asked:
    """One question the resident asked the bot, and what the bot did with it."""

    at: datetime
    text: str
    outcome: str
    entry_question: str


def bot_history(session: Session, consultation: Consultation, limit: int = 50) -> list[Asked]:
    """The resident's questions to the bot from a day before the request until now, oldest first: what they
    tried before asking for a person, and what the bot answered."""
    if consultation.follower_id is None:
        return []
    logs = session.scalars(select(QuestionLog).where(
        QuestionLog.municipality_id == consultation.municipality_id,
        QuestionLog.follower_id == consultation.follower_id, QuestionLog.text != "",
        QuestionLog.created_at >= as_utc(consultation.created_at) - HISTORY_BEFORE)
        .order_by(QuestionLog.created_at.desc()).limit(limit)).all()
    asked = []
    for log in reversed(logs):
        entry_id = reached_entry(log.chosen_entry_id, log.top_entry_id, log.outcome)
        entry = session.get(FaqEntry, entry_id) if entry_id else None
        asked.append(Asked(log.created_at, log.text, log.outcome, entry.question if entry else ""))
    return asked
