"""``GET /metrics``: Prometheus text format, for the operator's monitoring — protected by a bearer token
(``MACHIMADO_METRICS_TOKEN``; without one the endpoint does not exist: 404).

Process metrics (core/metrics.py, line/metrics.py) come from prometheus_client; under gunicorn from every
worker through ``PROMETHEUS_MULTIPROC_DIR``. What lives in the database is read at each scrape: the notice
queue by batch status and the recipients delivered so far (its rate is the delivery rate), and the webhook events'
queue (depth, oldest waiting, failed).
"""

from __future__ import annotations

import os
import secrets

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import REGISTRY, CollectorRegistry, Gauge, generate_latest, multiprocess
from sqlalchemy import func, select

from bot import inbound
from broadcasts.models import Notice, NoticeBatch
from core.db import session_scope

blueprint = Blueprint("metrics", __name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _process_metrics() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def _database_metrics() -> bytes:
    registry = CollectorRegistry()
    queue = Gauge("machimado_notice_batches", "Notice delivery batches by status", ["status"], registry=registry)
    sent = Gauge("machimado_notice_recipients_sent", "Recipients notices were delivered to (rate = delivery rate)",
                 registry=registry)
    runtime = current_app.extensions["machimado"]
    with session_scope(runtime.sessions) as session:
        for status, count in session.execute(select(NoticeBatch.status, func.count(NoticeBatch.id))
                                             .group_by(NoticeBatch.status)):
            queue.labels(status).set(count)
        sent.set(session.scalar(select(func.coalesce(func.sum(Notice.recipients_sent), 0))) or 0)
        queue_now = inbound.stats(session)
    # written as text, not as Gauge objects: under PROMETHEUS_MULTIPROC_DIR a Gauge made per scrape leaves files
    lines = [("machimado_inbound_queue_depth", "Webhook events waiting or being handled", queue_now.depth),
             ("machimado_inbound_oldest_age_seconds", "How long the oldest waiting event has waited",
              round(queue_now.oldest_age_s, 3)),
             ("machimado_inbound_failed", "Events kept after repeated handling errors", queue_now.failed)]
    text = "".join(f"# HELP {name} {help_}\n# TYPE {name} gauge\n{name} {value}\n" for name, help_, value in lines)
    return generate_latest(registry) + text.encode()


@blueprint.get("/metrics")
def metrics() -> Response:
    token = runtime_token()
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not secrets.compare_digest(given.encode(), token.encode()):
        abort(401)
    return Response(_process_metrics() + _database_metrics(), content_type=CONTENT_TYPE)


def runtime_token() -> str:
    return str(current_app.extensions["machimado"].settings.metrics_token)
