"""Application factory: settings, runtime, blueprints, error handlers, in small named steps."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask, jsonify, render_template_string, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from admin import register_admin
from app.health import blueprint as health
from app.metrics import blueprint as metrics
from app.open311 import blueprint as open311
from bot.runtime import Runtime
from bot.webhook import blueprint as webhook
from core.settings import Settings, load_settings


def configure_logging(app: Flask) -> None:
    """Structured enough for operators; message bodies are never logged anywhere in the app."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def register_runtime(app: Flask, settings: Settings) -> None:
    app.extensions["machimado"] = Runtime.from_settings(settings)


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(webhook)
    app.register_blueprint(health)
    app.register_blueprint(metrics)
    app.register_blueprint(open311)
    register_admin(app)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        if request.path.startswith("/admin/"):
            messages = {403: "この操作をする権限がありません。", 404: "ページが見つかりません。"}
            return render_template_string(ERROR_PAGE, code=exc.code,
                                          message=messages.get(exc.code or 0, exc.description)), exc.code or 500
        response = jsonify(error=exc.name, message=exc.description)
        for name, value in exc.get_headers():  # Retry-After on 503, Allow on 405
            if name.lower() != "content-type":
                response.headers[name] = value
        return response, exc.code or 500

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> ResponseReturnValue:
        app.logger.exception("unhandled error: %s", type(exc).__name__)
        return jsonify(error="Internal Server Error", message="予期しないエラーが発生しました。"), 500


# Console uploads (open-data CSVs, packs); the webhook enforces its own, smaller limit (settings.max_body_bytes).
MAX_UPLOAD_BYTES = 20_000_000
ERROR_PAGE = """<!doctype html><html lang="ja"><meta charset="utf-8"><title>{{ code }}</title>
<p>{{ message }}</p><p><a href="/admin/">管理画面のトップへ</a></p></html>"""


def create_app(config_override: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. ``config_override`` replaces fields of :class:`Settings` (tests, demo)."""
    settings = load_settings()
    if config_override:
        settings = settings.with_overrides(config_override)
    app = Flask(__name__, instance_path=str(settings.instance_path.resolve()))
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
                      JSON_AS_ASCII=False, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=settings.env == "production", SESSION_COOKIE_NAME="machimado_session",
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=8), MAX_FORM_MEMORY_SIZE=2_000_000)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if settings.proxy_count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_count,  # type: ignore[method-assign]
                                x_proto=settings.proxy_count)
    configure_logging(app)
    register_runtime(app, settings)
    register_blueprints(app)
    register_error_handlers(app)
    return app
