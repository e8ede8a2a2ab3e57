"""Accept first, handle after (#25): the webhook stores LINE's events and answers 200; workers handle them.

LINE recommends handling webhook events asynchronously: the next delivery must never wait for this one. In a
typhoon the whole town writes at once; what LINE must see is a fast 200, what residents must see is a reply within
seconds. So:

- :func:`accept` stores a body's events in one statement, each once (a redelivery hits the unique dedupe key), and
  the view commits and answers. Nothing is matched, no follower is read, LINE is not called in the request.
- :class:`Processor` threads (inside every app process; ``machimado worker`` for more) claim batches of events —
  on PostgreSQL with ``FOR UPDATE SKIP LOCKED``, so several processes share one queue — handle them in one
  transaction (one commit for the batch's question logs and claims) and send the replies after the commit.
- One resident's events stay in order: an event is claimed only when no earlier event of the same resident is still
  waiting or being handled — which also means a resident who sends fifty messages gets one handled per round while
  everyone else's go on (fairness).
- A worker that dies leaves its claimed events ``processing`` until their lease ends; then another takes them. The
  webhook dedupe claim (``processed_events``) committed with the batch makes a re-taken event that *was* handled a
  duplicate: an event is handled and replied to at most once, and never lost.
- A reply token is good for about a minute: an event whose answer is ready later than ``reply_max_age_s`` after it
  arrived is answered by push with a retry key instead, and so is one whose token LINE refuses (a redelivered
  event's may be). Pushes count against the message quota: /metrics and the dashboard show how often.
- In disaster mode, location events, shelter questions and postbacks go first (``priority``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from bot.dispatch import act
from bot.texts import words
from broadcasts.richmenu import current_disaster
from core.db import insert_for, unavailable
from core.metrics import INBOUND_EVENTS, LATE_REPLIES
from core.models import InboundEvent as Row
from core.tenancy import Tenant
from core.timeutil import as_utc, utcnow
from line import messages as lm
from line.events import InboundEvent, read_event
from search.normalize import fold

log = logging.getLogger("bot.handlers")

BATCH = 32
LEASE_S = 10.0  # a batch takes well under a second; a dead worker's events are taken again this soon
MAX_ATTEMPTS = 5
RESEND_AFTER_S = 15.0  # an answer committed this long ago and still not confirmed sent: its process died
SHELTER_WORDS = words("shelter") | words("emergency")


def user_key(event: InboundEvent) -> str:
    if event.group_id:
        return f"g:{event.group_id}"
    if event.room_id:
        return f"r:{event.room_id}"
    return f"u:{event.user_id}" if event.user_id else ""


def priority_of(event: InboundEvent, disaster: bool) -> int:
    """1 for what a resident in danger sends during a disaster (a location, a shelter question, a tap), else 0."""
    if not disaster:
        return 0
    if event.type == "postback" or event.message_type == "location":
        return 1
    text = fold(str(event.message.get("text", ""))) if event.message_type == "text" else ""
    return 1 if text and (text.replace(" ", "") in SHELTER_WORDS or "避難" in text) else 0


def accept(session: Session, municipality_id: int, events: list[InboundEvent], disaster: bool = False,
           now: datetime | None = None) -> int:
    """Store the events (each once: a redelivered one is skipped by the unique key); returns how many are new.
    One statement; the caller commits."""
    if not events:
        return 0
    now = now or utcnow()
    rows = [{"municipality_id": municipality_id, "dedupe_key": e.dedupe_key(), "user_key": user_key(e),
             "event_type": e.type[:40], "priority": priority_of(e, disaster), "body": e.raw, "status": "queued",
             "attempts": 0, "worker": "", "outcome": "", "reply_mode": "", "reply_state": "", "error": "",
             "received_at": now}
            for e in events]
    unique = list({row["dedupe_key"]: row for row in rows}.values())  # the same event twice in one body
    insert = insert_for(session)
    inserted = session.execute(insert(Row).values(unique).on_conflict_do_nothing(
        index_elements=["municipality_id", "dedupe_key"]).returning(Row.id)).all()
    INBOUND_EVENTS.labels("accepted").inc(len(inserted))
    return len(inserted)


def claim(session: Session, worker: str, limit: int = BATCH, lease_s: float = LEASE_S) -> list[Row]:
    """Claim up to ``limit`` events ready to handle (queued, or processing with an expired lease), highest priority
    first, at most the earliest unfinished event of each resident; commits the claim."""
    now = utcnow()
    earlier = aliased(Row)
    ready = or_(Row.status == "queued", and_(Row.status == "processing", Row.lease_until < now))
    waiting_before = exists(select(earlier.id).where(
        earlier.municipality_id == Row.municipality_id, earlier.user_key == Row.user_key, earlier.id < Row.id,
        earlier.status.in_(("queued", "processing"))))
    query = select(Row.id).where(ready, or_(Row.user_key == "", ~waiting_before)) \
        .order_by(Row.priority.desc(), Row.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if not ids:
        session.rollback()
        return []
    claimed = list(session.scalars(update(Row).where(Row.id.in_(ids), ready).values(
        status="processing", worker=worker[:60], lease_until=now + timedelta(seconds=lease_s),
        attempts=Row.attempts + 1).returning(Row.id)))
    session.commit()
    if not claimed:
        return []
    rows = list(session.scalars(select(Row).where(Row.id.in_(claimed)).order_by(Row.priority.desc(), Row.id)))
    session.expunge_all()
    return rows


@dataclass
class Outgoing:
    row_id: int
    tenant: Tenant
    event: InboundEvent
    reply: lm.Reply
    to: str | None  # the resident (group, room): a push goes there when the reply token is too old or refused
    late: bool  # older than reply_max_age_s: pushed without trying the token
    retry_key: str = ""


STUCK_AFTER_S = 120.0  # events waiting this long while nothing was handled for a minute: the queue is stuck


@dataclass
class QueueStats:
    depth: int
    oldest_age_s: float
    failed: int
    idle_s: float | None  # since the last event was handled (None: none handled yet)

    @property
    def stuck(self) -> bool:
        """Events wait and nobody handles them (no worker running, or every worker wedged) — not a backlog that
        is being worked through."""
        return self.oldest_age_s > STUCK_AFTER_S and (self.idle_s is None or self.idle_s > 60.0)


def stats(session: Session, now: datetime | None = None) -> QueueStats:
    """Events waiting or being handled, how long the oldest has waited, failed ones (/metrics, /readyz)."""
    now = now or utcnow()
    depth, oldest = session.execute(select(func.count(Row.id), func.min(Row.received_at))
                                    .where(Row.status.in_(("queued", "processing")))).one()
    failed = session.scalar(select(func.count(Row.id)).where(Row.status == "failed")) or 0
    last = session.scalar(select(func.max(Row.processed_at)).where(Row.status == "done"))
    age = (now - as_utc(oldest)).total_seconds() if oldest is not None else 0.0
    idle = (now - as_utc(last)).total_seconds() if last is not None else None
    return QueueStats(int(depth or 0), max(age, 0.0), int(failed), idle)


_CREATE = threading.Lock()


def processor_of(runtime: Any) -> Processor:
    """The runtime's processor, created on first use with the settings' worker count and reply age."""
    if runtime.inbound is None:
        with _CREATE:
            if runtime.inbound is None:
                runtime.inbound = Processor(runtime, workers=runtime.settings.inbound_workers,
                                            reply_max_age_s=runtime.settings.reply_max_age_s)
    return runtime.inbound


class Processor:
    """The worker threads of one process (started on the first stored event, or by ``machimado worker``)."""

    def __init__(self, runtime: Any, workers: int = 2, batch: int = BATCH, lease_s: float = LEASE_S,
                 reply_max_age_s: float = 40.0) -> None:
        self.runtime = runtime
        self.disaster = DisasterFlags(self._in_disaster)
        self.workers, self.batch, self.lease_s = workers, batch, lease_s
        self.reply_max_age_s = reply_max_age_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pid = 0
        self._lock = threading.Lock()
        self._sent_ids: list[int] = []
        self._last_resend = 0.0
        self.name = f"{os.uname().nodename}:{os.getpid()}"

    def _in_disaster(self, municipality_id: int) -> bool:
        with self.sessions() as session:
            return current_disaster(session, municipality_id) is not None

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.runtime.sessions

    # ---------------------------------------------------------------- threads

    def start(self) -> None:
        """Start the threads (again in a forked child: threads do not survive a fork)."""
        with self._lock:
            if self.workers <= 0 or (self._threads and self._pid == os.getpid()):
                return
            self._pid, self._threads = os.getpid(), []
            self.name = f"{os.uname().nodename}:{os.getpid()}"
            self._stop.clear()
            for n in range(self.workers):
                thread = threading.Thread(target=self._loop, args=(f"{self.name}/{n}",), name=f"inbound-{n}",
                                          daemon=True)
                thread.start()
                self._threads.append(thread)

    def wake(self) -> None:
        """A webhook stored events: handle them now rather than at the next poll."""
        if self.workers > 0 and (not self._threads or self._pid != os.getpid()):
            self.start()
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []

    def _loop(self, worker: str) -> None:
        pause = 0.0
        while not self._stop.is_set():
            try:
                handled = self.run_once(worker)
                pause = 0.0
            except Exception as exc:  # the database went away: wait, then try again (nothing is lost)
                pause = min(max(pause * 2, 0.5), 10.0)
                log.error("inbound worker paused %.1fs: %s", pause, type(getattr(exc, "orig", exc)).__name__)
                self._stop.wait(pause)
                continue
            if not handled:
                self._wake.wait(0.5)
                self._wake.clear()

    # ---------------------------------------------------------------- one round

    def run_once(self, worker: str = "drain") -> int:
        """Claim one batch, handle it, send its replies; returns how many events were claimed.

        PostgreSQL: the batch in one transaction (row locks: the webhook's inserts go on meanwhile). SQLite: each
        event of the batch in its own transaction — its single write lock is held from a transaction's first write
        to its commit, and a batch holding it through 32 questions' matching made the webhook wait (measured with
        bench/typhoon.py: ack p99 2 s instead of 0.4 s)."""
        self.record_sent()
        if time.monotonic() - self._last_resend > 5.0:
            self._last_resend = time.monotonic()
            self.resend()
        with self.sessions() as session:
            rows = claim(session, worker, self.batch, self.lease_s)
        if not rows:
            return 0
        if self.runtime.engine.dialect.name == "postgresql":
            self.send(self.process(rows))
        else:
            for row in rows:
                self.send(self.process([row]))
        return len(rows)

    def drain(self, timeout: float = 30.0) -> int:
        """Handle everything waiting, in the calling thread (tests, `machimado worker --drain`); then wait for
        the replies to leave."""
        deadline, total = time.monotonic() + timeout, 0
        while time.monotonic() < deadline:
            try:
                handled = self.run_once("drain")
            except Exception as exc:
                if not unavailable(exc):
                    raise
                log.error("database unavailable: events stay queued")
                break
            total += handled
            if not handled:
                break
        self.runtime.replies.drain(timeout=max(deadline - time.monotonic(), 1.0))
        self.record_sent()
        return total

    def process(self, rows: list[Row]) -> list[Outgoing]:
        """Handle a batch in one transaction; when one event fails, the batch is handled again one by one so the
        others are not held back by it."""
        try:
            return self._process(rows)
        except Exception as exc:
            if unavailable(exc):
                raise  # left "processing": taken again when the lease ends
            if len(rows) == 1:
                self._failed(rows[0], exc)
                return []
            log.warning("batch of %d failed (%s): handling them one by one", len(rows), type(exc).__name__)
            outgoing: list[Outgoing] = []
            for row in rows:
                outgoing += self.process([row])
            return outgoing

    def _process(self, rows: list[Row]) -> list[Outgoing]:
        outgoing: list[Outgoing] = []
        now = utcnow()
        with self.sessions() as session:
            done: list[dict[str, Any]] = []
            for row in rows:
                event = read_event(row.body) if row.body is not None else None
                tenant = self.runtime.tenant_by_id(row.municipality_id)
                if event is None or tenant is None:
                    done.append({"id": row.id, "outcome": "ignored", "reply_mode": ""})
                    continue
                batched = len(rows) > 1  # in a batch, claim before writing (see bot.dispatch.act)
                reply, outcome = act(self.runtime, tenant, event, session, claim_first=batched)
                if outcome == "duplicate" and not batched:
                    session.rollback()  # this one event's writes: another worker's are committed
                mode = ""
                if reply and event.reply_token and outcome != "duplicate":
                    late = (now - as_utc(row.received_at)).total_seconds() > self.reply_max_age_s
                    to = event.group_id or event.room_id or event.user_id
                    mode = ("push" if to else "none") if late else "reply"
                    if mode != "none":
                        outgoing.append(Outgoing(row.id, tenant, event, reply, to, late,
                                                 str(uuid.uuid5(uuid.NAMESPACE_URL, f"reply:{row.dedupe_key}"))))
                saved = outgoing[-1] if outgoing and outgoing[-1].row_id == row.id else None
                done.append({"id": row.id, "outcome": outcome[:40], "reply_mode": mode,
                             "reply_state": "pending" if saved else "",
                             "reply": {"token": event.reply_token, "to": saved.to, "late": saved.late,
                                       "key": saved.retry_key, "messages": saved.reply} if saved else None})
            for item in done:
                session.execute(update(Row).where(Row.id == item["id"]).values(
                    status="done", body=None, outcome=item["outcome"], reply_mode=item["reply_mode"],
                    reply_state=item["reply_state"], reply=item["reply"],
                    processed_at=utcnow(), lease_until=None, error=""))
            session.commit()
        INBOUND_EVENTS.labels("handled").inc(len(rows))
        return outgoing

    def _failed(self, row: Row, exc: Exception) -> None:
        """An event whose handling raised: tried again (up to MAX_ATTEMPTS claims), then kept ``failed``."""
        log.exception("event handling failed type=%s attempt=%d", row.event_type, row.attempts, exc_info=exc)
        give_up = row.attempts >= MAX_ATTEMPTS
        with self.sessions() as session:
            session.execute(update(Row).where(Row.id == row.id).values(
                status="failed" if give_up else "queued", lease_until=None, error=type(exc).__name__[:200]))
            session.commit()
        INBOUND_EVENTS.labels("failed" if give_up else "retried").inc()

    def send(self, outgoing: list[Outgoing]) -> None:
        for item in outgoing:
            client = self.runtime.line_client(item.tenant.config.slug)
            if item.late and item.to:
                LATE_REPLIES.inc()
                log.info("reply token too old: answered by push type=%s", item.event.type)
                future = self.runtime.replies.submit_push(client, item.to, item.reply, item.retry_key)
            elif item.event.reply_token:
                future = self.runtime.replies.submit_reply_or_push(client, item.event.reply_token, item.to,
                                                                   item.reply, item.retry_key)
            else:
                continue
            future.add_done_callback(lambda done, row_id=item.row_id: self._mark_sent(row_id, done))

    def _mark_sent(self, row_id: int, done: Any) -> None:
        """LINE has the answer (or refused it for good): nothing to resend. An outage leaves it pending."""
        result = None if done.cancelled() or done.exception() is not None else done.result()
        if result is not None and (result.delivered or result.status == 400):
            with self._lock:
                self._sent_ids.append(row_id)

    def record_sent(self) -> None:
        """Mark the answers LINE has by now (one UPDATE for all of them; called each round)."""
        with self._lock:
            ids, self._sent_ids = self._sent_ids, []
        if not ids:
            return
        with self.sessions() as session:
            session.execute(update(Row).where(Row.id.in_(ids)).values(reply_state="sent", reply=None))
            session.commit()

    def resend(self, older_than_s: float = RESEND_AFTER_S) -> int:
        """Answers committed but never confirmed sent — their process died between its commit and LINE: sent
        again. Within the reply age by reply only (LINE refuses a token used already: the resident has it once);
        later by push with the event's retry key (LINE delivers a key once)."""
        now = utcnow()
        with self.sessions() as session:
            query = select(Row).where(Row.reply_state == "pending",
                                      Row.processed_at < now - timedelta(seconds=older_than_s)).limit(100)
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = list(session.scalars(query))
            for row in rows:
                tenant = self.runtime.tenant_by_id(row.municipality_id)
                data = row.reply or {}
                result = None
                if tenant is not None and data.get("messages"):
                    client = self.runtime.line_client(tenant.config.slug)
                    age = (now - as_utc(row.received_at)).total_seconds()
                    if (data.get("late") or age > self.reply_max_age_s) and data.get("to"):
                        result = client.push(data["to"], data["messages"], data.get("key"))
                    elif data.get("token"):
                        result = client.reply(data["token"], data["messages"])
                if result is None or result.delivered or result.status == 400:  # 400: the token was used
                    row.reply_state, row.reply = "sent", None
            session.commit()
        if rows:
            log.warning("resent %d answer(s) a stopped process had not confirmed", len(rows))
        return len(rows)


@dataclass
class DisasterFlags:
    """Whether each municipality is in disaster mode, read at most every ``ttl_s`` (the webhook asks per request)."""

    read: Callable[[int], bool]
    ttl_s: float = 5.0
    _cache: dict[int, tuple[float, bool]] = field(default_factory=dict)

    def __call__(self, municipality_id: int) -> bool:
        now = time.monotonic()
        cached = self._cache.get(municipality_id)
        if cached is None or now - cached[0] > self.ttl_s:
            cached = (now, self.read(municipality_id))
            self._cache[municipality_id] = cached
        return cached[1]
