"""Staff authentication: scrypt hashes, login throttling, session, CSRF, roles, tenant of the request."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import abort, g, redirect, request, session, url_for
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

import admin.throttle as throttle
from admin.models import ROLES, StaffSession, StaffUser
from admin.runtime import runtime
from core.models import AuditLog, Municipality
from core.timeutil import as_utc, utcnow

SESSION_LIFETIME = timedelta(hours=8)
MIN_PASSWORD = 10
# One message for every failed sign-in — wrong password, unknown name, locked, disabled — so the answer does
# not tell which names exist.
SIGN_IN_FAILED = ("ログインできませんでした。ユーザー名とパスワードを確かめてください。"
                  "失敗が続くと、15分ほどログインできなくなります。")
ADDRESS_LOCKED = ("この接続元からのログインの失敗が続いたため、15分ほどログインを止めています。"
                  "同じネットワークの職員の方も、しばらく待ってからお試しください。"
                  "パスワードを忘れた場合は、管理者に再設定を頼んでください。")
# What each permission needs; superusers have all of them.
PERMISSIONS = {
    "view": {"viewer", "editor", "broadcaster", "admin"},
    "faq": {"editor", "admin"},
    "notices": {"broadcaster", "admin"},
    "consult": {"editor", "admin"},
    "reports": {"editor", "admin"},  # 通報: status changes are pushed to the resident in the city's name  # 相談: residents' own words, answered in the city's name
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


_dummy_hash: str | None = None


def dummy_hash() -> str:
    """A hash to check passwords against when there is no account to check (unknown, disabled, locked): every
    failed sign-in costs one scrypt check, so timing does not tell them apart either."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = generate_password_hash(secrets.token_hex(16), method="scrypt")
    return _dummy_hash


def authenticate(session: Session, username: str, password: str, address: str | None) -> StaffUser:
    """Check a sign-in (admin/throttle.py limits tries per name and per address). Commits the session once the
    try is counted, before the slow password check, so parallel requests see it."""
    now = utcnow()
    name = username.strip()[:80]
    keys = [f"user:{name.lower()}", f"ip:{address or 'unknown'}"[:120]]
    counts: dict[str, int] = {}
    for key in keys:
        count = throttle.reserve(session, key, now)
        if count is None:
            break
        counts[key] = count
    session.commit()
    allowed = len(counts) == len(keys)
    user = session.scalar(select(StaffUser).where(StaffUser.username == name)) if allowed else None
    usable = user is not None and user.disabled_at is None
    correct = check_password_hash(user.password_hash if user is not None and usable else dummy_hash(), password)
    if allowed and user is not None and usable and correct:
        throttle.clear(session, keys[0])
        throttle.give_back(session, keys[1])
        user.last_login_at = now
        return user
    for key, count in counts.items():
        if count >= throttle.limit_of(key):
            throttle.lock(session, key, now)
    if keys[0] in counts and keys[1] not in counts:  # the name may try, the address may not: say so
        raise AuthError(ADDRESS_LOCKED)
    raise AuthError(SIGN_IN_FAILED)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db_session: Session, user: StaffUser) -> None:
    """A new server-side session for ``user``; the browser's cookie gets its random token."""
    token = secrets.token_urlsafe(32)
    db_session.add(StaffSession(token_hash=_token_hash(token), user_id=user.id, expires_at=utcnow() + SESSION_LIFETIME))
    session.clear()
    session["sid"] = token
    session.permanent = True


def end_session(db_session: Session) -> None:
    """Log out: the server-side session is revoked, so the cookie is worth nothing even if replayed."""
    token = session.get("sid")
    if isinstance(token, str):
        db_session.execute(update(StaffSession).where(StaffSession.token_hash == _token_hash(token),
                                                      StaffSession.revoked_at.is_(None)).values(revoked_at=utcnow()))
    session.clear()


def revoke_sessions(db_session: Session, user_id: int, keep_current: bool = False) -> None:
    """End the user's sessions (all, or all but this browser's): password change, disabled account. Without
    ``keep_current`` it needs no request (the CLI uses it too)."""
    keep = _token_hash(session["sid"]) if keep_current and isinstance(session.get("sid"), str) else ""
    db_session.execute(update(StaffSession).where(StaffSession.user_id == user_id, StaffSession.revoked_at.is_(None),
                                                  StaffSession.token_hash != keep).values(revoked_at=utcnow()))


def db() -> Session:
    """The request's session (one per request, committed by the view on success)."""
    if "db" not in g:
        g.db = runtime().sessions()
    return g.db


def current_user() -> StaffUser | None:
    """The staff member of this browser's live server-side session (not revoked, not expired, account enabled)."""
    if "staff" not in g:
        g.staff = None
        token = session.get("sid")
        if isinstance(token, str):
            row = db().scalar(select(StaffSession).where(StaffSession.token_hash == _token_hash(token),
                                                         StaffSession.revoked_at.is_(None)))
            if row is not None and as_utc(row.expires_at) > utcnow():
                user = db().get(StaffUser, row.user_id)
                g.staff = user if user is not None and user.disabled_at is None else None
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
