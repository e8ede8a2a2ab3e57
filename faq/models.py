"""Knowledge-base and question-log records (no Flask code: the CLI and tests use them directly)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, municipality_column
from core.timeutil import utcnow


class FaqEntry(Base):
    """One question/answer. ``key`` is the pack's stable id: re-imports update by it."""

    __tablename__ = "faq_entries"
    __table_args__ = (UniqueConstraint("municipality_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column(index=True)
    key: Mapped[str] = mapped_column(String(80))
    question: Mapped[str] = mapped_column(Text)
    alt_questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    answer: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(80), default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    links: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    department: Mapped[str] = mapped_column(String(120), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    # {language: {"question": ..., "answer": ...}} — e.g. en, ja-easy (core.i18n.LANGUAGES); None: Japanese only.
    translations: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSON, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    def snapshot(self) -> dict[str, Any]:
        """The editable content, as stored in revisions and written by exports."""
        return {
            "id": self.key, "question": self.question, "alt_questions": list(self.alt_questions or []),
            "answer": self.answer, "category": self.category, "keywords": list(self.keywords or []),
            "links": [dict(link) for link in self.links or []], "department": self.department,
            "contact": self.contact, "active": self.active,
            **({"translations": {k: dict(v) for k, v in self.translations.items()}} if self.translations else {}),
        }


class FaqRevision(Base):
    """Every saved version of an entry, for history, diff and revert."""

    __tablename__ = "faq_revisions"
    __table_args__ = (UniqueConstraint("entry_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("faq_entries.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def reached_entry(chosen_entry_id: int | None, top_entry_id: int | None, outcome: str) -> int | None:
    """The FAQ entry a question reached: the もしかして choice the resident tapped, else the entry it was answered
    with outright (a suggestion nobody tapped reached nothing)."""
    return chosen_entry_id or (top_entry_id if outcome == "answer" else None)


class QuestionLog(Base):
    """A resident's question and what the bot did with it (the staff console's raw material)."""

    __tablename__ = "question_logs"
    __table_args__ = (Index("ix_question_logs_muni_created", "municipality_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column()
    follower_id: Mapped[int | None] = mapped_column(ForeignKey("followers.id", ondelete="SET NULL"), default=None)
    channel: Mapped[str] = mapped_column(String(16), default="line")
    line_message_id: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    text: Mapped[str] = mapped_column(Text)
    normalized: Mapped[str] = mapped_column(Text, default="")
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    outcome: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(16), default=None)  # the resident's, when not Japanese
    top_entry_id: Mapped[int | None] = mapped_column(ForeignKey("faq_entries.id", ondelete="SET NULL"),
                                                     default=None)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    # The もしかして choice the resident tapped: they confirmed that this entry answers this question.
    chosen_entry_id: Mapped[int | None] = mapped_column(ForeignKey("faq_entries.id", ondelete="SET NULL"),
                                                        default=None, index=True)
    handled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Feedback(Base):
    """👍/👎 on an answer, tied to the question that produced it."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column(index=True)
    question_log_id: Mapped[int | None] = mapped_column(ForeignKey("question_logs.id", ondelete="SET NULL"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("faq_entries.id", ondelete="SET NULL"))
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SynonymSet(Base):
    """A municipality's own synonym groups, edited by staff (added to the shipped dictionary)."""

    __tablename__ = "synonym_sets"

    municipality_id: Mapped[int] = municipality_column(primary_key=True)
    groups: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class ImportJob(Base):
    """A knowledge-base file staff uploaded, imported in the background (faq/jobs.py) with its progress.

    The file lives here until the job ends (any app instance can run or re-run it: instances share only the
    database); ``done`` of ``total`` texts encoded is what the console's progress bar shows."""

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column(index=True)
    filename: Mapped[str] = mapped_column(String(200))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued / running / done / failed
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
