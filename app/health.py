"""Liveness/readiness endpoint for load balancers and the demo launcher."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> ResponseReturnValue:
    runtime = current_app.extensions["machimado"]
    try:
        with runtime.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return jsonify(status="error", database=type(exc).__name__), 503
    return jsonify(status="ok", municipalities=sorted(runtime.settings.municipalities))
