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
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from bot.line_api import SendResult
from broadcasts.audience import Target, chunks, follower_count, recipients
from broadcasts.models import Notice, NoticeBatch

log = logging.getLogger(__name__)
MULTICAST_MAX = 500
MAX_ATTEMPTS = 8
BACKOFF_S = (0.5, 1, 2, 4, 8, 15, 30, 60)


def now_utc() -> datetime:
    return datetime.now(UTC)


def plan_notice(session: Session, notice: Notice) -> int:
    """Persist the notice's batches; returns the number of recipients."""
    target = Target.of(notice)
    audience = recipients(session, notice.municipality_id, target)
    everyone = bool(audience) and not target.districts and len(audience) == follower_count(
        session, notice.municipality_id)
    if everyone:
        session.add(NoticeBatch(notice_id=notice.id, seq=0, kind="broadcast", recipients=[],
                                recipient_count=len(audience), retry_key=str(uuid.uuid4())))
    else:
        for seq, users in enumerate(chunks(audience, MULTICAST_MAX)):
            session.add(NoticeBatch(notice_id=notice.id, seq=seq, kind="multicast", recipients=users,
                                    recipient_count=len(users), retry_key=str(uuid.uuid4())))
    notice.recipients_total = len(audience)
    notice.planned_at = now_utc()
    notice.status = "sending" if audience else "sent"
    if not audience:
        notice.finished_at = notice.planned_at
    return len(audience)


def plan_due(session: Session, now: datetime | None = None) -> list[int]:
    """Plan every scheduled notice whose time has come (safe with several workers on PostgreSQL)."""
    query = select(Notice).where(Notice.status == "scheduled", Notice.scheduled_at <= (now or now_utc()))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    planned = []
    for notice in session.scalars(query.order_by(Notice.severity, Notice.id).limit(20)).all():
        plan_notice(session, notice)
        planned.append(notice.id)
    return planned


def _claimable(now: datetime, lease: timedelta):  # type: ignore[no-untyped-def]
    return or_(and_(NoticeBatch.status == "pending", NoticeBatch.next_attempt_at <= now),
               and_(NoticeBatch.status == "sending", NoticeBatch.claimed_at < now - lease))


def claim_batch(session: Session, worker_id: str, lease: timedelta) -> NoticeBatch | None:
    """Take one batch for this worker (commit follows in the caller's unit of work)."""
    now = now_utc()
    query = select(NoticeBatch).where(_claimable(now, lease)).order_by(NoticeBatch.id)
    if session.get_bind().dialect.name == "postgresql":
        batch = session.scalar(query.limit(1).with_for_update(skip_locked=True))
        candidates = [batch] if batch else []
    else:
        candidates = list(session.scalars(query.limit(8)))
    for batch in candidates:
        claimed = session.execute(
            update(NoticeBatch).where(NoticeBatch.id == batch.id, _claimable(now, lease))
            .values(status="sending", claimed_by=worker_id, claimed_at=now, attempts=NoticeBatch.attempts + 1)
            .execution_options(synchronize_session=False))
        if claimed.rowcount == 1:
            session.refresh(batch)
            return batch
    return None


@dataclass(frozen=True)
class Outcome:
    state: str  # sent | retry | failed | lost_claim
    delay_s: float = 0.0


def record_result(session: Session, batch_id: int, worker_id: str, result: SendResult) -> Outcome:
    """Store what LINE said, only if this worker still holds the batch."""
    batch = session.get(NoticeBatch, batch_id)
    if batch is None or batch.status != "sending" or batch.claimed_by != worker_id:
        return Outcome("lost_claim")
    notice_counter = None
    if result.delivered:
        batch.status, batch.sent_at, batch.request_id = "sent", now_utc(), result.request_id[:64]
        batch.last_error = "" if result.ok else "409: accepted earlier under the same retry key"
        notice_counter = Notice.recipients_sent
        outcome = Outcome("sent")
    elif result.retryable and batch.attempts < MAX_ATTEMPTS:
        delay = result.retry_after_s or BACKOFF_S[min(batch.attempts, len(BACKOFF_S)) - 1]
        batch.status, batch.next_attempt_at = "pending", now_utc() + timedelta(seconds=delay)
        batch.last_error = f"{result.status or 'network'}: {result.error}"[:500]
        outcome = Outcome("retry", delay)
    else:
        batch.status, batch.last_error = "failed", f"{result.status or 'network'}: {result.error}"[:500]
        notice_counter = Notice.recipients_failed
        outcome = Outcome("failed")
    if notice_counter is not None:
        session.execute(update(Notice).where(Notice.id == batch.notice_id)
                        .values({notice_counter.key: notice_counter + batch.recipient_count})
                        .execution_options(synchronize_session=False))
        finish_if_done(session, batch.notice_id)
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
    notice.finished_at = now_utc()


def progress(session: Session, notice_id: int) -> dict[str, int]:
    rows = session.execute(select(NoticeBatch.status, func.count(NoticeBatch.id), func.sum(NoticeBatch.recipient_count))
                           .where(NoticeBatch.notice_id == notice_id).group_by(NoticeBatch.status)).all()
    result = {"batches": 0}
    for status, batches, people in rows:
        result["batches"] += batches
        result[f"batches_{status}"] = batches
        result[f"recipients_{status}"] = int(people or 0)
    return result
