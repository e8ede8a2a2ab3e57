"""/metrics: Prometheus text behind a bearer token; webhook outcomes and latency, answer outcomes, LINE API calls
by endpoint and status, matcher rebuilds, and the notice queue read from the database."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import add_followers, body_of, build_app, make_notice, post_webhook, run_worker, text_event

TOKEN = "metrics-token-for-tests"


@pytest.fixture
def metered(env, fake_line, monkeypatch):
    monkeypatch.setenv("MACHIMADO_METRICS_TOKEN", TOKEN)
    app = build_app()
    yield app
    app.extensions["machimado"].close()


def scrape(app) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.content_type.startswith("text/plain; version=0.0.4")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.data.decode()) for s in family.samples}


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_no_token_no_endpoint(app, client) -> None:
    assert client.get("/metrics").status_code == 404


def test_a_wrong_token_is_refused(metered) -> None:
    client = metered.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_the_request_path_is_counted(metered, fake_line) -> None:
    before = scrape(metered)
    client = metered.test_client()
    assert post_webhook(client, body_of(text_event("粗大ごみの出し方"))).status_code == 200
    assert post_webhook(client, body_of(text_event("宇宙船の操縦方法"))).status_code == 200
    assert post_webhook(client, body_of(text_event("x")), signature="forged").status_code == 400
    metered.extensions["machimado"].replies.close()  # the replies leave after the responses: wait for them
    after = scrape(metered)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("machimado_webhook_requests_total", outcome="ok") == 2
    assert delta("machimado_webhook_requests_total", outcome="rejected") == 1
    assert delta("machimado_webhook_seconds_count", outcome="ok") == 2
    assert delta("machimado_answers_total", outcome="answer") == 1
    assert delta("machimado_answers_total", outcome="fallback") == 1
    assert delta("machimado_line_api_calls_total", endpoint="reply", status="200") == 2
    assert value(after, "machimado_matcher_rebuilds_total") >= 1


def test_the_notice_queue_is_read_from_the_database(metered, fake_line) -> None:
    add_followers(metered, fake_line, 3)
    make_notice(metered, title="健診", body="今月です。")
    run_worker(metered)
    samples = scrape(metered)
    assert value(samples, "machimado_notice_batches", status="sent") == 1
    assert value(samples, "machimado_notice_recipients_sent") == 3
