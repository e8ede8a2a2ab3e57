"""The console's blueprint and what every page shares: CSRF on every form, security headers, template helpers."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, g, request

from admin.auth import (
    allowed,
    check_csrf,
    csrf_token,
    current_municipality_id,
    current_municipality_slug,
    current_user,
)
from admin.runtime import tenant_of
from admin.wording import ROLES as ROLE_NAMES
from admin.wording import language_name
from core.models import Municipality
from core.timeutil import local_str
from desk.service import waiting_count

blueprint = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
                      static_folder="static", static_url_path="/static")


@blueprint.before_request
def protect_forms() -> None:
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        check_csrf()
    refuse_nul()


def refuse_nul() -> None:
    """NUL in a query, a form field or an upload's file name: a clear 400 (PostgreSQL cannot store it, and no
    person types it)."""
    values = [*request.args.values(), *request.args.keys()]
    if request.method == "POST":
        values += [*request.form.values(), *request.form.keys(), *(f.filename or "" for f in request.files.values())]
    if any("\x00" in v for v in values):
        abort(400, description="入力に使えない文字（NUL）が含まれています。")


def security_headers(response: Response) -> Response:
    """Every response under /admin/ — the console's pages and also its 404s and errors, which Flask answers
    outside the blueprint (so admin/__init__.py registers this on the app)."""
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@blueprint.app_template_filter("language_name")
def language_name_filter(code: str | None) -> str:
    return language_name(code)


@blueprint.app_template_filter("localtime")
def localtime_filter(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return local_str(value, fmt)


@blueprint.context_processor
def template_helpers() -> dict:
    user = current_user()
    muni = None
    if user is not None:
        muni = g.db.get(Municipality, current_municipality_id())
    return {"csrf_token": csrf_token, "me": user, "can": lambda p: allowed(user, p), "muni": muni,
            "notice_status": NOTICE_STATUS, "role_names": ROLE_NAMES,
            "consult_waiting": lambda: waiting_count(g.db, current_municipality_id()) if user else 0,
            "consultation_on": lambda: bool(user) and tenant_of(current_municipality_slug()).config.consultation}


NOTICE_STATUS = {"draft": "下書き", "scheduled": "配信予定", "planning": "準備中", "sending": "配信中", "sent": "配信済み",
                 "partially_failed": "一部失敗", "failed": "失敗", "cancelled": "取り消し"}
