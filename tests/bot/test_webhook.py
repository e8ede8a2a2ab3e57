"""The LINE webhook end to end: signatures, a corpus of every event type, dedupe, replies via the fake API."""

from __future__ import annotations

import json
import logging
import os
from collections import Counter

import pytest
from sqlalchemy import func, select

from bot.handlers import HANDLERS
from bot.inbound import processor_of
from core.models import Follower, InboundEvent, ProcessedEvent
from core.tenancy import DEV_CHANNEL_SECRET
from faq.models import QuestionLog
from line.signature import sign
from tests.helpers import (
    DATA,
    ROOT,
    SHARED,
    body_of,
    event_of,
    needs_shared,
    post_webhook,
    reply_texts,
    running_app,
    text_event,
)

# Webhook bodies this project wrote from the Messaging API reference (every event and message type, optional
# fields, older and partial shapes); the LINE SDK's own test bodies too when ../shared is beside the checkout.
OWN_BODIES = sorted((DATA / "webhooks").glob("*.json"))
SDK_BODIES = sorted((SHARED / "line-webhook-fixtures" / "line-bot-sdk-python").glob("*.json"))
BODIES = [pytest.param(p, id=p.name) for p in OWN_BODIES] + \
    [pytest.param(p, id=f"sdk-{p.name}", marks=needs_shared) for p in SDK_BODIES or [SHARED / "sdk-fixtures-absent"]]
MESSAGE_TYPES = {"text", "image", "video", "audio", "file", "location", "sticker"}
EVENT_TYPES = {"message", "follow", "unfollow", "join", "leave", "memberJoined", "memberLeft", "postback", "beacon",
               "accountLink", "things", "unsend", "videoPlayComplete", "membership", "activated", "deactivated",
               "botSuspended", "botResumed"}


def count(app, model) -> int:
    with app.extensions["machimado"].sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def expected_handling(events: list[dict]) -> tuple[Counter, int]:
    """What the webhook should do with these events, worked out here independently of line.events:
    (handled per type, number of redeliveries of an event already in the body)."""
    seen: set[tuple[str, str]] = set()
    handled: Counter = Counter()
    duplicates = 0
    for event in events:
        content = json.dumps({k: v for k, v in event.items() if k != "deliveryContext"}, sort_keys=True)
        key = (event.get("webhookEventId", ""), content)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        standby = event.get("mode") == "standby" and event["type"] not in ("follow", "unfollow")
        if event["type"] in HANDLERS and not standby:
            handled[event["type"]] += 1
    return handled, duplicates


def test_own_corpus_covers_every_event_and_message_type_of_the_messaging_api() -> None:
    events = [e for p in OWN_BODIES for e in json.loads(p.read_text("utf-8"))["events"]]
    assert EVENT_TYPES <= {e["type"] for e in events}
    assert MESSAGE_TYPES <= {e["message"]["type"] for e in events if e["type"] == "message"}
    assert {s["source"]["type"] for s in events} == {"user", "group", "room"}
    assert EVENT_TYPES <= set(HANDLERS)  # every type LINE sends has a handler (most only acknowledge)
    # The shapes the SDK's WebhookParser cannot take: events without mode/webhookEventId/deliveryContext
    # (it raises for the whole body) or without quoteToken / follow (they become UnknownEvent).
    assert any("webhookEventId" not in e for e in events)
    assert any(e["type"] == "follow" and "follow" not in e for e in events)
    assert any(e.get("mode") == "standby" for e in events)
    assert any(e["deliveryContext"]["isRedelivery"] for e in events if "deliveryContext" in e)


def test_sdk_parser_rejects_the_partial_shapes_the_webhook_accepts() -> None:
    """Why line.events reads event by event: LINE's WebhookParser refuses the whole body (pydantic's
    ValidationError, a ValueError) when one event lacks mode/webhookEventId/deliveryContext."""
    from linebot.v3 import WebhookParser

    raw = (DATA / "webhooks" / "legacy-and-partial-events.json").read_text("utf-8")
    with pytest.raises(ValueError, match="webhookEventId"):
        WebhookParser(DEV_CHANNEL_SECRET).parse(raw, sign(DEV_CHANNEL_SECRET, raw.encode()))


