"""Tenant and resident records shared by every capability.

Every row below a :class:`Municipality` carries ``municipality_id``; all queries filter on it,
which is what keeps one city's residents and questions out of another city's reach.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, municipality_column
from core.timeutil import utcnow


class Municipality(Base):
    __tablename__ = "municipalities"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Follower(Base):
    """A LINE user who added the account. ``status`` is following / blocked (unfollowed)."""

    __tablename__ = "followers"
    __table_args__ = (UniqueConstraint("municipality_id", "line_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column(index=True)
    line_user_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="following")
    # The language replies are written in (core.i18n): from the LINE profile on follow, or chosen in the chat
    # (``language_source`` profile / chosen; a chosen one is never overwritten by the profile).
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    language_source: Mapped[str | None] = mapped_column(String(10), default=None)
    menu: Mapped[str | None] = mapped_column(String(10), default=None)  # "large": the large-button rich menu
    # Notice preferences chosen in chat (配信設定); 防災 emergencies ignore them.
    topics: Mapped[list[str] | None] = mapped_column(JSON, default=None)  # None = every topic
    district: Mapped[str | None] = mapped_column(String(40), default=None)
    # What the resident asked to find before sharing a location (e.g. "aed"); expires after a while.
    pending_lookup: Mapped[str | None] = mapped_column(String(20), default=None)
    pending_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # When the bot last asked 「解決しましたか？」 (asked at most once per conversation, never after every answer).
    feedback_asked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # The newest emergency notice shown in full in this resident's chat: after that, a one-line pointer.
    emergency_seen_id: Mapped[int | None] = mapped_column(Integer, default=None)
    followed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    unfollowed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class ProcessedEvent(Base):
    """Webhook events already acted on, so a redelivery is handled at most once."""

    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("municipality_id", "dedupe_key"),
                      Index("ix_processed_events_received_at", "received_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column()
    dedupe_key: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class InboundEvent(Base):
    """A webhook event accepted and waiting to be handled (#25: the webhook only stores, workers handle).

    ``status``: queued → processing (claimed by ``worker`` until ``lease_until``: a worker that died leaves it to be
    taken again) → done, or failed after repeated errors (kept for staff). ``user_key`` (the resident, group or
    room) keeps one resident's events in order; ``priority`` puts shelter and location events first in a
    disaster. ``body`` is the raw event (it holds the resident's message: emptied once handled). ``reply_mode``
    records how the answer left: reply, push (the reply token was too old) or none."""

    __tablename__ = "inbound_events"
    __table_args__ = (UniqueConstraint("municipality_id", "dedupe_key"),
                      Index("ix_inbound_events_queue", "status", "priority", "id"),
                      Index("ix_inbound_events_user", "municipality_id", "user_key", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column()
    dedupe_key: Mapped[str] = mapped_column(String(64))
    user_key: Mapped[str] = mapped_column(String(80), default="")
    event_type: Mapped[str] = mapped_column(String(40), default="")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    body: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str] = mapped_column(String(60), default="")
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    outcome: Mapped[str] = mapped_column(String(40), default="")
    reply_mode: Mapped[str] = mapped_column(String(8), default="")
    # The answer, saved with the batch's commit and kept until LINE has it (``reply_state`` pending → sent): a process
    # that dies between its commit and the send leaves it to be sent by another (bot.inbound.Processor.resend).
    reply_state: Mapped[str] = mapped_column(String(8), default="")
    reply: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class AuditLog(Base):
    """Who changed or sent what, when, with before/after: staff in the console, or the system itself
    (``user_id`` empty, e.g. phrasings residents taught the bot). Staff accounts are admin.models.StaffUser."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_muni_created", "municipality_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int | None] = municipality_column()
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(80), default="")
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(80), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
