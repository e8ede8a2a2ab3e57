"""Accept first, handle after (#25): a webhook body is stored before the 200 and handled after; a redelivery is
stored once; one resident's events stay in order; a late or refused reply token becomes a push with a retry key;
disaster mode puts shelter and location events first; a worker killed after claiming leaves its events to another,
which answers each once; /readyz and /metrics show the queue."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import func, select, update

from bot.inbound import accept, claim, priority_of, processor_of
from core.models import InboundEvent
from core.timeutil import utcnow
from faq.models import QuestionLog
from line.events import read_body
from tests.helpers import ROOT, body_of, event_of, post_webhook, text_event

A, B = "U" + "a1" * 16, "U" + "b2" * 16


def count(app, model) -> int:
    with app.extensions["machimado"].sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def post_only(client, body: dict):
    """POST the webhook without handling what it stored (what LINE sees)."""
    from core.tenancy import DEV_CHANNEL_SECRET
    from line.signature import sign
    raw = json.dumps(body, ensure_ascii=False).encode()
    return client.post("/callback", data=raw, headers={"Content-Type": "application/json",
                                                       "X-Line-Signature": sign(DEV_CHANNEL_SECRET, raw)})


def test_the_body_is_stored_before_the_200_and_handled_after(app, client, fake_line) -> None:
    before = count(app, QuestionLog)
    assert post_only(client, body_of(text_event("粗大ごみの出し方", A))).status_code == 200
    assert count(app, QuestionLog) == before and fake_line.calls_to("reply") == []  # nothing handled in the request
    with app.extensions["machimado"].sessions() as session:
        row = session.scalars(select(InboundEvent)).one()
        assert row.status == "queued" and row.body["message"]["text"] == "粗大ごみの出し方"
    assert processor_of(app.extensions["machimado"]).drain() == 1
    assert count(app, QuestionLog) == before + 1 and len(fake_line.calls_to("reply")) == 1
    with app.extensions["machimado"].sessions() as session:
        row = session.scalars(select(InboundEvent)).one()
        assert (row.status, row.body, row.reply_mode) == ("done", None, "reply")  # the message is not kept here
    # LINE redelivers it later: stored once, handled once
    event = text_event("住民票がほしい", A)
    post_webhook(client, body_of(event))
    post_webhook(client, body_of(dict(event, deliveryContext={"isRedelivery": True})))
    assert count(app, InboundEvent) == 2 and len(fake_line.calls_to("reply")) == 2


def test_one_residents_events_stay_in_order_and_a_flood_does_not_hold_others_back(app, client, fake_line) -> None:
    flood = [text_event(f"質問{n}です", A) for n in range(20)]
    post_only(client, body_of(*flood, text_event("粗大ごみの出し方", B)))
    rt = app.extensions["machimado"]
    with rt.sessions() as session:
        first = claim(session, "w1", limit=32)
    assert [r.user_key for r in first] == [f"u:{A}", f"u:{B}"]  # one per resident: B is not behind A's twenty
    with rt.sessions() as session:
        assert claim(session, "w2", limit=32) == []  # A's next waits for A's first
    processor = processor_of(rt)
    processor.send(processor.process(first))
    processor.drain()
    texts = [c["body"]["replyToken"] for c in fake_line.calls_to("reply")]
    order = {e["replyToken"]: n for n, e in enumerate(flood)}
    a_tokens = [t for t in texts if t in order]
    assert a_tokens == sorted(a_tokens, key=order.__getitem__) and len(a_tokens) == 20


def test_a_late_reply_token_is_answered_by_push_once(app, client, fake_line) -> None:
    post_only(client, body_of(text_event("粗大ごみの出し方", A)))
    rt = app.extensions["machimado"]
    with rt.sessions() as session:  # the answer is ready a minute after the event arrived
        session.execute(update(InboundEvent).values(received_at=utcnow() - timedelta(seconds=61)))
        session.commit()
    processor_of(rt).drain()
    assert fake_line.calls_to("reply") == []
    (push,) = fake_line.calls_to("push")
    assert push["status"] == 200 and push["body"]["to"] == A and push["retry_key"]
    with rt.sessions() as session:
        assert session.scalar(select(InboundEvent.reply_mode)) == "push"
    from tests.admin.test_console import login, make_staff
    login(client, make_staff(app)["viewer"])
    assert "直近7日で 1件の回答を応答メッセージではなくプッシュメッセージで送りました" in client.get("/admin/").text


def test_a_refused_reply_token_falls_back_to_a_push(app, client, fake_line) -> None:
    fake_line.faults.append(("reply", 400))
    post_webhook(client, body_of(text_event("粗大ごみの出し方", A)))
    assert [c["status"] for c in fake_line.calls_to("reply")] == [400]
    assert [c["status"] for c in fake_line.calls_to("push")] == [200]


def test_disaster_mode_puts_shelter_and_location_events_first(app) -> None:
    ordinary = text_event("粗大ごみの出し方", A)
    shelter = text_event("避難所はどこですか", B)
    location = event_of("message", "U" + "c3" * 16, message={"id": "1", "type": "location", "title": "",
                                                             "address": "", "latitude": 31.6, "longitude": 130.5})
    events, _ = read_body(json.dumps(body_of(ordinary, shelter, location)).encode())
    assert [priority_of(e, disaster=True) for e in events] == [0, 1, 1]
    assert [priority_of(e, disaster=False) for e in events] == [0, 0, 0]
    rt = app.extensions["machimado"]
    with rt.sessions() as session:
        accept(session, rt.default_tenant().id, events, disaster=True)
        session.commit()
        claimed = claim(session, "w", limit=2)
    assert [r.user_key for r in claimed] == [f"u:{B}", "u:U" + "c3" * 16]


def test_readyz_reports_a_stuck_queue_and_metrics_show_it(app, client, fake_line, monkeypatch) -> None:
    monkeypatch.setenv("MACHIMADO_METRICS_TOKEN", "t")
    post_only(client, body_of(text_event("粗大ごみの出し方", A)))
    assert client.get("/readyz").status_code == 200  # waiting a moment is not stuck
    rt = app.extensions["machimado"]
    with rt.sessions() as session:
        session.execute(update(InboundEvent).values(received_at=utcnow() - timedelta(minutes=5)))
        session.commit()
    stuck = client.get("/readyz")
    assert stuck.status_code == 503 and stuck.get_json()["queue"] == "stuck"
    assert stuck.get_json()["queue_depth"] == 1
    processor_of(rt).drain()
    assert client.get("/readyz").status_code == 200


WORKER_THAT_DIES = """
import os, signal
from bot.inbound import claim, processor_of
from bot.dispatch import act
from bot.runtime import Runtime
from core.settings import load_settings
from line.events import read_event
runtime = Runtime.from_settings(load_settings())
with runtime.sessions() as session:
    rows = claim(session, "doomed", limit=32, lease_s=1.0)
