"""Notices: audience rules, exactly-once delivery through crashes and LINE faults, failures visible."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from broadcasts.delivery import progress
from broadcasts.models import Notice, NoticeBatch
from broadcasts.notices import NoticeError, cancel, create_notice, preview
from broadcasts.worker import Worker
from core.db import session_scope
from core.models import Follower
from tests.helpers import FAST, add_followers, delivery, make_notice, run_worker, user


def notice_row(app, notice_id: int) -> Notice:
    with app.extensions["machimado"].sessions() as session:
        return session.get(Notice, notice_id)


def delivered_to(fake_line) -> Counter[str]:
    return Counter(d["to"] for d in fake_line.deliveries if d["endpoint"] != "reply")


def test_topic_segment_is_multicast_in_batches_of_500_exactly_once(app, fake_line) -> None:
    wanted = add_followers(app, fake_line, 1200, topics=["健康・福祉"])
    add_followers(app, fake_line, 300, topics=["イベント"], start=5000)
    add_followers(app, fake_line, 50, topics=None, status="blocked", start=9000)
    notice_id = make_notice(app)
    run_worker(app)
    counts = delivered_to(fake_line)
    assert set(counts) == set(wanted) and set(counts.values()) == {1}
    sizes = [len(c["body"]["to"]) for c in fake_line.calls_to("multicast")]
    assert sorted(sizes) == [200, 500, 500]
    assert all(c["retry_key"] for c in fake_line.calls_to("multicast"))
    row = notice_row(app, notice_id)
    assert (row.status, row.recipients_total, row.recipients_sent) == ("sent", 1200, 1200)


def test_emergency_to_everyone_uses_broadcast_and_ignores_topic_opt_outs(app, fake_line) -> None:
    everyone = add_followers(app, fake_line, 30, topics=["イベント"])
    add_followers(app, fake_line, 5, status="blocked", start=100)
    notice_id = make_notice(app, title="避難所を開設しました", body="中央公民館を開設しました。", category="防災",
                            severity="emergency")
    run_worker(app)
    assert len(fake_line.calls_to("broadcast")) == 1
    assert Counter(delivered_to(fake_line)) == Counter(everyone)
    assert notice_row(app, notice_id).status == "sent"


def test_district_targets(app, fake_line) -> None:
    north = add_followers(app, fake_line, 3, district="北地区")
    add_followers(app, fake_line, 3, district="南地区", start=10)
    unknown = add_followers(app, fake_line, 2, district=None, start=20)
    make_notice(app, districts=["北地区"])
    run_worker(app)
    assert set(delivered_to(fake_line)) == set(north)  # normal: only residents who chose the district
    fake_line.deliveries.clear()
    make_notice(app, title="断水", body="北地区で断水中です。", category="防災", severity="emergency",
                districts=["北地区"])
    run_worker(app)
    assert set(delivered_to(fake_line)) == set(north) | set(unknown)  # emergency: nobody left behind


def test_crash_mid_delivery_then_restart_delivers_exactly_once(app, fake_line) -> None:
    wanted = add_followers(app, fake_line, 2300, topics=None, district="北地区")
    make_notice(app, districts=["北地区"])
    crashed = run_worker(app, concurrency=1, crash_after=2)
    assert crashed.crashed
    with app.extensions["machimado"].sessions() as session:
        states = Counter(session.scalars(select(NoticeBatch.status)))
    # One batch recorded; the one in flight when it died (and the rest it had claimed) stay "sending".
    assert states["sent"] == 1 and states["sending"] >= 1 and sum(states.values()) == 5
    run_worker(app, concurrency=2, lease_s=0)  # restart; the dead worker's lease is over
    counts = delivered_to(fake_line)
    assert set(counts) == set(wanted) and set(counts.values()) == {1}
    assert any(c["status"] == 409 for c in fake_line.calls_to("multicast"))  # resend was deduplicated by LINE


def test_intermittent_500_timeouts_and_429_still_exactly_once(app, fake_line) -> None:
    wanted = add_followers(app, fake_line, 3000, topics=None, district="南地区")
    fake_line.hang_s = 1.5
    fake_line.faults.extend([("multicast", 500), ("multicast", -2), ("multicast", 429), ("multicast", -1),
                             ("multicast", 503), ("multicast", -2)])
    rt = app.extensions["machimado"]
    rt.settings = rt.settings.with_overrides({"line_timeout_s": 0.5})
    rt._clients.clear()
    notice_id = make_notice(app, districts=["南地区"])
    from broadcasts import delivery

    original = delivery.BACKOFF_S
    delivery.BACKOFF_S = (0.01,) * 8
    try:
        run_worker(app, concurrency=3)
    finally:
        delivery.BACKOFF_S = original
    counts = delivered_to(fake_line)
    assert set(counts) == set(wanted) and set(counts.values()) == {1}
    row = notice_row(app, notice_id)
    assert (row.status, row.recipients_sent, row.recipients_failed) == ("sent", 3000, 0)


def test_a_rejected_batch_fails_visibly_and_the_rest_is_delivered(app, fake_line) -> None:
    add_followers(app, fake_line, 1500, topics=None, district="東地区")
    fake_line.faults.append(("multicast", 400))
    notice_id = make_notice(app, districts=["東地区"])
    run_worker(app, concurrency=1)
    assert len(delivered_to(fake_line)) == 1000
    row = notice_row(app, notice_id)
    assert (row.status, row.recipients_sent, row.recipients_failed) == ("partially_failed", 1000, 500)
    with app.extensions["machimado"].sessions() as session:
        failed = session.scalars(select(NoticeBatch).where(NoticeBatch.status == "failed")).one()
        assert failed.last_error.startswith("400") and failed.attempts == 1
        assert progress(session, notice_id)["batches_failed"] == 1


def test_scheduled_notice_waits_and_can_be_cancelled(app, fake_line) -> None:
    add_followers(app, fake_line, 10)
    later = make_notice(app, scheduled_at=datetime.now(UTC) + timedelta(hours=2))
    run_worker(app)
    assert fake_line.deliveries == [] and notice_row(app, later).status == "scheduled"
    rt = app.extensions["machimado"]
    with session_scope(rt.sessions) as session:
        assert cancel(session, session.get(Notice, later))
    with session_scope(rt.sessions) as session:
        session.get(Notice, later).scheduled_at = datetime.now(UTC) - timedelta(minutes=1)
    run_worker(app)
    assert fake_line.deliveries == [] and notice_row(app, later).status == "cancelled"


def test_preview_shows_exact_messages_and_audience(app, fake_line) -> None:
    add_followers(app, fake_line, 4, topics=["イベント"])
    add_followers(app, fake_line, 6, topics=["健康・福祉"], start=10)
    rt = app.extensions["machimado"]
    tenant = rt.tenant(rt.settings.default_slug)
    with session_scope(rt.sessions) as session:
        notice = create_notice(session, tenant.id, tenant.config, title="夏まつり", body="8月1日に開催します。",
                               category="イベント", links=[{"label": "詳しく", "url": "https://example.jp"}],
                               draft=True)
        result = preview(session, tenant.id, notice)
    assert result.audience == 4 and result.followers == 10 and result.method == "multicast"
    assert result.messages[0]["text"].startswith("【お知らせ】夏まつり")
    assert result.messages[1]["type"] == "flex"


@pytest.mark.parametrize("fields, words", [
    ({"title": ""}, "件名と本文"),
    ({"category": "占い"}, "設定されていません"),
    ({"districts": ["火星"]}, "地区"),
    ({"severity": "panic"}, "severity"),
])
def test_invalid_notices_are_refused(app, fields, words) -> None:
    with pytest.raises(NoticeError, match=words):
        make_notice(app, **fields)


def test_worker_stops_on_signal(app, fake_line) -> None:
    stop = threading.Event()
    worker = Worker(*delivery(app), pacer=FAST, concurrency=2)
    thread = threading.Thread(target=worker.run, kwargs={"stop": stop, "poll_s": 0.05})
    thread.start()
    add_followers(app, fake_line, 5)
    make_notice(app)
    for _ in range(100):
        if len(fake_line.deliveries) == 5:
            break
        stop.wait(0.05)
    stop.set()
    thread.join(5)
    assert not thread.is_alive() and len(fake_line.deliveries) == 5


@pytest.mark.parametrize("topic, emergency, districts", [
    ("イベント", False, ()), ("イベント", False, ("北地区",)), ("防災", True, ("北地区", "南地区")), ("税", False, ()),
])
def test_sql_audience_matches_the_documented_rules(app, fake_line, topic, emergency, districts) -> None:
    import random

    from broadcasts.audience import Target, recipients, wants

    rng = random.Random(7)
    rt = app.extensions["machimado"]
    tenant = rt.tenant(rt.settings.default_slug)
    people = []
    with session_scope(rt.sessions) as session:
        for i in range(300):
            topics = None if i % 7 == 0 else rng.sample(list(tenant.config.topics), rng.randint(0, 3))
            district = None if i % 5 == 0 else rng.choice(tenant.config.districts)
            status = "blocked" if i % 11 == 0 else "following"
            session.add(Follower(municipality_id=tenant.id, line_user_id=user(i), topics=topics, district=district,
                                 status=status))
            people.append((user(i), topics, district, status))
    target = Target(topic, emergency, districts)
    expected = [u for u, t, d, s in people if s == "following" and wants(t, d, target)]
    with rt.sessions() as session:
        assert recipients(session, tenant.id, target) == expected


def test_several_workers_at_once_deliver_exactly_once(app, fake_line) -> None:
    wanted = add_followers(app, fake_line, 6000, topics=None, district="西地区")
    make_notice(app, districts=["西地区"])
    workers = [Worker(*delivery(app), pacer=FAST, concurrency=2, claim_size=2, worker_id=f"w{i}")
               for i in range(3)]
    planned = [w.plan() for w in workers]  # all try to plan at once: exactly one may
    assert sorted(len(p) for p in planned) == [0, 0, 1]
    fake_line.latency_s = 0.02
    threads = [threading.Thread(target=w.run, kwargs={"drain": True}) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    counts = delivered_to(fake_line)
    assert set(counts) == set(wanted) and set(counts.values()) == {1}
    assert sum(w.stats.sent for w in workers) == 12
    assert sum(1 for w in workers if w.stats.sent) >= 2  # the work was actually shared


def test_stopping_hands_unsent_batches_back_at_once(app, fake_line) -> None:
    from broadcasts.delivery import claim_batches, release

    add_followers(app, fake_line, 1500, topics=None, district="中央地区")
    make_notice(app, districts=["中央地区"])
    rt = app.extensions["machimado"]
    worker = Worker(rt.sessions, rt.line_client, pacer=FAST)
    worker.plan()
    from datetime import timedelta

    with session_scope(rt.sessions) as session:
        jobs = claim_batches(session, "w-stop", timedelta(seconds=60), 3)
    assert len(jobs) == 3
    with session_scope(rt.sessions) as session:
        release(session, "w-stop", [j.batch_id for j in jobs])
    with rt.sessions() as session:
        rows = session.execute(select(NoticeBatch.status, NoticeBatch.attempts)).all()
    assert rows == [("pending", 0)] * 3
    run_worker(app)  # another worker takes them immediately (no lease to wait for)
    assert len(delivered_to(fake_line)) == 1500
