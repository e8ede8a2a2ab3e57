"""The LINE webhook: verify, parse, store. Nothing else happens in the view: workers handle the stored events
(bot/inbound.py, #25).

``POST /callback/<slug>`` serves one municipality, ``POST /callback`` the default one. The signature
is checked against that municipality's channel secret before the body is even parsed, so a forged
request never touches the database. A correctly signed body always gets 200: malformed events are
skipped, because LINE would otherwise redeliver them forever. The one exception is a database outage: the events
could not be stored, so the answer is 503 and LINE redelivers them (webhook redelivery on); a redelivery of events
stored before is stored once (the unique dedupe key).
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, abort, current_app, g, request
from werkzeug.exceptions import ServiceUnavailable

from bot import inbound
from bot.runtime import Runtime
from core.db import session_scope, unavailable
from core.metrics import WEBHOOK_OUTCOMES, WEBHOOK_REQUESTS, WEBHOOK_SECONDS
from line.events import InboundEvent, MalformedBody, read_body
from line.signature import verify

log = logging.getLogger(__name__)
blueprint = Blueprint("webhook", __name__)


@blueprint.before_request
def start_timer() -> None:
    g.webhook_started = time.perf_counter()


@blueprint.after_request
def count_request(response: Response) -> Response:
    """Every webhook response, refused ones included, by outcome (/metrics)."""
    outcome = WEBHOOK_OUTCOMES.get(response.status_code, str(response.status_code))
    WEBHOOK_REQUESTS.labels(outcome).inc()
    WEBHOOK_SECONDS.labels(outcome).observe(time.perf_counter() - g.get("webhook_started", time.perf_counter()))
    return response


def runtime() -> Runtime:
    return current_app.extensions["machimado"]


@blueprint.post("/callback", defaults={"slug": None})
@blueprint.post("/callback/<slug>")
def callback(slug: str | None) -> tuple[str, int]:
    rt = runtime()
    slug = slug or rt.settings.default_slug
    config = rt.settings.municipalities.get(slug)
    if config is None:
        abort(404)
    limit = rt.settings.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        abort(413)
    body = request.get_data(cache=False)
    if len(body) > limit:
        abort(413)
    if not verify(config.channel_secret, body, request.headers.get("X-Line-Signature")):
        log.warning("webhook signature rejected municipality=%s", slug)
        abort(400, description="invalid signature")
    try:
        events, skipped = read_body(body)
    except MalformedBody as exc:
        log.warning("signed webhook body rejected municipality=%s: %s", slug, exc)
        abort(400, description=str(exc))
    if skipped:
        log.warning("skipped %d malformed event(s) municipality=%s", skipped, slug)
    if events:
        try:
            tenant = rt.tenant(slug)
        except Exception as exc:
            if not unavailable(exc):
                raise
            log.error("database unavailable municipality=%s: %d event(s) left for redelivery", slug, len(events))
            raise _retry_later() from None
        assert tenant is not None
        queue = inbound.processor_of(rt)
        try:
            new = store(rt, tenant.id, events, queue.disaster(tenant.id))
        except Exception as exc:
            if not unavailable(exc):
                raise
            log.error("database unavailable municipality=%s: %d event(s) left for redelivery", slug, len(events))
            raise _retry_later() from None
        log.info("webhook municipality=%s events=%d stored=%d", slug, len(events), new)
        if new:
            queue.wake()
    return "OK", 200


def store(rt: Runtime, municipality_id: int, events: list[InboundEvent], disaster: bool) -> int:
    """Store the events in one statement; if that fails for a reason other than an outage (an event the database
    cannot hold), store them one by one and skip, with a log line, the ones that cannot be stored — a signed
    webhook is never a 500, and one odd event never costs the others."""
    try:
        with session_scope(rt.sessions) as session:
            return inbound.accept(session, municipality_id, events, disaster)
    except Exception as exc:
        if unavailable(exc):
            raise
        log.warning("storing %d event(s) together failed (%s): one by one", len(events), type(exc).__name__)
    stored = 0
    for event in events:
        try:
            with session_scope(rt.sessions) as session:
                stored += inbound.accept(session, municipality_id, [event], disaster)
        except Exception as exc:
            if unavailable(exc):
                raise
            log.error("event could not be stored, skipped type=%s error=%s", event.type[:40], type(exc).__name__)
    return stored


def _retry_later() -> ServiceUnavailable:
    error = ServiceUnavailable(description="database unavailable; please redeliver")
    error.retry_after = 60
    return error
