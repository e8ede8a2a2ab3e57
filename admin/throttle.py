"""Login throttling that parallel requests cannot outrun.

Each attempt first *reserves* a try on two keys — the user name typed (``user:<name>``, whether or not such
an account exists, so probing unknown names is limited the same way) and the client's address
(``ip:<address>``) — with one atomic ``UPDATE … WHERE failures < limit … RETURNING``, committed before the
password is checked. Forty parallel guesses therefore get at most ``limit`` password checks; the try that
reaches the limit and fails locks the key for ``LOCK_FOR``. A successful sign-in clears the name's count and gives
back the address's try: only failures count, so a whole city hall signing in through one LGWAN proxy on a disaster
morning is never locked out by its own successful sign-ins (#26); the address allows many more failures than a
name, since many colleagues share it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, or_, update
from sqlalchemy.orm import Session

from admin.models import LoginThrottle
from core.db import insert_for

WINDOW = timedelta(minutes=15)
LOCK_FOR = timedelta(minutes=15)
LIMITS = {"user": 5, "ip": 100}


def limit_of(key: str) -> int:
    return LIMITS[key.split(":", 1)[0]]


def reserve(session: Session, key: str, now: datetime) -> int | None:
    """Count one attempt on ``key``: the count in the window including this one, or None when the key is
    locked or its window's tries are used up (then the password is not even checked)."""
    insert = insert_for(session)
    session.execute(insert(LoginThrottle).values(key=key, failures=0, window_start=now)
                    .on_conflict_do_nothing(index_elements=["key"]))
    expired = LoginThrottle.window_start < now - WINDOW
    return session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key,
               or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
               or_(LoginThrottle.failures < limit_of(key), expired))
        .values(failures=case((expired, 1), else_=LoginThrottle.failures + 1),
                window_start=case((expired, now), else_=LoginThrottle.window_start))
        .returning(LoginThrottle.failures)
        .execution_options(synchronize_session=False)).scalar_one_or_none()


def lock(session: Session, key: str, now: datetime) -> None:
    session.execute(update(LoginThrottle).where(LoginThrottle.key == key)
                    .values(locked_until=now + LOCK_FOR, failures=0, window_start=now)
                    .execution_options(synchronize_session=False))


def give_back(session: Session, key: str) -> None:
    """Undo one reserved try (a sign-in that succeeded is not a failure)."""
    session.execute(update(LoginThrottle).where(LoginThrottle.key == key, LoginThrottle.failures > 0)
                    .values(failures=LoginThrottle.failures - 1).execution_options(synchronize_session=False))


def clear(session: Session, key: str) -> None:
    session.execute(update(LoginThrottle).where(LoginThrottle.key == key).values(failures=0)
                    .execution_options(synchronize_session=False))
