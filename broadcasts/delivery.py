"""Delivering notices exactly once: plan into persisted batches, claim, send with a retry key, record.

- Planning turns a due notice into batches in one transaction (all batches exist, or none).
- A worker claims a batch (PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED``; SQLite: a guarded
  UPDATE, one worker documented), sends it with the batch's ``X-Line-Retry-Key`` and records the result.
- 5xx and timeouts are retried with the same key and exponential backoff; LINE's 409 means an earlier
  attempt was accepted, so it counts as delivered; 429 pauses the worker's pacing; other 4xx fail the batch.
- A worker that dies mid-send leaves its batch ``sending``; after the lease expires another worker
  (or the restarted one) reclaims it and resends with the same key — no duplicate, no loss.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from broadcasts.audience import Target, chunks, follower_count, recipients
from broadcasts.models import Notice, NoticeBatch
from core import i18n
from core.db import affected_rows
from core.models import Follower
from core.timeutil import utcnow
from line.client import SendResult

log = logging.getLogger(__name__)
MULTICAST_MAX = 500
MAX_ATTEMPTS = 8
BACKOFF_S = (0.5, 1, 2, 4, 8, 15, 30, 60)


def plan_notice(session: Session, notice: Notice) -> int:
    """Persist the notice's batches; returns the number of recipients."""
    target = Target.of(notice)
    followers = follower_count(session, notice.municipality_id)
    # An emergency for the whole city needs no list: it goes to every follower by broadcast.
    audience = [] if target.emergency and not target.districts else recipients(
        session, notice.municipality_id, target)
    everyone = followers > 0 and not target.districts and (target.emergency or len(audience) == followers)
    groups = by_language(session, notice, audience if audience or not everyone else
                         recipients(session, notice.municipality_id, target))
    if everyone and set(groups) != {None}:  # some read it in their language: one list per language, no broadcast
        everyone, audience = False, [user for users in groups.values() for user in users]
    total = followers if everyone else len(audience)
    if everyone:
        session.add(NoticeBatch(notice_id=notice.id, seq=0, kind="broadcast", recipients=[],
                                recipient_count=followers, retry_key=str(uuid.uuid4())))
    else:
        seq = 0
        for language, members in groups.items():
            for users in chunks(members, MULTICAST_MAX):
                session.add(NoticeBatch(notice_id=notice.id, seq=seq, kind="multicast", recipients=users,
                                        recipient_count=len(users), retry_key=str(uuid.uuid4()), language=language))
                seq += 1
    notice.recipients_total = total
    notice.planned_at = utcnow()
    notice.status = "sending" if total else "sent"
    if not total:
        notice.finished_at = notice.planned_at
    return total


def by_language(session: Session, notice: Notice, audience: list[str]) -> dict[str | None, list[str]]:
    """The audience grouped by the translation of the notice each reads (None: the Japanese), Japanese first. A
    notice without translations, or an audience that reads none of them, is one group."""
    languages = set(notice.translations or {})
    if not languages or not audience:
        return {None: audience}
    spoken = dict(session.execute(select(Follower.line_user_id, Follower.language).where(
        Follower.municipality_id == notice.municipality_id, Follower.language.is_not(None),
        Follower.language != i18n.JA)).all())
    groups: dict[str | None, list[str]] = {None: []}
    for user in audience:
        groups.setdefault(i18n.best(spoken.get(user), languages), []).append(user)
    return {k: v for k, v in groups.items() if v} or {None: []}


def plan_due(session: Session, now: datetime | None = None) -> list[int]:
    """Plan every scheduled notice whose time has come (safe with several workers on PostgreSQL)."""
    query = select(Notice).where(Notice.status == "scheduled", Notice.scheduled_at <= (now or utcnow()))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    planned = []
    for notice in session.scalars(query.order_by(Notice.severity, Notice.id).limit(20)).all():
        # Take the notice with a guarded update: a second worker planning at the same moment
        # (SQLite has no SKIP LOCKED) finds it no longer scheduled and leaves it alone.
        taken = affected_rows(session, update(Notice).where(Notice.id == notice.id, Notice.status == "scheduled")
                              .values(status="planning").execution_options(synchronize_session=False))
        if taken != 1:
            continue
        plan_notice(session, notice)
        planned.append(notice.id)
    return planned


def _claimable(now: datetime, lease: timedelta) -> ColumnElement[bool]:
    return or_(and_(NoticeBatch.status == "pending", NoticeBatch.next_attempt_at <= now),
               and_(NoticeBatch.status == "sending", NoticeBatch.claimed_at < now - lease))


@dataclass(frozen=True)
class Job:
    """A claimed batch, detached from any session."""

    batch_id: int
    notice_id: int
    kind: str
    recipients: list[str]
    recipient_count: int
    retry_key: str
    language: str | None = None  # which of the notice's translations this batch sends (None: the Japanese)


