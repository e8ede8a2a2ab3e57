"""``/open311/v2/``: the municipality's reports as read-only Open311 GeoReport v2 JSON (reports/open311.py decides
what may be published). ``jurisdiction_id`` is the municipality's slug (optional when the deployment has one)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from core.db import session_scope
from reports import open311

blueprint = Blueprint("open311", __name__, url_prefix="/open311/v2")


def _json(body: Any, status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Access-Control-Allow-Origin"] = "*"  # open data, no credentials
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def _municipality_id() -> int:
    runtime = current_app.extensions["machimado"]
    slug = request.args.get("jurisdiction_id", "").strip()
    if not slug:
        if len(runtime.settings.municipalities) > 1:
            raise open311.Open311Error(400, "jurisdiction_id is required: "
                                            + ", ".join(sorted(runtime.settings.municipalities)))
        slug = runtime.settings.default_slug
    tenant = runtime.tenant(slug) if slug in runtime.settings.municipalities else None
    if tenant is None:
        raise open311.Open311Error(404, f"unknown jurisdiction_id {slug[:40]!r}")
    return int(tenant.id)


@blueprint.errorhandler(open311.Open311Error)
def open311_error(exc: open311.Open311Error) -> ResponseReturnValue:
    return _json(exc.body(), exc.code)


@blueprint.get("/services.json")
def services() -> ResponseReturnValue:
    municipality_id = _municipality_id()
    with session_scope(current_app.extensions["machimado"].sessions) as session:
        return _json(open311.services(session, municipality_id))


@blueprint.get("/requests.json")
def requests_list() -> ResponseReturnValue:
    municipality_id = _municipality_id()
    query = open311.parse_query(request.args.to_dict())
    with session_scope(current_app.extensions["machimado"].sessions) as session:
        return _json(open311.requests(session, municipality_id, query))


@blueprint.post("/requests.json")
def requests_create() -> ResponseReturnValue:
    return _json([{"code": 405, "description": "read only: residents report through the city's LINE account"}], 405)


@blueprint.get("/requests/<string:receipt>.json")
def request_one(receipt: str) -> ResponseReturnValue:
    municipality_id = _municipality_id()
    with session_scope(current_app.extensions["machimado"].sessions) as session:
        return _json(open311.one(session, municipality_id, receipt))
