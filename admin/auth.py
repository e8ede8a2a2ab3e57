"""Staff authentication: scrypt hashes, login throttling, session, CSRF, roles, tenant of the request."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import abort, g, redirect, request, session, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from admin.models import ROLES, StaffUser
from admin.runtime import runtime
from core.models import AuditLog, Municipality
from core.timeutil import as_utc, utcnow

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
MIN_PASSWORD = 10
# What each permission needs; superusers have all of them.
PERMISSIONS = {
    "view": {"viewer", "editor", "broadcaster", "admin"},
    "faq": {"editor", "admin"},
    "notices": {"broadcaster", "admin"},
    "consult": {"editor", "admin"},  # 相談: residents' own words, answered in the city's name
    "shelters": {"editor", "broadcaster", "admin"},
    "directory": {"admin"},
    "admin": {"admin"},
    "superuser": set(),
}


class AuthError(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"パスワードは{MIN_PASSWORD}文字以上にしてください。")
    return generate_password_hash(password, method="scrypt")


def create_user(session: Session, username: str, password: str, role: str, municipality_id: int | None,
                display_name: str = "") -> StaffUser:
    if role not in ROLES:
        raise AuthError(f"role must be one of {', '.join(ROLES)}")
    if (role == "superuser") != (municipality_id is None):
        raise AuthError("superusers have no municipality; every other role needs one")
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise AuthError(f"user {username!r} already exists")
    user = StaffUser(username=username, password_hash=hash_password(password), role=role,
                     municipality_id=municipality_id, display_name=display_name or username)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> StaffUser:
    """Check a login; five failures lock the account for 15 minutes (no hint which part was wrong)."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    now = utcnow()
    if user is None:
        check_password_hash(generate_password_hash("x", method="scrypt"), password)  # same cost either way
        raise AuthError("ユーザー名またはパスワードが違います。")
    locked = user.locked_until and as_utc(user.locked_until) > now
    if locked:
        raise AuthError("ログインの失敗が続いたため、しばらくロックしています。15分ほどしてから再度お試しください。")
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until, user.failed_logins = now + LOCK_FOR, 0
        raise AuthError("ユーザー名またはパスワードが違います。")
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    return user


def db() -> Session:
    """The request's session (one per request, committed by the view on success)."""
    if "db" not in g:
        g.db = runtime().sessions()
    return g.db


def current_user() -> StaffUser | None:
    if "staff" not in g:
        user_id = session.get("staff_id")
        g.staff = db().get(StaffUser, user_id) if user_id else None
        if g.staff is not None and session.get("auth_version") != g.staff.password_hash[-16:]:
            g.staff = None  # password changed elsewhere: old sessions end
    return g.staff


def signed_in() -> StaffUser:
    """The staff member of a view behind :func:`requires`, which has already turned everyone else away."""
    user = current_user()
    assert user is not None, "signed_in() outside a view protected by requires()"
    return user


def allowed(user: StaffUser | None, permission: str) -> bool:
    return user is not None and (user.role == "superuser" or user.role in PERMISSIONS[permission])


def current_municipality_id() -> int:
    """The municipality this request works on: the user's own, or the one a superuser picked."""
    user = current_user()
    assert user is not None
    if user.municipality_id is not None:
        return user.municipality_id
    chosen = session.get("municipality_id")
    if chosen and db().get(Municipality, chosen):
        return int(chosen)
    first = db().scalar(select(Municipality.id).order_by(Municipality.id))
    if first is None:
        abort(404)
    return int(first)


def current_municipality_slug() -> str:
    municipality = db().get(Municipality, current_municipality_id())
    assert municipality is not None  # current_municipality_id() only returns existing municipalities
    return municipality.slug


def requires(permission: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
            if not allowed(user, permission):
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorator


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token", "")
    if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
        abort(400, description="CSRF token missing or invalid")


def safe_next(target: str | None) -> str:
    """Only same-site paths under /admin/ (no scheme, host or protocol-relative //evil)."""
    if not target:
        return url_for("admin.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/admin/") or target.startswith("//") \
            or "\\" in target:
        return url_for("admin.dashboard")
    return target


def audit(action: str, object_type: str = "", object_id: object = "", before: dict | None = None,
          after: dict | None = None, municipality_id: int | None = None) -> None:
    user = current_user()
    db().add(AuditLog(municipality_id=municipality_id if municipality_id is not None else
                      (current_municipality_id() if user else None), user_id=user.id if user else None,
                      username=user.username if user else "", action=action, object_type=object_type,
                      object_id=str(object_id), before=before, after=after))
