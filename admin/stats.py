"""Numbers for the dashboard (no Flask: the CLI or reports can reuse them)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Follower
from core.timeutil import local, utcnow, zone
from faq.models import FaqEntry, Feedback, QuestionLog, reached_entry


def _days(n: int) -> list[date]:
    today = datetime.now(zone()).date()
    return [today - timedelta(days=i) for i in range(n - 1, -1, -1)]


def _day(value: datetime | None) -> date | None:
    """Calendar day in the deployment's time zone (a question at 08:00 JST belongs to that JST day)."""
    shown = local(value)
    return shown.date() if shown else None


def followers_daily(session: Session, municipality_id: int, days: int = 30) -> list[tuple[str, int, int, int]]:
    """(day, follows, blocks, followers at end of day)."""
    rows = session.execute(select(Follower.followed_at, Follower.unfollowed_at, Follower.status)
                           .where(Follower.municipality_id == municipality_id)).all()
    follows = Counter(_day(f) for f, _, _ in rows)
    blocks = Counter(_day(u) for _, u, s in rows if s == "blocked")
    result = []
    spans = [(_day(f), _day(u) if s == "blocked" else None) for f, u, s in rows]
    for day in _days(days):
        total = sum(1 for followed, blocked in spans
                    if followed is not None and followed <= day and not (blocked is not None and blocked <= day))
        result.append((day.isoformat(), follows.get(day, 0), blocks.get(day, 0), total))
    return result


def questions_daily(session: Session, municipality_id: int, days: int = 30) -> list[tuple[str, int, int, int]]:
    """(day, answered, suggested, fallback)."""
    since = utcnow() - timedelta(days=days)
    rows = session.execute(select(QuestionLog.created_at, QuestionLog.outcome).where(
        QuestionLog.municipality_id == municipality_id, QuestionLog.created_at >= since)).all()
    counts = Counter((_day(c), o) for c, o in rows)
    return [(d.isoformat(), counts.get((d, "answer"), 0), counts.get((d, "suggest"), 0), counts.get((d, "fallback"), 0))
            for d in _days(days)]


def outcome_mix(session: Session, municipality_id: int) -> dict[str, int]:
    rows = session.execute(select(QuestionLog.outcome, func.count(QuestionLog.id))
                           .where(QuestionLog.municipality_id == municipality_id).group_by(QuestionLog.outcome))
    return {o: n for o, n in rows}


def feedback_rate(session: Session, municipality_id: int) -> tuple[int, int]:
    rows = dict(session.execute(select(Feedback.helpful, func.count(Feedback.id))
                                .where(Feedback.municipality_id == municipality_id).group_by(Feedback.helpful)).all())
    return rows.get(True, 0), rows.get(False, 0)


def top_questions(session: Session, municipality_id: int, unanswered: bool = False, limit: int = 10
                  ) -> list[tuple[str, int]]:
    query = select(QuestionLog.text, func.count(QuestionLog.id)).where(QuestionLog.municipality_id == municipality_id,
                                                                      QuestionLog.text != "")
    if unanswered:
        query = query.where(QuestionLog.outcome == "fallback", QuestionLog.handled.is_(False))
    rows = session.execute(query.group_by(QuestionLog.text).order_by(func.count(QuestionLog.id).desc()).limit(limit))
    return [(t, n) for t, n in rows]


def answered_share_daily(questions: list[tuple[str, int, int, int]]) -> list[int | None]:
    """Per day of :func:`questions_daily`, the percentage answered outright (None on days without questions)."""
    return [round(100 * a / (a + s + f)) if a + s + f else None for _, a, s, f in questions]


def top_entries(session: Session, municipality_id: int, days: int = 30, limit: int = 10) -> list[tuple[str, int, int]]:
    """What residents asked about, by the FAQ it reached (answered outright, or chosen among もしかして):
    (entry question, questions, answered outright). Different wordings of one need count together."""
    since = utcnow() - timedelta(days=days)
    rows = session.execute(select(QuestionLog.chosen_entry_id, QuestionLog.top_entry_id, QuestionLog.outcome).where(
        QuestionLog.municipality_id == municipality_id, QuestionLog.created_at >= since)).all()
    asked: Counter[int] = Counter()
    outright: Counter[int] = Counter()
    for chosen, top, outcome in rows:
        entry = reached_entry(chosen, top, outcome)
        if entry:
            asked[entry] += 1
            outright[entry] += outcome == "answer"
    names = dict(session.execute(select(FaqEntry.id, FaqEntry.question).where(
        FaqEntry.municipality_id == municipality_id, FaqEntry.id.in_(list(asked)))).all()) if asked else {}
    return [(names[e], n, outright[e]) for e, n in asked.most_common(limit) if e in names]


def coverage(session: Session, municipality_id: int) -> tuple[int, int]:
    """対応できる質問: (active FAQ entries, their phrasings besides the main question)."""
    entries = session.scalars(select(FaqEntry.alt_questions).where(FaqEntry.municipality_id == municipality_id,
                                                                    FaqEntry.active.is_(True))).all()
    return len(entries), sum(len(a or []) for a in entries)
