"""The staff console (/admin/): Japanese, server-rendered, no external CDN (works inside LGWAN)."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, request
from werkzeug.routing import IntegerConverter, Map

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
    views_reports,
    views_staff,
    views_synonyms,
)
from admin.blueprint import blueprint, security_headers


class DatabaseId(IntegerConverter):
    """``<int:…>`` in a URL: a number a database id can be (up to 2^31 − 1). A larger one (10^20) is a 404 like any
    unknown id, instead of an overflow error in the database (a 500 on PostgreSQL, #26)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def register_admin(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseId
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
