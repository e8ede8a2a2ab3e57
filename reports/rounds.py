"""One worker round over the municipalities that have something waiting (report pushes, photos LINE could not give
at once): one query to find them, then each in its own transaction, so one town's failure never stops another's."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.models import Municipality

log = logging.getLogger(__name__)


def each_waiting_town(sessions: sessionmaker[Session], waiting: Any, work: Callable[[Session, int, str], int],
                      what: str) -> int:
    """Run ``work(session, municipality_id, slug)`` for every municipality whose id ``waiting`` (a select of
    municipality ids) returns, committing each; returns the sum of what ``work`` returned."""
    total = 0
    with sessions() as session:
        towns = session.execute(select(Municipality.id, Municipality.slug)
                                .where(Municipality.id.in_(waiting))).all()
    for municipality_id, slug in towns:
        with sessions() as session:
            try:
                total += work(session, municipality_id, slug)
                session.commit()
            except Exception:
                session.rollback()
                log.exception("%s failed municipality=%s", what, slug)
    return total
