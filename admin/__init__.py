"""The staff console (/admin/): Japanese, server-rendered, no external CDN (works inside LGWAN)."""

from __future__ import annotations

from flask import Flask, Response, g, request

from admin import (  # noqa: F401  (each views module adds its routes to the blueprint)
    views_auth,
    views_consultations,
    views_dashboard,
    views_directory,
    views_faq,
    views_gomi,
    views_inbox,
    views_notices,
    views_privacy,
    views_staff,
    views_synonyms,
)
from admin.blueprint import blueprint, security_headers


def register_admin(app: Flask) -> None:
    app.register_blueprint(blueprint)

    @app.after_request
    def console_headers(response: Response) -> Response:
        return security_headers(response) if request.path.startswith("/admin") else response

    @app.teardown_request
    def close_db(exc: BaseException | None) -> None:
        session = g.pop("db", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()
