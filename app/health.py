"""Liveness (``/healthz``: the process answers and the database can be read) and readiness (``/readyz``: the
database also takes a write right now) for load balancers and the demo launcher.

A SQLite file that became read-only, or is locked by a stuck writer, still answers ``SELECT 1``: only a
write shows that residents' questions cannot be recorded. The readiness write changes nothing (an UPDATE of
a municipality's slug to itself, rolled back) and waits at most ``READY_WAIT_S`` for a lock.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot import inbound

blueprint = Blueprint("health", __name__)
READY_WAIT_S = 2.0


@blueprint.get("/healthz")
def healthz() -> ResponseReturnValue:
    runtime = current_app.extensions["machimado"]
    try:
        with runtime.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return jsonify(status="error", database=type(exc).__name__), 503
    return jsonify(status="ok", municipalities=sorted(runtime.settings.municipalities))


def writable(engine: Engine) -> str:
    """"" when the database takes a write now, else the error's name."""
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.connect() as conn:
            if sqlite:
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(READY_WAIT_S * 1000)}")
            else:
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(READY_WAIT_S * 1000)}ms'")
            try:
                conn.execute(text("UPDATE municipalities SET slug = slug WHERE id = "
                                  "(SELECT min(id) FROM municipalities)"))
            finally:
                conn.rollback()
                if sqlite:
                    conn.exec_driver_sql("PRAGMA busy_timeout = 30000")  # the engine's own (core.db)
    except Exception as exc:
        return type(exc).__name__
    return ""


@blueprint.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Ready when the database takes a write and the webhook events' queue is not stuck (events waiting over two
    minutes while none was handled for a minute: no worker is running, or they are all wedged)."""
    runtime = current_app.extensions["machimado"]
    error = writable(runtime.engine)
    if error:
        return jsonify(status="error", database=error), 503
    with runtime.sessions() as session:
        queue = inbound.stats(session)
    details = {"queue_depth": queue.depth, "oldest_age_s": round(queue.oldest_age_s, 1)}
    if queue.stuck:
        return jsonify(status="error", queue="stuck", **details), 503
    return jsonify(status="ok", **details)