def claim_batches(session: Session, worker_id: str, lease: timedelta, limit: int = 1) -> list[Job]:
    """Take up to ``limit`` batches for this worker in one statement (the caller commits).

    PostgreSQL locks the chosen rows with ``FOR UPDATE SKIP LOCKED`` so concurrent workers never pick
    the same batch; SQLite has a single writer, and the claimable condition is re-checked in the UPDATE.
    """
    now = utcnow()
    chosen = select(NoticeBatch.id).where(_claimable(now, lease)).order_by(NoticeBatch.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        # A materialized CTE: as a plain IN-subquery, PostgreSQL may re-run the locking select and
        # take more rows than LIMIT.
        picked = chosen.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
        condition = NoticeBatch.id.in_(select(picked.c.id))
    else:
        condition = NoticeBatch.id.in_(chosen.scalar_subquery())
    rows = session.execute(
        update(NoticeBatch).where(condition, _claimable(now, lease))
        .values(status="sending", claimed_by=worker_id, claimed_at=now, attempts=NoticeBatch.attempts + 1)
        .returning(NoticeBatch.id, NoticeBatch.notice_id, NoticeBatch.kind, NoticeBatch.recipients,
                   NoticeBatch.recipient_count, NoticeBatch.retry_key, NoticeBatch.language)
        .execution_options(synchronize_session=False)).all()
    return sorted((Job(r.id, r.notice_id, r.kind, list(r.recipients), r.recipient_count, r.retry_key, r.language)
                   for r in rows), key=lambda job: job.batch_id)


def release(session: Session, worker_id: str, batch_ids: list[int]) -> None:
    """Give claimed but unsent batches back (a clean shutdown); their attempt is not counted."""
    if batch_ids:
        session.execute(update(NoticeBatch).where(NoticeBatch.id.in_(batch_ids), NoticeBatch.status == "sending",
                                                  NoticeBatch.claimed_by == worker_id)
                        .values(status="pending", claimed_by="", attempts=NoticeBatch.attempts - 1)
                        .execution_options(synchronize_session=False))


@dataclass(frozen=True)
class Outcome:
    state: str  # sent | retry | failed | lost_claim
    delay_s: float = 0.0


def record_result(session: Session, job: Job, worker_id: str, result: SendResult) -> Outcome:
    """Store what LINE said, only if this worker still holds the batch."""
    mine = and_(NoticeBatch.id == job.batch_id, NoticeBatch.status == "sending", NoticeBatch.claimed_by == worker_id)
    counter = None
    if result.delivered:
        values = {"status": "sent", "sent_at": utcnow(), "request_id": result.request_id[:64],
                  "last_error": "" if result.ok else "409: accepted earlier under the same retry key"}
        counter, outcome = Notice.recipients_sent, Outcome("sent")
    else:
        error = f"{result.status or 'network'}: {result.error}"[:500]
        attempts = session.scalar(select(NoticeBatch.attempts).where(NoticeBatch.id == job.batch_id)) or 0
        if result.retryable and attempts < MAX_ATTEMPTS:
            delay = result.retry_after_s or BACKOFF_S[min(attempts, len(BACKOFF_S)) - 1]
            values = {"status": "pending", "next_attempt_at": utcnow() + timedelta(seconds=delay),
                      "last_error": error}
            outcome = Outcome("retry", delay)
        else:
            values = {"status": "failed", "last_error": error}
            counter, outcome = Notice.recipients_failed, Outcome("failed")
    updated = affected_rows(session, update(NoticeBatch).where(mine).values(**values)
                            .execution_options(synchronize_session=False))
    if updated != 1:
        return Outcome("lost_claim")
    if counter is not None:
        session.execute(update(Notice).where(Notice.id == job.notice_id)
                        .values({counter.key: counter + job.recipient_count})
                        .execution_options(synchronize_session=False))
        finish_if_done(session, job.notice_id)
    return outcome


def finish_if_done(session: Session, notice_id: int) -> None:
    open_batches = session.scalar(select(func.count(NoticeBatch.id)).where(
        NoticeBatch.notice_id == notice_id, NoticeBatch.status.in_(("pending", "sending"))))
    if open_batches:
        return
    notice = session.get(Notice, notice_id)
    if notice is None or notice.status != "sending":
        return
    session.refresh(notice)
    failed = notice.recipients_failed
    notice.status = "sent" if not failed else ("failed" if failed >= notice.recipients_total else "partially_failed")
    notice.finished_at = utcnow()


def progress(session: Session, notice_id: int) -> dict[str, int]:
    rows = session.execute(select(NoticeBatch.status, func.count(NoticeBatch.id), func.sum(NoticeBatch.recipient_count))
                           .where(NoticeBatch.notice_id == notice_id).group_by(NoticeBatch.status)).all()
    result = {"batches": 0}
    for status, batches, people in rows:
        result["batches"] += batches
        result[f"batches_{status}"] = batches
        result[f"recipients_{status}"] = int(people or 0)
    return result
