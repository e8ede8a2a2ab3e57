"""Staff accounts, their server-side sessions and the login throttle (the audit log of what they and the
system did is core.models.AuditLog)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, municipality_column
from core.timeutil import utcnow

ROLES = ("viewer", "editor", "broadcaster", "admin", "superuser")


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL only for superusers, who manage every municipality.
    municipality_id: Mapped[int | None] = municipality_column(index=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(80), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="viewer")
    # A disabled account cannot sign in and its sessions end at once.
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class StaffSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored. Logging out revokes
    this row, a password change revokes the user's others, disabling the account revokes all: a cookie
    replayed afterwards signs nobody in."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class LoginThrottle(Base):
    """Failed sign-ins per key (``user:<name>`` — known or not — and ``ip:<address>``) in the current window,
    and until when the key is locked. Counted with single atomic UPDATEs, so parallel guesses cannot
    outrun the limit (admin/throttle.py)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
