"""Fixtures: a real database per test (SQLite always, PostgreSQL when TEST_DATABASE_URL is set), the project's
fake LINE API on a real socket, the Flask app. Shared builders are in tests/helpers.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from fakeline.app import create_fake_line_app, serve_in_thread
from fakeline.state import FakeLineState
from tests.helpers import ACCEPTED_TOKENS, MULTI_CONFIG, build_app

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


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


@pytest.fixture
def app(env: dict[str, str], fake_line: FakeLineState):
    app = build_app()
    yield app
    app.extensions["machimado"].close()


@pytest.fixture
def multi_app(env: dict[str, str], fake_line: FakeLineState, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MACHIMADO_CONFIG", str(MULTI_CONFIG))
    monkeypatch.setenv("SHIMA_LINE_SECRET", "secret-shima")
    monkeypatch.setenv("SHIMA_LINE_TOKEN", "tok-shima")
    monkeypatch.setenv("MINATO_LINE_SECRET", "secret-minato")
    monkeypatch.setenv("MINATO_LINE_TOKEN", "tok-minato")
    app = build_app()
    yield app
    app.extensions["machimado"].close()


@pytest.fixture
def client(app):
    return app.test_client()


