"""通報: residents' reports of problems in the street (a pothole, a dead streetlight, dumped rubbish), their photos,
the place, and what staff did with them.

Personal data: the photos (faces, number plates, a house), the comment and the link to the resident. The photos are
stored without their EXIF (GPS and device data) and purged with the retention rules (reports/retention.py); the
open-data view (reports/open311.py) shows none of it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, municipality_column
from core.timeutil import utcnow

# A draft is the report a resident is still writing in the chat; the others are what staff see.
STATUSES = ("received", "in_progress", "done", "rejected")
OPEN_STATUSES = ("received", "in_progress")


class ReportCategory(Base):
    """What can be reported in a municipality and which division handles it (editable in the console)."""

    __tablename__ = "report_categories"
    __table_args__ = (UniqueConstraint("municipality_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column(index=True)
    code: Mapped[str] = mapped_column(String(40))  # Open311 service_code
    name: Mapped[str] = mapped_column(String(60))
    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # the name in residents' languages
    division: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)  # what residents type (「穴」「街灯」…)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Report(Base):
    """One report. ``status``: draft (the resident is still writing it) → received → in_progress → done / rejected.

    ``outside`` is set when the place looks outside the municipality (far from every place it knows): staff are
    warned, the report is kept."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_muni_status", "municipality_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column()
    follower_id: Mapped[int | None] = mapped_column(ForeignKey("followers.id", ondelete="SET NULL"), default=None,
                                                    index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("report_categories.id", ondelete="SET NULL"),
                                                    default=None)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    receipt: Mapped[str | None] = mapped_column(String(20), default=None, unique=True)
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    address: Mapped[str] = mapped_column(String(300), default="")  # LINE's address for the pin, or typed
    comment: Mapped[str] = mapped_column(Text, default="")
    comment_public: Mapped[bool] = mapped_column(Boolean, default=False)  # staff chose to publish it (Open311)
    district: Mapped[str] = mapped_column(String(60), default="")
    outside: Mapped[bool] = mapped_column(Boolean, default=False)
    division: Mapped[str] = mapped_column(String(80), default="")  # assigned division (the category's by default)
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReportPhoto(Base):
    """A photo of a report, stored re-encoded without EXIF (``key`` in the photo store; ``thumb_key`` a small copy
    for lists). ``state``: stored, or waiting (LINE was unreachable when it arrived: fetched again later by
    reports.photos.fetch_waiting) with ``line_message_id`` kept until then."""

    __tablename__ = "report_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column(index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(10), default="stored")
    line_message_id: Mapped[str | None] = mapped_column(String(40), default=None)
    key: Mapped[str] = mapped_column(String(200), default="")
    thumb_key: Mapped[str] = mapped_column(String(200), default="")
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReportEvent(Base):
    """The history of a report: submitted, status changes, division assignments and staff notes. A change the
    resident is told about (``push``) is saved with a retry key before it is pushed; ``push`` is none / pending /
    sent / failed / unreachable and a pending or failed one is pushed again under the same key (delivered once)."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column(index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # submitted | status | assign | note
    status: Mapped[str] = mapped_column(String(16), default="")
    note: Mapped[str] = mapped_column(Text, default="")  # staff's internal note
    message: Mapped[str] = mapped_column(Text, default="")  # what the resident is told (status changes)
    author: Mapped[str] = mapped_column(String(120), default="")
    push: Mapped[str] = mapped_column(String(10), default="none")
    retry_key: Mapped[str | None] = mapped_column(String(36), default=None)
    push_error: Mapped[str] = mapped_column(String(300), default="")
    push_attempts: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