print(len(rows), flush=True)
with runtime.sessions() as session:  # handles them, then dies before its commit
    for row in rows:
        act(runtime, runtime.tenant_by_id(row.municipality_id), read_event(row.body), session, claim_first=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_worker_killed_after_claiming_leaves_its_events_to_another_answered_once(app, client, fake_line) -> None:
    for user in (A, B):
        post_only(client, body_of(text_event("粗大ごみの出し方", user)))
    before = count(app, QuestionLog)
    died = subprocess.run([sys.executable, "-c", WORKER_THAT_DIES], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=120)
    assert died.returncode == -9 and died.stdout.strip() == "2", died.stderr[-2000:]
    rt = app.extensions["machimado"]
    with rt.sessions() as session:
        assert session.scalars(select(InboundEvent.status)).all() == ["processing", "processing"]
    assert count(app, QuestionLog) == before and fake_line.calls_to("reply") == []  # nothing of it committed
    import time
    time.sleep(1.2)  # the dead worker's lease runs out
    assert processor_of(rt).drain() == 2
    assert processor_of(rt).drain() == 0
    assert count(app, QuestionLog) == before + 2
    assert sorted(c["body"]["replyToken"] for c in fake_line.calls_to("reply")) == \
        sorted({c["body"]["replyToken"] for c in fake_line.calls_to("reply")})  # each once
    assert len(fake_line.calls_to("reply")) == 2


def test_an_answer_committed_but_not_sent_is_sent_by_another_once(app, client, fake_line) -> None:
    """The process dies between the batch's commit and LINE: the saved answer is sent by the next round's
    resend — and when it had in fact reached LINE, the used reply token makes the resend a no-op (once)."""
    rt = app.extensions["machimado"]
    processor = processor_of(rt)
    post_only(client, body_of(text_event("粗大ごみの出し方", A)))
    with rt.sessions() as session:
        rows = claim(session, "dies", limit=32)
    processor.process(rows)  # committed with the answer pending; the process "dies" before sending it
    with rt.sessions() as session:
        assert session.scalar(select(InboundEvent.reply_state)) == "pending"
    assert processor.resend(older_than_s=0) == 1 and processor.resend(older_than_s=0) == 0
    assert [c["status"] for c in fake_line.calls_to("reply")] == [200]
    # sent, but the process died before recording it: the resend's reply is refused (token used), nothing else
    post_only(client, body_of(text_event("住民票がほしい", B)))
    with rt.sessions() as session:
        rows = claim(session, "dies-later", limit=32)
    processor.send(processor.process(rows))
    rt.replies.drain(timeout=10)
    processor._sent_ids.clear()  # noqa: SLF001 - the record of it died with the process
    assert processor.resend(older_than_s=0) == 1
    assert [c["status"] for c in fake_line.calls_to("reply")] == [200, 200, 400] and fake_line.calls_to("push") == []
    with rt.sessions() as session:
        assert session.scalars(select(InboundEvent.reply_state)).all() == ["sent", "sent"]