@pytest.mark.parametrize("path", BODIES)
def test_every_corpus_body_signed_is_accepted_and_reaches_handlers(app, client, fake_line, path, caplog) -> None:
    raw = path.read_bytes()
    events = json.loads(raw)["events"]
    with caplog.at_level(logging.INFO, logger="bot.handlers"):
        response = post_webhook(client, raw)
    assert response.status_code == 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    handled = Counter(r.args[0] for r in caplog.records if r.msg.startswith("event handled"))
    expected, redelivered = expected_handling(events)
    assert redelivered >= 1 or path.name.startswith("legacy")
    # a redelivery of an event in the same body is stored once (bot/inbound.py): only one of them is handled
    assert count(app, InboundEvent) == len(events) - redelivered
    assert handled == expected
    # Unknown types ("undefined", a future type) are stored as seen but ignored, not errors.
    assert count(app, ProcessedEvent) == len(events) - redelivered
    tokens = [e["replyToken"] for e in events if "replyToken" in e]
    replies = fake_line.calls_to("reply")
    assert replies and all(c["body"]["replyToken"] in tokens for c in replies)
    if len(set(tokens)) == len(tokens):  # the SDK's bodies reuse one token, which LINE accepts once
        assert all(c["status"] == 200 for c in replies)
        assert len({c["body"]["replyToken"] for c in replies}) == len(replies)  # one reply per token


@pytest.mark.parametrize("path", BODIES)
@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl", "wrong"])
def test_unsigned_or_forged_body_is_rejected_and_nothing_stored(app, client, fake_line, path, signature) -> None:
    response = post_webhook(client, path.read_bytes(), signature=signature)
    assert response.status_code == 400
    assert count(app, ProcessedEvent) == 0
    assert count(app, Follower) == 0
    assert count(app, QuestionLog) == 0
    assert fake_line.calls == []


def test_signature_of_another_secret_is_rejected(app, client, fake_line) -> None:
    response = post_webhook(client, body_of(text_event("ごみの日")), secret="someone-elses-secret")
    assert response.status_code == 400
    assert count(app, QuestionLog) == 0


def test_verify_button_empty_events(client, fake_line) -> None:
    assert post_webhook(client, {"destination": "U0", "events": []}).status_code == 200
    assert fake_line.calls == []


def test_body_over_limit_is_413(client) -> None:
    huge = b'{"events": [], "pad": "' + b"x" * 1_100_000 + b'"}'
    assert post_webhook(client, huge).status_code == 413


def test_signed_but_not_json_is_400_not_500(client) -> None:
    assert post_webhook(client, b"not json at all").status_code == 400
    assert post_webhook(client, b'{"events": "nope"}').status_code == 400


def test_events_missing_optional_fields_still_reach_handlers(app, client, fake_line) -> None:
    """Bodies the SDK's WebhookParser rejects (no mode/webhookEventId/deliveryContext) are handled."""
    legacy = {"type": "message", "replyToken": "legacy-1", "timestamp": 1,
              "source": {"type": "user", "userId": "U" + "b" * 32},
              "message": {"id": "1", "type": "text", "text": "児童手当の申請方法"}}
    broken = {"type": 42}
    response = post_webhook(client, body_of(legacy, broken))
    assert response.status_code == 200
    assert count(app, QuestionLog) == 1
    assert any("児童手当" in t for t in reply_texts(fake_line))


def test_question_is_answered_through_the_fake_line_api(app, client, fake_line) -> None:
    response = post_webhook(client, body_of(text_event("児童手当の申請方法を教えて")))
    assert response.status_code == 200
    replies = fake_line.calls_to("reply")
    assert len(replies) == 1 and replies[0]["status"] == 200
    texts = [m.get("text", "") for m in replies[0]["body"]["messages"]]
    assert "高校生年代" in texts[0]  # the 児童手当 entry's answer
    assert texts[-1] == "解決しましたか？"
    flex = [m for m in replies[0]["body"]["messages"] if m["type"] == "flex"]
    assert flex and flex[0]["contents"]["footer"]["contents"][0]["action"]["uri"] == "https://myna.go.jp"
    with app.extensions["machimado"].sessions() as session:
        log = session.scalars(select(QuestionLog)).one()
        assert log.outcome == "answer" and log.candidates[0]["question"] == "児童手当の申請方法"


def test_redelivered_event_gets_one_reply(app, client, fake_line) -> None:
    event = text_event("ごみの収集日を知りたい")
    assert post_webhook(client, body_of(event)).status_code == 200
    again = dict(event, deliveryContext={"isRedelivery": True})
    assert post_webhook(client, body_of(again)).status_code == 200
    assert len(fake_line.calls_to("reply")) == 1
    assert count(app, QuestionLog) == 1


