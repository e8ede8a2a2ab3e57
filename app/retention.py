"""Retention of residents' personal data: what is kept, for how long, and the purge that enforces it.

- Questions residents typed (``question_logs``): ``retention_days`` (default 365), then deleted;
  feedback on them stays, detached.
- 相談 (``consultations`` and their messages): deleted ``retention_days`` after the last message.
- Residents who blocked the account (``followers`` with status ``blocked``): their LINE user id and
  notice preferences are deleted ``retention_days`` after they left (a later re-follow starts afresh).
- Recipient lists of notice batches that are finished (sent or failed): emptied ``retention_days``
  after the notice was created; counts and statuses stay for the record.
- Webhook dedupe keys (``processed_events``, hashes): kept ``DEDUPE_DAYS``, well beyond LINE's
  redelivery attempts, then deleted so the table does not grow forever. Handled webhook events
  (``inbound_events``: their message is emptied once handled) go after as long; events kept ``failed`` (with
  their message, for staff) after ``retention_days``.

- 通報: unsent drafts deleted after a day; finished reports lose their photos, comment, typed address and link to the
  resident ``retention_days`` after their last update (reports/retention.py).

- Staff sign-in records: ended sessions (``staff_sessions``, expired or revoked) and login-throttle counters
  are deleted after ``DEDUPE_DAYS``; they only matter while they are live.

Run by ``machimado purge`` (e.g. daily from cron); the caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, cast, delete, or_, select, update
from sqlalchemy.orm import Session

from admin.models import LoginThrottle, StaffSession
from broadcasts.models import Notice, NoticeBatch
from core.db import affected_rows
from core.models import Follower, InboundEvent, ProcessedEvent
from desk.models import Consultation, ConsultationMessage
from faq.models import QuestionLog
from reports import retention as report_retention
from reports.storage import PhotoStore

DEDUPE_DAYS = 7


def purge(session: Session, now: datetime, retention_days: int, photos: PhotoStore | None = None) -> dict[str, int]:
    """Delete or empty what is older than the limits above; returns counts per kind."""
    cutoff = now - timedelta(days=retention_days)
    questions = affected_rows(session, delete(QuestionLog).where(QuestionLog.created_at < cutoff))
    stale = select(Consultation.id).where(Consultation.updated_at < cutoff)
    affected_rows(session, delete(ConsultationMessage).where(ConsultationMessage.consultation_id.in_(stale)))
    consultations = affected_rows(session, delete(Consultation).where(Consultation.updated_at < cutoff))
    followers = affected_rows(session, delete(Follower).where(
        Follower.status == "blocked", Follower.unfollowed_at.is_not(None), Follower.unfollowed_at < cutoff))
    old_notices = select(Notice.id).where(Notice.created_at < cutoff)
    batches = affected_rows(
        session, update(NoticeBatch).where(NoticeBatch.notice_id.in_(old_notices), NoticeBatch.status.in_(("sent", "failed")),
                                  cast(NoticeBatch.recipients, String) != "[]")
        .values(recipients=[]).execution_options(synchronize_session=False))
    events = affected_rows(session, delete(ProcessedEvent).where(
        ProcessedEvent.received_at < now - timedelta(days=DEDUPE_DAYS)))
    affected_rows(session, delete(InboundEvent).where(InboundEvent.status == "done",
                                                      InboundEvent.received_at < now - timedelta(days=DEDUPE_DAYS)))
    affected_rows(session, delete(InboundEvent).where(InboundEvent.status == "failed", InboundEvent.received_at < cutoff))
    old = now - timedelta(days=DEDUPE_DAYS)
    affected_rows(session, delete(StaffSession).where(or_(StaffSession.expires_at < old, StaffSession.revoked_at < old)))
    affected_rows(session, delete(LoginThrottle).where(LoginThrottle.window_start < old, or_(
        LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < old)))
    reports = report_retention.purge(session, photos, now, retention_days)
    return {"questions": questions, "consultations": consultations, "followers": followers, "recipient_lists": batches,
            "dedupe_keys": events, **reports}
