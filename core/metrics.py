"""Prometheus metrics of the request path and the knowledge base (exposed at /metrics, app/metrics.py).

Counters and histograms only, registered in prometheus_client's default registry; under gunicorn every worker
writes them to ``PROMETHEUS_MULTIPROC_DIR`` (gunicorn.conf.py sets one) and a scrape of any worker sums them.
What lives in the database (the notice queue, deliveries) is read at scrape time instead.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

WEBHOOK_REQUESTS = Counter("machimado_webhook_requests", "Webhook requests by outcome", ["outcome"])
WEBHOOK_SECONDS = Histogram("machimado_webhook_seconds", "Webhook response time by outcome", ["outcome"],
                            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
ANSWERS = Counter("machimado_answers", "Residents' questions by what the bot did (answer, suggest, fallback)",
                  ["outcome"])
MATCHER_REBUILDS = Counter("machimado_matcher_rebuilds", "Matchers (per municipality index) built by this process")

# The webhook's HTTP status, as an outcome operators read.
WEBHOOK_OUTCOMES = {200: "ok", 400: "rejected", 404: "unknown_municipality", 413: "too_large", 503: "unavailable"}
INBOUND_EVENTS = Counter("machimado_inbound_events", "Webhook events accepted, handled, retried or failed (the queue)",
                         ["stage"])
LATE_REPLIES = Counter("machimado_late_replies_pushed",
                       "Answers sent by push because the reply token was too old (they count against the quota)")
QUESTION_TO_REPLY = Histogram("machimado_event_wait_seconds", "From an event's arrival to its answer being sent",
                              buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0))
