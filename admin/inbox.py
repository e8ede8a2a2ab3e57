"""The growth loop: group unanswered questions (fallbacks and 👎) by similarity, most frequent first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rapidfuzz import fuzz
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.timeutil import utcnow
from faq.models import Feedback, QuestionLog

SIMILAR = 72  # rapidfuzz token_set_ratio on normalized words


@dataclass
class Group:
    representative: str
    normalized: str
    logs: list[QuestionLog] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.logs)

    @property
    def newest(self) -> datetime:
        return max(log.created_at for log in self.logs)

    @property
    def texts(self) -> list[str]:
        return list(dict.fromkeys(log.text for log in self.logs))

    @property
    def ids(self) -> str:
        return ",".join(str(log.id) for log in self.logs)


def unanswered(session: Session, municipality_id: int, days: int = 90, limit: int = 3000) -> list[QuestionLog]:
    disliked = select(Feedback.question_log_id).where(Feedback.municipality_id == municipality_id,
                                                      Feedback.helpful.is_(False))
    since = utcnow() - timedelta(days=days)
    return list(session.scalars(
        select(QuestionLog).where(QuestionLog.municipality_id == municipality_id, QuestionLog.handled.is_(False),
                                  QuestionLog.text != "", QuestionLog.created_at >= since,
                                  or_(QuestionLog.outcome == "fallback", QuestionLog.id.in_(disliked)))
        .order_by(QuestionLog.created_at.desc()).limit(limit)))


def group_questions(logs: list[QuestionLog]) -> list[Group]:
    groups: list[Group] = []
    for log in logs:
        key = log.normalized or log.text
        for group in groups:
            if fuzz.token_set_ratio(key, group.normalized) >= SIMILAR or \
                    fuzz.ratio(log.text, group.representative) >= 85:
                group.logs.append(log)
                break
        else:
            groups.append(Group(log.text, key, [log]))
    groups.sort(key=lambda g: (-g.count, -g.newest.timestamp()))
    return groups


def logs_by_ids(session: Session, municipality_id: int, ids: str) -> list[QuestionLog]:
    wanted = [int(i) for i in ids.split(",") if i.strip().isdigit()][:500]
    return list(session.scalars(select(QuestionLog).where(QuestionLog.municipality_id == municipality_id,
                                                          QuestionLog.id.in_(wanted))))