@pytest.mark.parametrize("text", ["あ" * 5000, "😀😀🎉", "   \n\t ", "！？！？"])
def test_odd_messages_get_a_sensible_reply(app, client, fake_line, text) -> None:
    assert post_webhook(client, body_of(text_event(text))).status_code == 200
    replies = fake_line.calls_to("reply")
    assert len(replies) == 1 and replies[0]["status"] == 200
    body = replies[0]["body"]["messages"][0]["text"]
    assert "文章で" in body or "お問い合わせ" in body or "もしかして" in body


def test_line_api_5xx_does_not_break_webhook_and_question_is_recorded(app, client, fake_line) -> None:
    fake_line.faults.append(("reply", 500))
    assert post_webhook(client, body_of(text_event("粗大ごみの出し方"))).status_code == 200
    assert count(app, QuestionLog) == 1
    assert fake_line.calls_to("reply")[0]["status"] == 500


def test_line_api_unreachable_does_not_break_webhook(env, fake_line, monkeypatch) -> None:
    monkeypatch.setenv("LINE_API_BASE_URL", "http://127.0.0.1:9")  # discard port: connection refused
    with running_app() as app:
        response = post_webhook(app.test_client(), body_of(text_event("粗大ごみの出し方")))
        assert response.status_code == 200
        assert count(app, QuestionLog) == 1


def test_invalid_reply_token_is_logged_not_raised(app, client, fake_line) -> None:
    first = text_event("粗大ごみの出し方")
    second = text_event("ごみの収集日", replyToken=first["replyToken"])
    assert post_webhook(client, body_of(first, second)).status_code == 200
    statuses = [c["status"] for c in fake_line.calls_to("reply")]
    assert statuses == [200, 400]
    assert count(app, QuestionLog) == 2


def test_follow_welcomes_and_records_follower_unfollow_marks(app, client, fake_line) -> None:
    user = "U" + "c" * 32
    assert post_webhook(client, body_of(event_of("follow", user, follow={"isUnblocked": False}))).status_code == 200
    message = fake_line.calls_to("reply")[0]["body"]["messages"][0]
    assert "友だち追加ありがとうございます" in message["text"]
    assert len(message["quickReply"]["items"]) >= 6
    post_webhook(client, body_of(event_of("unfollow", user)))
    with app.extensions["machimado"].sessions() as session:
        assert session.scalars(select(Follower.status)).one() == "blocked"
    post_webhook(client, body_of(event_of("follow", user, follow={"isUnblocked": True})))
    with app.extensions["machimado"].sessions() as session:
        assert session.scalars(select(Follower.status)).one() == "following"


def test_sticker_and_image_get_a_hint(client, fake_line) -> None:
    sticker = event_of("message", message={"id": "9", "type": "sticker", "packageId": "1", "stickerId": "1"})
    assert post_webhook(client, body_of(sticker)).status_code == 200
    reply = fake_line.calls_to("reply")[-1]["body"]["messages"][0]
    assert reply["text"].startswith("スタンプありがとうございます")  # #26 (12): friendly, with the menu
    labels = [i["action"]["label"] for i in reply["quickReply"]["items"]]
    assert "文字を大きく" in labels and "Language / 言語" in labels  # #26 (6): the large menu is offered
    video = event_of("message", message={"id": "10", "type": "video", "duration": 1000,
                                         "contentProvider": {"type": "line"}})
    post_webhook(client, body_of(video))
    assert "動画にはお答えできません" in reply_texts(fake_line)[-1]


@pytest.mark.parametrize("text", ["もじ おおきく して", "文字を大きく", "見えにくい"])
def test_residents_words_for_larger_text_reach_the_large_menu(client, fake_line, text: str) -> None:
    post_webhook(client, body_of(text_event(text)))
    assert "大きなボタン" in reply_texts(fake_line)[-1]


def test_group_messages_answered_only_when_mentioned(app, client, fake_line) -> None:
    group = {"type": "group", "groupId": "C" + "1" * 32, "userId": "U" + "d" * 32}
    plain = text_event("粗大ごみの出し方", source=group)
    mentioned = text_event("粗大ごみの出し方", source=group)
    mentioned["message"]["mention"] = {"mentionees": [{"index": 0, "length": 4, "type": "user", "isSelf": True}]}
    post_webhook(client, body_of(plain, mentioned))
    assert len(fake_line.calls_to("reply")) == 1
    assert count(app, Follower) == 0  # group members are not followers


