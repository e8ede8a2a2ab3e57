"""Places (facilities, shelters, AEDs, childcare, hospitals) and procedures, per municipality."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, municipality_column
from core.timeutil import utcnow

KINDS = ("facilities", "shelters", "aed", "childcare", "hospitals", "events")


class Place(Base):
    """One row of an open-data list. ``key`` is the file's ID or a synthesized stable key."""

    __tablename__ = "places"
    __table_args__ = (UniqueConstraint("municipality_id", "kind", "key"),
                      Index("ix_places_muni_kind", "municipality_id", "kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column()
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    kana: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    phone: Mapped[str] = mapped_column(String(60), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    hours: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int | None] = mapped_column(Integer, default=None)
    # Kind-specific values: disaster flags and designated-shelter flag, childcare type, AED position, …
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Municipality additions (YAML): reservation URL, rooms, fees, hours.
    additions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="closed")  # shelters: open | closed | full
    status_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Procedure(Base):
    """An administrative procedure and how to do it (online / convenience store / counter)."""

    __tablename__ = "procedures"
    __table_args__ = (UniqueConstraint("municipality_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = municipality_column(index=True)
    key: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    category: Mapped[str] = mapped_column(String(40), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    eligibility: Mapped[str] = mapped_column(Text, default="")
    bring: Mapped[list[str]] = mapped_column(JSON, default=list)
    fees: Mapped[str] = mapped_column(String(300), default="")
    deadline: Mapped[str] = mapped_column(String(300), default="")
    department: Mapped[str] = mapped_column(String(120), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    # [{"method": "mynaportal" | "e_apply" | "konbini" | "counter", "url": "…", "note": "…"}]
    channels: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
