"""Notices and their delivery batches: saved first, sent later by a worker.

A notice is planned into batches (one broadcast, or multicasts of <= 500 recipients) in a single
transaction; each batch carries its own ``X-Line-Retry-Key`` so a resend after a crash, timeout or
5xx can never deliver twice (LINE answers 409 for a key it has already accepted).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, municipality_column
from core.timeutil import utcnow


class Notice(Base):
    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_muni_status", "municipality_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column()
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(40), default="行政")
    # notice: written by staff; gomi_reminder: a garbage reminder planned by gomi.reminders (listed apart)
    kind: Mapped[str] = mapped_column(String(20), default="notice", server_default="notice")
    severity: Mapped[str] = mapped_column(String(16), default="normal")  # emergency | normal
    target: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {"topics": [...], "districts": [...]}
    links: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    location: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # the exact LINE messages
    # From a template with translations: {language: {"title", "body", "messages"}} sent to residents who chose
    # that language (the Japanese ``messages`` to everyone else).
    translations: Mapped[dict[str, dict[str, Any]] | None] = mapped_column(JSON, default=None)
    # draft | scheduled | sending | sent | partially_failed | failed | cancelled
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    scheduled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    planned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    recipients_total: Mapped[int] = mapped_column(Integer, default=0)
    recipients_sent: Mapped[int] = mapped_column(Integer, default=0)
    recipients_failed: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def emergency(self) -> bool:
        return self.severity == "emergency"


class NoticeBatch(Base):
    __tablename__ = "notice_batches"
    __table_args__ = (UniqueConstraint("notice_id", "seq"),
                      Index("ix_notice_batches_status_next", "status", "next_attempt_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # broadcast | multicast
    language: Mapped[str | None] = mapped_column(String(16), default=None)  # the notice's translation; None: Japanese
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    retry_key: Mapped[str] = mapped_column(String(36), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    claimed_by: Mapped[str] = mapped_column(String(80), default="")
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    request_id: Mapped[str] = mapped_column(String(64), default="")


class MunicipalityState(Base):
    """Operational switches per municipality (disaster mode, deployed rich menus)."""

    __tablename__ = "municipality_state"

    municipality_id: Mapped[int] = municipality_column(primary_key=True)
    disaster_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    disaster_type: Mapped[str] = mapped_column(String(40), default="")
    rich_menus: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # name -> LINE richMenuId
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