def test_suggestion_postback_shows_answer_and_feedback_is_stored(app, client, fake_line) -> None:
    from faq.models import FaqEntry, Feedback

    with app.extensions["machimado"].sessions() as session:
        entry = session.scalars(select(FaqEntry).where(FaqEntry.key == "gomi-sodai")).one()
    post_webhook(client, body_of(event_of("postback", postback={"data": f"action=answer&entry={entry.id}"})))
    assert "粗大ごみ" in reply_texts(fake_line)[0]
    post_webhook(client, body_of(event_of("postback", postback={"data": f"action=feedback&v=1&entry={entry.id}"})))
    with app.extensions["machimado"].sessions() as session:
        feedback = session.scalars(select(Feedback)).one()
        assert feedback.helpful and feedback.entry_id == entry.id


def test_unsend_forgets_the_question_text(app, client, fake_line) -> None:
    event = text_event("国民健康保険に入りたい")
    post_webhook(client, body_of(event))
    unsend = event_of("unsend", unsend={"messageId": event["message"]["id"]})
    post_webhook(client, body_of(unsend))
    with app.extensions["machimado"].sessions() as session:
        log = session.scalars(select(QuestionLog)).one()
        assert log.text == "" and log.outcome  # statistics kept, words gone


def test_message_bodies_never_reach_the_logs(client, fake_line, caplog) -> None:
    secret_words = "私の住所は秘密町1-2-3です"
    with caplog.at_level(logging.DEBUG):
        post_webhook(client, body_of(text_event(secret_words)))
    assert all("秘密町" not in r.getMessage() for r in caplog.records)


def test_line_api_timeout_does_not_break_webhook(env, fake_line, monkeypatch) -> None:
    monkeypatch.setenv("LINE_API_TIMEOUT", "0.5")
    fake_line.hang_s = 2.0
    fake_line.faults.append(("reply", -1))
    with running_app() as app:
        response = post_webhook(app.test_client(), body_of(text_event("粗大ごみの出し方")))
        assert response.status_code == 200
        assert count(app, QuestionLog) == 1


def test_slow_line_api_does_not_hold_the_webhook_response(env, fake_line) -> None:
    """The reply leaves after the response: a LINE API that takes 2 s to answer costs the webhook
    nothing, and the reply still arrives."""
    import time

    fake_line.latency_s = 2.0
    with running_app() as app:
        raw = json.dumps(body_of(text_event("粗大ごみの出し方"))).encode()
        started = time.perf_counter()
        response = app.test_client().post("/callback", data=raw, headers={
            "Content-Type": "application/json", "X-Line-Signature": sign(DEV_CHANNEL_SECRET, raw)})
        elapsed = time.perf_counter() - started
        assert response.status_code == 200 and elapsed < 1.5
        processor_of(app.extensions["machimado"]).drain()
        assert app.extensions["machimado"].replies.drain(timeout=10)
    assert [c["status"] for c in fake_line.calls_to("reply")] == [200]


def test_queued_replies_are_sent_before_the_runtime_closes(env, fake_line) -> None:
    fake_line.latency_s = 0.3
    with running_app() as app:
        client = app.test_client()
        for text in ("粗大ごみの出し方", "住民票がほしい", "児童手当の申請"):
            raw = json.dumps(body_of(text_event(text))).encode()
            client.post("/callback", data=raw, headers={"Content-Type": "application/json",
                                                        "X-Line-Signature": sign(DEV_CHANNEL_SECRET, raw)})
        rt = app.extensions["machimado"]
        processor = processor_of(rt)
        while processor.run_once():  # handled, replies handed to the sender (not waited for)
            pass
    assert len(fake_line.calls_to("reply")) == 3  # close() waited for them


