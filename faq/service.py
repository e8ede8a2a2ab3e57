"""Answering a question and recording it: the one code path shared by webhook, CLI and eval."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.metrics import ANSWERS
from core.timeutil import utcnow
from faq.models import FaqEntry, Feedback, QuestionLog
from search.matcher import Matcher, MatchResult

MAX_LOGGED_CHARS = 5000  # LINE's own text limit; nothing longer can arrive legitimately


def ask(session: Session, matcher: Matcher, municipality_id: int, text: str, *,
        follower_id: int | None = None, channel: str = "line", record: bool = True
        ) -> tuple[MatchResult, QuestionLog | None]:
    """Match ``text`` and (unless ``record`` is false) log the question with its candidates."""
    result = matcher.match(text)
    if not record:
        return result, None
    return result, record_question(session, municipality_id, text, result, follower_id=follower_id,
                                   channel=channel)


def record_question(session: Session, municipality_id: int, text: str, result: MatchResult, *,
                    follower_id: int | None = None, channel: str = "line") -> QuestionLog:
    """Log a matched question with its candidates (its id is what feedback and suggestions refer to)."""
    log = QuestionLog(
        municipality_id=municipality_id, follower_id=follower_id, channel=channel,
        text=text[:MAX_LOGGED_CHARS], normalized=result.analysis.normalized[:2000],
        candidates=[c.as_dict() for c in result.candidates[:5]], outcome=result.outcome,
        top_entry_id=result.top.entry_id if result.top and result.top.kind == "faq" else None,
        confidence=result.confidence,
    )
    session.add(log)
    session.flush()
    ANSWERS.labels(result.outcome).inc()
    return log


def record_answered_elsewhere(session: Session, municipality_id: int, text: str, topic: str, *,
                              follower_id: int | None = None, language: str | None = None) -> QuestionLog:
    """Log a question another part of the bot answered (``topic``: ごみ for the garbage calendar and dictionary), so
    the dashboard counts every question residents asked and what answered it."""
    log = QuestionLog(municipality_id=municipality_id, follower_id=follower_id, text=text[:MAX_LOGGED_CHARS],
                      normalized=topic, outcome="answer", language=language, confidence=1.0)
    session.add(log)
    session.flush()
    ANSWERS.labels("answer").inc()
    return log


def get_entry(session: Session, municipality_id: int, entry_id: int) -> FaqEntry | None:
    """An active entry of this municipality only — ids from postbacks are untrusted input."""
    return session.scalar(select(FaqEntry).where(FaqEntry.id == entry_id, FaqEntry.active.is_(True),
                                                 FaqEntry.municipality_id == municipality_id))


def get_question(session: Session, municipality_id: int, log_id: int) -> QuestionLog | None:
    return session.scalar(select(QuestionLog).where(QuestionLog.id == log_id,
                                                    QuestionLog.municipality_id == municipality_id))


def record_feedback(session: Session, municipality_id: int, log_id: int | None, entry_id: int | None,
                    helpful: bool, follower_id: int | None = None) -> Feedback:
    """👍/👎 on an answer. It is tied to the question only when the resident answering asked it (a crafted
    postback cannot put 👎 on someone else's question in the inbox); otherwise it counts for the entry alone."""
    log = get_question(session, municipality_id, log_id) if log_id else None
    if log is not None and (follower_id is None or log.follower_id != follower_id):
        log = None
    entry = get_entry(session, municipality_id, entry_id) if entry_id else None
    feedback = Feedback(municipality_id=municipality_id, question_log_id=log.id if log else None,
                        entry_id=entry.id if entry else None, helpful=helpful)
    session.add(feedback)
    session.flush()
    return feedback


def record_choice(session: Session, municipality_id: int, log_id: int | None, entry_id: int,
                  follower_id: int | None) -> QuestionLog | None:
    """A resident tapped one of the もしかして choices offered for their question: remember that this entry
    answered it (a confirmed pair, for the inbox and for learning). Only the resident who asked confirms."""
    log = get_question(session, municipality_id, log_id) if log_id else None
    if log is None or follower_id is None or log.follower_id != follower_id or not log.text:
        return None
    if get_entry(session, municipality_id, entry_id) is None:
        return None
    log.chosen_entry_id = entry_id
    return log


def fallbacks_before(session: Session, municipality_id: int, log: QuestionLog,
                     within: timedelta = timedelta(minutes=15)) -> int:
    """How many of the same resident's questions right before ``log`` (in a row, within ``within``) the bot
    could not answer: the second miss in a row is when the bot offers a person instead of trying again."""
    if log.follower_id is None:
        return 0
    outcomes = session.scalars(select(QuestionLog.outcome).where(
        QuestionLog.municipality_id == municipality_id, QuestionLog.follower_id == log.follower_id,
        QuestionLog.id < log.id, QuestionLog.created_at >= utcnow() - within)
        .order_by(QuestionLog.id.desc()).limit(5)).all()
    count = 0
    for outcome in outcomes:
        if outcome != "fallback":
            break
        count += 1
    return count
