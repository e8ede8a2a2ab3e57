"""Shared fixtures: a real database per test (SQLite always, PostgreSQL when TEST_DATABASE_URL is set),
the project's fake LINE API on a real socket, the Flask app and a signing webhook client."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from core.tenancy import DEV_ACCESS_TOKEN, DEV_CHANNEL_SECRET
from fakeline.app import create_fake_line_app, serve_in_thread
from fakeline.state import FakeLineState
from line.signature import sign

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
# ../shared (beside the team's checkouts) is a bonus: tests that read it are marked `shared` and skip when it
# is absent. MACHIMADO_TESTS_HIDE_SHARED=1 hides it, so a run here is a run in a fresh clone (.ci/run does it).
SHARED = ROOT.parent / "shared"
SHARED_PRESENT = SHARED.is_dir() and os.environ.get("MACHIMADO_TESTS_HIDE_SHARED", "") in ("", "0")
needs_shared = [pytest.mark.shared,
                pytest.mark.skipif(not SHARED_PRESENT, reason="../shared is absent (a bonus beside the checkout)")]
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
MULTI_CONFIG = ROOT / "tests" / "data" / "municipalities.yaml"
ACCEPTED_TOKENS = {DEV_ACCESS_TOKEN, f"{DEV_ACCESS_TOKEN}-shima", f"{DEV_ACCESS_TOKEN}-minato", "tok-shima",
                   "tok-minato"}


@pytest.fixture(scope="session")
def fake_line_server() -> Iterator[tuple[FakeLineState, str]]:
    state = FakeLineState(tokens=set(ACCEPTED_TOKENS))
    server, url = serve_in_thread(create_fake_line_app(ACCEPTED_TOKENS, state))
    yield state, url
    server.shutdown()


@pytest.fixture
def fake_line(fake_line_server: tuple[FakeLineState, str]) -> FakeLineState:
    state, _ = fake_line_server
    state.reset()
    return state


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        url = os.environ["TEST_DATABASE_URL"]
        _reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path,
        fake_line_server: tuple[FakeLineState, str]) -> dict[str, str]:
    """Environment of a test deployment; tests may add MACHIMADO_CONFIG before building the app."""
    values = {
        "MACHIMADO_ENV": "testing",
        "DATABASE_URL": database_url,
        "LINE_API_BASE_URL": fake_line_server[1],
        "MACHIMADO_INSTANCE_PATH": str(tmp_path / "instance"),
        "LINE_API_TIMEOUT": "3",
    }
    for name in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "MACHIMADO_CONFIG", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def build_app(load_demo: bool = True):  # type: ignore[no-untyped-def]
    from app.bootstrap import init_database
    from app.factory import create_app

    app = create_app()
    init_database(app.extensions["machimado"], load_demo=load_demo)
    return app


@contextmanager
def running_app(load_demo: bool = True):  # type: ignore[no-untyped-def]
    """Another app instance on the same database (another worker process, or different settings)."""
    app = build_app(load_demo)
    try:
        yield app
    finally:
        app.extensions["machimado"].close()


@pytest.fixture
def app(env: dict[str, str], fake_line: FakeLineState):  # type: ignore[no-untyped-def]
    app = build_app()
    yield app
    app.extensions["machimado"].close()


@pytest.fixture
def multi_app(env: dict[str, str], fake_line: FakeLineState, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MACHIMADO_CONFIG", str(MULTI_CONFIG))
    monkeypatch.setenv("SHIMA_LINE_SECRET", "secret-shima")
    monkeypatch.setenv("SHIMA_LINE_TOKEN", "tok-shima")
    monkeypatch.setenv("MINATO_LINE_SECRET", "secret-minato")
    monkeypatch.setenv("MINATO_LINE_TOKEN", "tok-minato")
    app = build_app()
    yield app
    app.extensions["machimado"].close()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


def post_webhook(client: Any, body: bytes | dict[str, Any], secret: str = DEV_CHANNEL_SECRET,
                 path: str = "/callback", signature: str | None = None) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    sig = sign(secret, raw) if signature is None else signature
    if sig:
        headers["X-Line-Signature"] = sig
    response = client.post(path, data=raw, headers=headers)
    # Replies leave after the response (line.reply_sender); tests look at them once they are out.
    assert client.application.extensions["machimado"].replies.drain(timeout=30)
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
