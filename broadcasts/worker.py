"""`machimado broadcasts worker`: plans due notices and delivers their batches with a few threads.

Each thread loops claim → send → record, every step in its own short transaction, so a crash at any
point leaves the database consistent: an unsent batch is still pending, a batch in flight is
``sending`` and is reclaimed after the lease, and its resend carries the same retry key.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker

from broadcasts.delivery import Job, claim_batches, finish_if_done, plan_due, record_result, release
from broadcasts.models import Notice, NoticeBatch
from broadcasts.pacing import Pacer
from core.db import session_scope
from core.models import Municipality
from line.client import LineClient, SendResult

log = logging.getLogger(__name__)


class SimulatedCrash(RuntimeError):
    """Raised by fault injection: the worker dies after sending, before recording (worst case)."""


@dataclass
class WorkerStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)


class Worker:
    """Delivers notices with ``sessions`` (one short transaction per step) and ``client_for(slug)``, the LINE
    client of a municipality's channel (KeyError when this deployment does not configure it)."""

    def __init__(self, sessions: sessionmaker[Session], client_for: Callable[[str], LineClient], *, concurrency: int = 4, lease_s: float = 60.0,
                 pacer: Pacer | None = None, worker_id: str | None = None, crash_after: int | None = None,
                 claim_size: int = 4, planners: Sequence[Callable[[], object]] = ()):
        self.sessions = sessions
        self.client_for = client_for
        self.concurrency = max(1, concurrency)
        self.lease = timedelta(seconds=lease_s)
        self.pacer = pacer or Pacer()
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self) % 10000}"
        self.crash_after = crash_after
        self.claim_size = max(1, claim_size)
        # Other domains' planning run with the notices' (gomi reminders): each writes notices and batches in its own
        # transactions, which this worker then delivers like any other.
        self.planners = tuple(planners)
        self.stats = WorkerStats()
        # (notice id, language) -> (slug, SDK message models); language None: the Japanese
        self._messages: dict[tuple[int, str | None], tuple[str, list[Any]]] = {}
        self._slugs: dict[int, str] = {}
        self._crashed = threading.Event()
        self.plan_seconds = 0.0

    def _notice_payload(self, notice_id: int, language: str | None = None) -> tuple[str, list[Any]]:
        cached = self._messages.get((notice_id, language))
        if cached is None:
            with session_scope(self.sessions) as session:
                notice = session.get(Notice, notice_id)
                assert notice is not None
                cached = self._cache_payload(session, notice, language)
        return cached

    def _cache_payload(self, session: Session, notice: Notice, language: str | None) -> tuple[str, list[Any]]:
        slug = self._slugs.get(notice.municipality_id)
        if slug is None:
            slug = session.scalar(select(Municipality.slug).where(Municipality.id == notice.municipality_id))
            self._slugs[notice.municipality_id] = slug or ""
        translated = (notice.translations or {}).get(language or "") or {}
        cached = (slug or "", LineClient.prepare(list(translated.get("messages") or notice.messages)))
        self._messages[(notice.id, language)] = cached
        return cached

    def _prefetch(self, session: Session, jobs: list[Job]) -> None:
        """The messages of the claimed batches' notices, read in the claim's transaction (a round of ごみ reminders
        is hundreds of notices of one batch each: one more transaction per notice slowed delivery)."""
        wanted = {(job.notice_id, job.language) for job in jobs} - set(self._messages)
        if not wanted:
            return
        for notice in session.scalars(select(Notice).where(Notice.id.in_({n for n, _ in wanted}))):
            for notice_id, language in wanted:
                if notice_id == notice.id:
                    self._cache_payload(session, notice, language)

    def _send(self, kind: str, recipients: list[str], retry_key: str, notice_id: int,
              stop: threading.Event, language: str | None = None) -> SendResult:
        slug, messages = self._notice_payload(notice_id, language)
        try:
            client = self.client_for(slug)
        except KeyError:
            return SendResult(False, 400, f"municipality {slug!r} is not configured in this deployment")
        self.pacer.acquire(kind, stop)
        self.stats.add("requests")
        if kind == "broadcast":
            return client.broadcast(messages, retry_key)
        return client.multicast(recipients, messages, retry_key)

    def step(self, stop: threading.Event) -> bool:
        """Claim a few batches and deliver them; False when there was nothing to do."""
        with session_scope(self.sessions) as session:
            jobs = claim_batches(session, self.worker_id, self.lease, self.claim_size)
            self._prefetch(session, jobs)
        for index, job in enumerate(jobs):
            if stop.is_set():  # shutting down: hand the unsent rest back at once (not after the lease)
                with session_scope(self.sessions) as session:
                    release(session, self.worker_id, [j.batch_id for j in jobs[index:]])
                break
            self._deliver(job, stop)
        return bool(jobs)

    def _deliver(self, job: Job, stop: threading.Event) -> None:
        kind = job.kind
        result = self._send(kind, job.recipients, job.retry_key, job.notice_id, stop, job.language)
        if self.crash_after is not None and self.stats.requests >= self.crash_after:
            self._crashed.set()
            raise SimulatedCrash(f"injected crash after {self.stats.requests} request(s)")
        if result.status == 429:
            self.pacer.back_off(kind, result.retry_after_s or 1.0)
        with session_scope(self.sessions) as session:
            outcome = record_result(session, job, self.worker_id, result)
        self.stats.add({"sent": "sent", "retry": "retried", "failed": "failed"}.get(outcome.state, "retried"))

    def _thread_loop(self, stop: threading.Event, drain: bool) -> None:
        idle_rounds = 0
        while not stop.is_set() and not self._crashed.is_set():
            try:
                worked = self.step(stop)
            except SimulatedCrash:
                return
            except Exception:
                log.exception("delivery step failed; retrying")
                worked = False
            if worked:
                idle_rounds = 0
                continue
            if drain and not self._has_open_batches():
                return
            idle_rounds += 1
            stop.wait(min(0.01 * idle_rounds, 1.0))

    def _has_open_batches(self) -> bool:
        with session_scope(self.sessions) as session:
            return session.scalar(select(NoticeBatch.id).where(
                NoticeBatch.status.in_(("pending", "sending"))).limit(1)) is not None

    def plan(self) -> list[int]:
        """Plan due notices and close finished ones; errors are logged, the next round retries."""
        try:
            with session_scope(self.sessions) as session:
                planned = plan_due(session)
            with session_scope(self.sessions) as session:
                # only the notices with no open batch left, in one query (a ごみ reminder round is hundreds of
                # small notices: checking each one every second took the database from the senders)
                open_batch = exists().where(NoticeBatch.notice_id == Notice.id,
                                            NoticeBatch.status.in_(("pending", "sending")))
                for notice_id in session.scalars(select(Notice.id).where(Notice.status == "sending", ~open_batch)):
                    finish_if_done(session, notice_id)
        except Exception:
            log.exception("planning failed; will retry")
            return []
        for planner in self.planners:
            try:
                planner()
            except Exception:
                log.exception("planning (%s) failed; will retry", getattr(planner, "__name__", "planner"))
        return planned

    def run(self, stop: threading.Event | None = None, drain: bool = False, poll_s: float = 1.0) -> WorkerStats:
        """Deliver until ``stop`` is set; with ``drain``, return once no batch is left open.

        The calling thread plans due notices every ``poll_s`` while the delivery threads send.
        """
        stop = stop or threading.Event()
        started = time.perf_counter()
        self.plan()
        self.plan_seconds = time.perf_counter() - started
        threads = [threading.Thread(target=self._thread_loop, args=(stop, drain), name=f"deliver-{i}",
                                    daemon=True) for i in range(self.concurrency)]
        for thread in threads:
            thread.start()
        while not drain and any(t.is_alive() for t in threads):
            if stop.wait(poll_s):
                break
            self.plan()
        for thread in threads:
            thread.join()
        if not self._crashed.is_set():
            self.plan()  # close notices whose last batches just finished
        return self.stats

    @property
    def crashed(self) -> bool:
        return self._crashed.is_set()
