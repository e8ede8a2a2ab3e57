"""Consultation records: a resident's request to talk to staff and the messages exchanged since.

Personal data: the texts are what residents and staff wrote. They are purged with the questions
(app/retention.py) and never logged.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, municipality_column
from core.timeutil import utcnow


class Consultation(Base):
    """One request. ``status`` is open (waiting for or in conversation with staff) or closed."""

    __tablename__ = "consultations"
    __table_args__ = (Index("ix_consultations_muni_status", "municipality_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column()
    follower_id: Mapped[int | None] = mapped_column(ForeignKey("followers.id", ondelete="SET NULL"), default=None,
                                                    index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    closed_by: Mapped[str] = mapped_column(String(120), default="")


class ConsultationMessage(Base):
    """What the resident wrote (``sender`` resident) or staff answered (``sender`` staff, pushed to LINE with
    ``retry_key`` so a retry after a timeout is delivered once; ``status`` pending / sent / failed)."""

    __tablename__ = "consultation_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    sender: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(120), default="")
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="sent")
    retry_key: Mapped[str | None] = mapped_column(String(36), default=None)
    error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