def _database_down(app, monkeypatch, database_url: str) -> None:
    """Point the app at a database that refuses connections (a real failure of the same dialect)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    rt = app.extensions["machimado"]
    down = ("postgresql+psycopg://postgres@127.0.0.1:1/test" if database_url.startswith("postgresql")
            else "sqlite:////proc/machimado-no-such-dir/db.sqlite3")
    monkeypatch.setattr(rt, "sessions", sessionmaker(bind=create_engine(down)))


@pytest.mark.parametrize("tenant_known", [False, True], ids=["first-request", "later-request"])
def test_database_outage_asks_line_to_redeliver_and_loses_nothing(app, client, fake_line, monkeypatch, caplog,
                                                                 database_url, tenant_known) -> None:
    rt = app.extensions["machimado"]
    working = rt.sessions
    if tenant_known:
        assert post_webhook(client, body_of(text_event("ごみの収集日を知りたい"))).status_code == 200
    else:
        rt._tenants.clear()  # noqa: SLF001 - a fresh worker resolves its municipality on the first event
    before = count(app, QuestionLog)
    event = text_event("粗大ごみの出し方を教えて", user_id="U" + "b" * 32)
    _database_down(app, monkeypatch, database_url)
    with caplog.at_level(logging.INFO):
        response = post_webhook(client, body_of(event))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert response.get_json()["error"] == "Service Unavailable"
    assert "粗大" not in caplog.text  # the resident's words never reach the log
    monkeypatch.setattr(rt, "sessions", working)
    assert count(app, QuestionLog) == before
    replies = len(fake_line.calls_to("reply"))
    # The database is back; LINE redelivers the same event: handled once, answered once.
    redelivered = dict(event, deliveryContext={"isRedelivery": True})
    assert post_webhook(client, body_of(redelivered)).status_code == 200
    assert post_webhook(client, body_of(redelivered)).status_code == 200
    assert count(app, QuestionLog) == before + 1
    assert len(fake_line.calls_to("reply")) == replies + 1


def test_handler_bug_is_not_redelivered(app, client, fake_line, monkeypatch) -> None:
    """A failure that a retry cannot fix (a bug, bad data) is logged and acknowledged with 200."""
    def broken(ctx):
        raise ValueError("bug")

    monkeypatch.setitem(HANDLERS, "message", broken)
    assert post_webhook(client, body_of(text_event("ごみの収集日"))).status_code == 200
    assert fake_line.calls_to("reply") == []


def test_same_event_delivered_twice_at_once_is_stored_once_and_acted_on_once(app, client, fake_line) -> None:
    """Two deliveries of one event arriving together are stored once (the unique dedupe key, bot/inbound.py)."""
    import threading

    event = text_event("粗大ごみの出し方")
    raw = json.dumps(body_of(event)).encode()
    headers = {"Content-Type": "application/json", "X-Line-Signature": sign(DEV_CHANNEL_SECRET, raw)}
    statuses: list[int] = []
    threads = [threading.Thread(target=lambda: statuses.append(app.test_client().post(
        "/callback", data=raw, headers=headers).status_code)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200, 200]
    before = count(app, QuestionLog)
    processor_of(app.extensions["machimado"]).drain()
    assert count(app, InboundEvent) == 1 and count(app, QuestionLog) == before + 1
    assert len(fake_line.calls_to("reply")) == 1


def test_an_event_taken_again_after_its_lease_is_not_handled_twice(app, client, fake_line) -> None:
    """A worker handled an event and committed, but a second worker took the same event (its lease had run out
    while the first was slow): the committed dedupe claim makes it a duplicate — no second answer, no second log."""
    from datetime import timedelta

    from sqlalchemy import update

    from bot.dispatch import claim
    from bot.inbound import accept
    from core.timeutil import utcnow
    from line.events import read_body

    rt = app.extensions["machimado"]
    tenant = rt.tenant("sample")
    [inbound], _ = read_body(json.dumps(body_of(text_event("粗大ごみの出し方"))).encode())
    with rt.sessions() as session:
        accept(session, tenant.id, [inbound])
        assert claim(session, tenant, inbound)  # the first worker's committed claim
        session.execute(update(InboundEvent).values(status="processing",
                                                     lease_until=utcnow() - timedelta(seconds=1)))
        session.commit()
    before = count(app, QuestionLog)
    assert processor_of(rt).drain() == 1
    assert count(app, QuestionLog) == before and fake_line.calls_to("reply") == []
    with rt.sessions() as session:
        row = session.scalars(select(InboundEvent)).one()
        assert (row.status, row.outcome, row.body) == ("done", "duplicate", None)


def test_gunicorn_hooks_warm_a_new_worker_in_the_background_and_close_it_on_exit(app, monkeypatch) -> None:
    import runpy
    import threading
    import types

    from faq.kb import MatcherCache

    for name in ("PROMETHEUS_MULTIPROC_DIR", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(name, os.environ.get(name, ""))  # the file sets them: undone after this test
        if not os.environ[name]:
            monkeypatch.delenv(name)
    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    rt = app.extensions["machimado"]
    monkeypatch.setattr(rt, "matchers", MatcherCache())
    started, release, warm_up = threading.Event(), threading.Event(), rt.warm_up

    def held_warm_up() -> None:
        started.set()
        release.wait(10)
        warm_up()

    monkeypatch.setattr(rt, "warm_up", held_warm_up)
    worker = types.SimpleNamespace(wsgi=app)
    hooks["post_worker_init"](worker)  # returns while the warm-up is still held: requests are not blocked
    assert started.wait(10)
    thread = next(t for t in threading.enumerate() if t.name == "warm-up")
    assert thread.daemon and not rt.matchers._cached  # noqa: SLF001
    release.set()
    thread.join(timeout=60)
    assert rt.matchers._cached  # noqa: SLF001 - built by the background warm-up
    closed = []
    monkeypatch.setattr(rt, "close", lambda: closed.append(True))
    hooks["worker_exit"](None, worker)
    hooks["worker_exit"](None, types.SimpleNamespace())  # a worker that never loaded the app
    assert closed == [True]


def test_worker_warm_up_builds_matchers_and_survives_a_database_outage(app, monkeypatch, caplog,
                                                                      database_url) -> None:
    from faq.kb import MatcherCache

    rt = app.extensions["machimado"]
    monkeypatch.setattr(rt, "matchers", MatcherCache())
    rt.warm_up()
    assert rt.matchers._cached  # noqa: SLF001 - the first question finds its matcher built
    rt._tenants.clear()  # noqa: SLF001
    monkeypatch.setattr(rt, "matchers", MatcherCache())
    _database_down(app, monkeypatch, database_url)
    with caplog.at_level(logging.WARNING, logger="bot.runtime"):
        rt.warm_up()  # logged, not raised: the worker still starts
    assert "warm-up failed municipality=sample" in caplog.text
    assert not rt.matchers._cached  # noqa: SLF001


def test_a_read_only_postgresql_asks_line_to_redeliver_and_loses_nothing(app, client, fake_line, database_url
                                                                          ) -> None:
    """#25: a read-only server (SQLSTATE 25006) is an outage: 503 + Retry-After, nothing accepted and lost."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's read-only transactions")
    from sqlalchemy import event as sa_event

    rt = app.extensions["machimado"]
    rt.tenant(rt.settings.default_slug)
    engine = rt.engine

    def read_only(dbapi_conn, _record) -> None:
        with dbapi_conn.cursor() as cursor:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        dbapi_conn.commit()

    sa_event.listen(engine, "connect", read_only)
    engine.dispose()
    try:
        before = len(fake_line.calls_to("reply"))
        event = text_event("粗大ごみの出し方を教えて", user_id="U" + "d" * 32)
        response = post_webhook(client, body_of(event))
        assert response.status_code == 503 and response.headers["Retry-After"] == "60"
        assert len(fake_line.calls_to("reply")) == before
    finally:
        sa_event.remove(engine, "connect", read_only)
        engine.dispose()
    assert post_webhook(client, body_of(event)).status_code == 200  # LINE redelivers: answered once
    assert count(app, QuestionLog) == 1


