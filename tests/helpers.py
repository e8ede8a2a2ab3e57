"""Builders the tests share: paths, signed webhook bodies and events, app instances, followers, notices.

Fixtures (a database per backend, the fake LINE API on a real socket, the app) are in conftest.py.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.bootstrap import init_database
from app.factory import create_app
from bot.inbound import processor_of
from broadcasts.notices import create_notice
from broadcasts.pacing import Pacer
from broadcasts.worker import Worker
from core.db import session_scope
from core.models import Follower, Municipality
from core.tenancy import DEV_ACCESS_TOKEN, DEV_CHANNEL_SECRET
from fakeline.state import FakeLineState
from line.signature import sign
from search.matcher import Matcher

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
# ../shared (beside the team's checkouts) is a bonus: tests that read it are marked `shared` and skip when it
# is absent. MACHIMADO_TESTS_HIDE_SHARED=1 hides it, so a run here is a run in a fresh clone (.ci/run does it).
SHARED = ROOT.parent / "shared"
SHARED_PRESENT = SHARED.is_dir() and os.environ.get("MACHIMADO_TESTS_HIDE_SHARED", "") in ("", "0")
needs_shared = [pytest.mark.shared,
                pytest.mark.skipif(not SHARED_PRESENT, reason="../shared is absent (a bonus beside the checkout)")]
MULTI_CONFIG = ROOT / "tests" / "data" / "municipalities.yaml"
ACCEPTED_TOKENS = {DEV_ACCESS_TOKEN, f"{DEV_ACCESS_TOKEN}-shima", f"{DEV_ACCESS_TOKEN}-minato", "tok-shima",
                   "tok-minato"}


def build_app(load_demo: bool = True) -> Flask:
    """The app as a deployment starts it: settings from the environment, database initialised."""
    app = create_app()
    init_database(app.extensions["machimado"], load_demo=load_demo)
    return app


@contextmanager
def running_app(load_demo: bool = True) -> Iterator[Flask]:
    """Another app instance on the same database (another worker process, or different settings)."""
    app = build_app(load_demo)
    try:
        yield app
    finally:
        app.extensions["machimado"].close()


def post_webhook(client: Any, body: bytes | dict[str, Any], secret: str = DEV_CHANNEL_SECRET,
                 path: str = "/callback", signature: str | None = None) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    sig = sign(secret, raw) if signature is None else signature
    if sig:
        headers["X-Line-Signature"] = sig
    response = client.post(path, data=raw, headers=headers)
    # The webhook only stores the events (bot/inbound.py); the workers' code handles them here, in this thread
    # (tests run without worker threads), and the replies leave after (line.reply_sender).
    runtime = client.application.extensions["machimado"]
    processor_of(runtime).drain()
    assert runtime.replies.drain(timeout=30)
    return response


_counter = iter(range(10**9))


def text_event(text_: str, user_id: str = "U" + "a" * 32, **extra: Any) -> dict[str, Any]:
    n = next(_counter)
    event = {
        "type": "message", "mode": "active", "timestamp": 1700000000000 + n,
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": f"01TESTEVENT{n:015d}", "deliveryContext": {"isRedelivery": False},
        "replyToken": f"rt-{n}", "message": {"id": str(100000 + n), "type": "text", "text": text_,
                                             "quoteToken": "q"},
    }
    event.update(extra)
    return event


def event_of(kind: str, user_id: str = "U" + "a" * 32, **extra: Any) -> dict[str, Any]:
    n = next(_counter)
    event = {"type": kind, "mode": "active", "timestamp": 1700000000000 + n,
             "source": {"type": "user", "userId": user_id}, "webhookEventId": f"01TESTEV{kind[:6]}{n:012d}",
             "deliveryContext": {"isRedelivery": False}, "replyToken": f"rt-{kind}-{n}"}
    event.update(extra)
    return event


def body_of(*events: dict[str, Any]) -> dict[str, Any]:
    return {"destination": "U" + "0" * 32, "events": list(events)}


def reply_texts(state: FakeLineState) -> list[str]:
    """All text shown to residents in successful replies, in order."""
    texts = []
    for call in state.calls_to("reply"):
        if call["status"] != 200:
            continue
        for message in call["body"]["messages"]:
            if message["type"] == "text":
                texts.append(message["text"])
    return texts


FAST = Pacer({"multicast": (10_000.0, 10_000.0), "broadcast": (10_000.0, 10_000.0)})


def user(i: int) -> str:
    return f"U{i:032x}"


def add_followers(app: Flask, fake_line: FakeLineState, n: int, topics: list[str] | None = None,
                  district: str | None = None, start: int = 0, status: str = "following") -> list[str]:
    rt = app.extensions["machimado"]
    tenant = rt.tenant(rt.settings.default_slug)
    ids = [user(start + i) for i in range(n)]
    with session_scope(rt.sessions) as session:
        for uid in ids:
            session.add(Follower(municipality_id=tenant.id, line_user_id=uid, topics=topics, district=district,
                                 status=status))
    if status == "following":
        fake_line.followers.extend(ids)
    return ids


def make_notice(app: Flask, **fields: Any) -> int:
    rt = app.extensions["machimado"]
    tenant = rt.tenant(rt.settings.default_slug)
    defaults = {"title": "健診のお知らせ", "body": "今月は集団健診があります。", "category": "健康・福祉"}
    with session_scope(rt.sessions) as session:
        return create_notice(session, tenant.id, tenant.config, **{**defaults, **fields}).id


def delivery(app: Flask) -> tuple[Any, Any]:
    """What a worker needs of an app's runtime: its sessions and its LINE client per municipality."""
    runtime = app.extensions["machimado"]
    return runtime.sessions, runtime.line_client


def run_worker(app: Flask, **kwargs: Any) -> Worker:
    worker = Worker(*delivery(app), pacer=kwargs.pop("pacer", FAST), **kwargs)
    worker.run(drain=True)
    return worker



def municipality(session: Session) -> Municipality:
    return session.scalars(select(Municipality).where(Municipality.slug == "sample")).one()


def matcher_of(app: Flask, session: Session) -> Matcher:
    rt = app.extensions["machimado"]
    return rt.matchers.get(session, municipality(session).id, rt.settings.municipalities["sample"])


