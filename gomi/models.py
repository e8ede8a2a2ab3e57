"""A municipality's garbage calendar (from its 5374 data), residents' areas and reminders.

The calendar rows (areas, types, rules, pauses, items, remarks) are replaced as a whole by each import
(gomi.importer); what residents chose (:class:`GomiResident`) names the area by its label, so it survives a
re-import that keeps the label, and is told to choose again when the label is gone.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
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


class GomiCalendar(Base):
    """Per municipality: how year-end pauses work and when reminders go out."""

    __tablename__ = "gomi_calendars"

    municipality_id: Mapped[int] = municipality_column(primary_key=True)
    pause_mode: Mapped[str] = mapped_column(String(10), default="skip")  # skip | shift
    evening_at: Mapped[str] = mapped_column(String(5), default="19:00")  # the evening before
    morning_at: Mapped[str] = mapped_column(String(5), default="06:30")  # the morning of
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class GomiType(Base):
    __tablename__ = "gomi_types"
    __table_args__ = (Index("ix_gomi_types_muni", "municipality_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column()
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(120))
    sublabel: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    colour: Mapped[str] = mapped_column(String(20), default="")


class GomiArea(Base):
    __tablename__ = "gomi_areas"
    __table_args__ = (Index("ix_gomi_areas_muni", "municipality_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column()
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))  # unique per municipality (duplicates get a suffix)
    raw_name: Mapped[str] = mapped_column(String(200))
    reading: Mapped[str] = mapped_column(String(400), default="")  # hiragana, for residents typing kana
    centre: Mapped[str] = mapped_column(String(200), default="")
    district: Mapped[str] = mapped_column(String(200), default="")
    # {type label: the cell as written}; cells the grammar could not read are listed in ``invalid``
    cells: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    invalid: Mapped[list[str]] = mapped_column(JSON, default=list)


class GomiPause(Base):
    __tablename__ = "gomi_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column(index=True)
    centre: Mapped[str] = mapped_column(String(200))  # compared without white space (gomi.reader.centre_key)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)


class GomiItem(Base):
    """One line of the sorting dictionary (target.csv). The same name may appear under several types."""

    __tablename__ = "gomi_items"
    __table_args__ = (Index("ix_gomi_items_muni", "municipality_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column()
    name: Mapped[str] = mapped_column(String(300))
    reading: Mapped[str] = mapped_column(String(600), default="")
    type_label: Mapped[str] = mapped_column(String(120))
    notice: Mapped[str] = mapped_column(Text, default="")


class GomiRemark(Base):
    __tablename__ = "gomi_remarks"
    __table_args__ = (UniqueConstraint("municipality_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column()
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")


class GomiImport(Base):
    """Import history: who imported what, what it held and every problem cell."""

    __tablename__ = "gomi_imports"
    __table_args__ = (Index("ix_gomi_imports_muni", "municipality_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column()
    source: Mapped[str] = mapped_column(String(300), default="")
    username: Mapped[str] = mapped_column(String(80), default="")
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GomiResident(Base):
    """A resident's area and reminder choices (personal data: in privacy export/erase)."""

    __tablename__ = "gomi_residents"
    __table_args__ = (UniqueConstraint("follower_id"), Index("ix_gomi_residents_muni", "municipality_id", "area"))

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column()
    follower_id: Mapped[int] = mapped_column(ForeignKey("followers.id", ondelete="CASCADE"))
    area: Mapped[str] = mapped_column(String(200))
    reminder_types: Mapped[list[str]] = mapped_column(JSON, default=list)  # type labels; empty = no reminders
    reminder_timing: Mapped[str] = mapped_column(String(10), default="evening")  # evening | morning
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class GomiReminderRun(Base):
    """One reminder round (a municipality, a collection day, evening or morning) planned once: the unique key is
    what keeps two workers, or a restarted one, from planning it twice."""

    __tablename__ = "gomi_reminder_runs"
    __table_args__ = (UniqueConstraint("municipality_id", "day", "timing"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column()
    day: Mapped[date] = mapped_column(Date)
    timing: Mapped[str] = mapped_column(String(10))
    notices: Mapped[list[int]] = mapped_column(JSON, default=list)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
