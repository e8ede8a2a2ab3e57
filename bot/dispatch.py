"""Dispatch webhook events to their handlers, one transaction per event.

Each event is acted on, claimed (deduplicated) and committed *before* its reply is handed to the
background sender (line.reply_sender), so a LINE outage never loses the recorded question nor holds the
webhook response, and a redelivered event is acted on at most once. The claim
is the transaction's last write and handlers match before they write: SQLite has one write lock per
database, held from a transaction's first write to its commit, so writes come as late as possible
(measured with bench/webhook.py: docs/faq-engine.md).
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.handlers import HANDLERS, Context
from bot.runtime import Runtime
from core import i18n
from core.db import insert_for, session_scope, unavailable
from core.models import ProcessedEvent
from core.tenancy import Tenant
from core.timeutil import utcnow
from line import messages as lm
from line.events import InboundEvent

log = logging.getLogger("bot.handlers")  # one logger name for handling, whichever module logs


def processed(session: Session, tenant: Tenant, event: InboundEvent) -> bool:
    """Was this event handled already (a redelivery)? A read: most redeliveries stop here."""
    return session.scalar(select(ProcessedEvent.id).where(
        ProcessedEvent.municipality_id == tenant.id, ProcessedEvent.dedupe_key == event.dedupe_key())) is not None


def claim(session: Session, tenant: Tenant, event: InboundEvent) -> bool:
    """Record the event as processed; False when it already was (a delivery of the same event handled
    concurrently got there first: the unique key decides). One statement — INSERT … ON CONFLICT DO NOTHING
    RETURNING — where a savepoint and an ORM flush used to be."""
    insert = insert_for(session)
    inserted = session.execute(insert(ProcessedEvent).values(
        municipality_id=tenant.id, dedupe_key=event.dedupe_key(), event_type=event.type[:40], received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["municipality_id", "dedupe_key"]).returning(ProcessedEvent.id))
    return inserted.first() is not None


def act(runtime: Runtime, tenant: Tenant, event: InboundEvent, session: Session, claim_first: bool = False
        ) -> tuple[lm.Reply, str]:
    """Handle one event in ``session`` (the caller commits): its reply and what happened ("duplicate" when it was
    handled already — then nothing of it must be committed). ``claim_first``: claim before the handler writes (a
    batch of events in one transaction holds the write lock from its first event anyway, and a lost claim then
    leaves no writes of this event behind)."""
    handler = HANDLERS.get(event.type)
    if processed(session, tenant, event):
        log.info("duplicate event skipped type=%s", event.type)
        return [], "duplicate"
    if claim_first and not claim(session, tenant, event):
        return [], "duplicate"
    reply: lm.Reply = []
    outcome = handler.__name__ if handler else "ignored"
    if handler is None:
        log.info("unknown event type ignored type=%s", event.type[:40])
    elif event.mode == "standby" and event.type not in ("follow", "unfollow"):
        outcome = "standby"
    else:
        context = Context(runtime, tenant, event, session)
        known = context.follower_row()  # read once: the language here, the handlers' follower after
        with i18n.using(known.language if known is not None else i18n.JA), i18n.writing(None):
            reply = handler(context)
    if not claim_first and not claim(session, tenant, event):
        return [], "duplicate"
    if handler is not None and outcome != "standby":
        log.info("event handled type=%s handler=%s", event.type, outcome)
    return (reply if outcome not in ("standby", "ignored") and event.mode != "standby" else []), outcome


def handle_event(runtime: Runtime, tenant: Tenant, event: InboundEvent) -> str:
    """Handle one event end to end in its own transaction, then hand its reply to the sender; returns what
    happened (for logs and tests)."""
    with session_scope(runtime.sessions) as session:
        reply, outcome = act(runtime, tenant, event, session)
        if outcome == "duplicate":
            session.rollback()  # discard this delivery's writes: the other one's are committed
            return outcome
    if reply and event.reply_token:
        runtime.replies.submit(runtime.line_client(tenant.config.slug), event.reply_token, reply)
    return outcome


def handle_events(runtime: Runtime, tenant: Tenant, events: list[InboundEvent]) -> list[str]:
    """Handle events one by one; one failing event never stops the others. When the database is
    unavailable, that event and the ones after it are left "unavailable" (nothing of them was
    committed), so the webhook can ask LINE to deliver them again; the ones already handled are
    recognised as duplicates then."""
    results: list[str] = []
    for event in events:
        if results and results[-1] == "unavailable":
            results.append("unavailable")
            continue
        try:
            results.append(handle_event(runtime, tenant, event))
        except Exception as exc:
            if unavailable(exc):
                log.error("database unavailable, event left for redelivery type=%s error=%s",
                          event.type[:40], type(getattr(exc, "orig", exc)).__name__)
                results.append("unavailable")
            else:
                log.exception("event handling failed type=%s", event.type[:40])
                results.append("error")
    return results
