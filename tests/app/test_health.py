"""/healthz (alive, database readable) and /readyz (the database takes a write now)."""

from __future__ import annotations

import sqlite3

import pytest

from app.health import writable
from core.db import make_engine


def test_health_and_readiness_when_all_is_well(app, client) -> None:
    assert client.get("/healthz").json["status"] == "ok"
    assert client.get("/readyz").status_code == 200


def test_readiness_fails_on_a_read_only_or_locked_sqlite_file(app, database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's own failure modes")
    path = database_url.split("///", 1)[1]
    read_only = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        assert writable(read_only) == "OperationalError"
    finally:
        read_only.dispose()
    holder = sqlite3.connect(path, timeout=1)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # a stuck writer
        assert app.test_client().get("/healthz").status_code == 200  # reads still work in WAL mode…
        response = app.test_client().get("/readyz")
        assert response.status_code == 503 and response.json["database"] == "OperationalError"  # …writes do not
    finally:
        holder.rollback()
        holder.close()
    assert app.test_client().get("/readyz").status_code == 200


def test_admin_404_pages_carry_the_consoles_security_headers(app, client) -> None:
    response = client.get("/admin/no-such-page")
    assert response.status_code == 404
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