def test_a_new_residents_simultaneous_first_events_are_both_handled(app) -> None:
    """#25: a question and a postback from a resident the bot has never seen, handled at the same moment: both are
    handled (the second uses the first one's follower row), none "errors" away; on SQLite a write that lost the race
    is "unavailable" (LINE redelivers it), never lost."""
    import threading

    from bot import dispatch
    from line.events import read_event

    rt = app.extensions["machimado"]
    tenant = rt.default_tenant()
    outcomes: list[str] = []
    for i in range(12):
        user = f"U{0xC0FFEE00 + i:032x}"
        events = [read_event(text_event("粗大ごみの出し方", user)),
                  read_event(event_of("postback", user, postback={"data": "action=prefs"}))]
        barrier = threading.Barrier(2)

        def run(event, barrier: threading.Barrier) -> None:
            barrier.wait()
            outcomes.extend(dispatch.handle_events(rt, tenant, [event]))

        threads = [threading.Thread(target=run, args=(e, barrier)) for e in events]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for event in events:  # LINE redelivers what was not accepted
            if "unavailable" in outcomes[-2:]:
                outcomes.extend(dispatch.handle_events(rt, tenant, [event]))
        with rt.sessions() as session:
            assert session.scalar(select(func.count(Follower.id)).where(Follower.line_user_id == user)) == 1
    assert "error" not in outcomes


def test_a_signed_user_id_longer_than_lines_is_skipped_not_a_traceback(app, client, fake_line) -> None:
    response = post_webhook(client, body_of(text_event("粗大ごみの出し方", "U" + "f" * 200)))
    assert response.status_code == 200 and fake_line.calls_to("reply") == []
    assert count(app, QuestionLog) == 0
