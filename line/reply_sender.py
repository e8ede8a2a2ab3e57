"""Replies leave after the webhook has answered LINE.

LINE expects a webhook to answer quickly and recommends handling events asynchronously; a reply call
waits on LINE's API (up to ``LINE_API_TIMEOUT`` when it is slow or down), which must not hold the
webhook response or a gunicorn thread. The event is committed first (the question is recorded, the
dedupe claim made), then its reply is handed to this sender's small thread pool; a reply token stays
valid for a while after the event, so the short queue costs the resident nothing.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from line.client import LineClient, SendResult

log = logging.getLogger(__name__)


class ReplySender:
    """One per runtime (per process); threads start on first use, again after a fork."""

    def __init__(self, workers: int = 8):  # I/O-bound: threads mostly wait on LINE
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._pid = 0
        self._pending: set[Future[SendResult]] = set()
        self._lock = threading.Lock()

    def submit(self, client: LineClient, reply_token: str, messages: list[dict[str, Any]]) -> Future[SendResult]:
        return self._submit(client.reply, reply_token, messages)

    def submit_reply_or_push(self, client: LineClient, reply_token: str, to: str | None,
                             messages: list[dict[str, Any]], retry_key: str) -> Future[SendResult]:
        """A reply; when LINE refuses the token (400: expired or used — a redelivered event's may be), a push to
        ``to`` with the retry key instead."""
        def send() -> SendResult:
            result = client.reply(reply_token, messages)
            if result.status == 400 and to:
                log.info("reply token refused: answered by push")
                return client.push(to, messages, retry_key)
            return result
        return self._submit(send)

    def submit_push(self, client: LineClient, to: str, messages: list[dict[str, Any]], retry_key: str
                    ) -> Future[SendResult]:
        """An answer whose reply token is too old, pushed with a retry key (a retried push is delivered once)."""
        return self._submit(client.push, to, messages, retry_key)

    def _submit(self, call: Any, *args: Any) -> Future[SendResult]:
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="reply")
                self._pid = os.getpid()
            future = self._pool.submit(call, *args)
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future[SendResult]) -> None:
        with self._lock:
            self._pending.discard(future)
        if not future.cancelled() and future.exception() is not None:  # LineClient logs its own failures
            log.error("reply sending crashed: %s", type(future.exception()).__name__)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait for every reply submitted so far (tests, shutdown); False if some are still out."""
        with self._lock:
            pending = list(self._pending)
        return not wait(pending, timeout=timeout).not_done

    def close(self) -> None:
        """Send what is queued, then stop the threads."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
