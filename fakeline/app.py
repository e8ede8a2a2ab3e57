"""A local stand-in for LINE's Messaging API (the only stand-in the project allows).

It behaves like LINE where the bot can tell: bearer-token check (401), request validation with
LINE-shaped error bodies (400), single-use reply tokens valid for one minute, ``X-Line-Retry-Key``
only on push/multicast/narrowcast/broadcast with 409 on a repeated key, and a per-recipient
delivery record so tests can prove a notice reached every resident exactly once.
Everything is recorded in memory and readable under ``/_fake/``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from fakeline import messaging_api, platform_api, recorded
from fakeline.state import FakeLineState


def create_fake_line_app(tokens: Iterable[str], state: FakeLineState | None = None) -> Flask:
    app = Flask("fakeline")
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["fakeline"] = state or FakeLineState(tokens=set(tokens))
    app.register_blueprint(messaging_api.blueprint)
    app.register_blueprint(platform_api.blueprint)
    app.register_blueprint(recorded.blueprint)
    return app


def serve_in_thread(app: Flask, host: str = "127.0.0.1", port: int = 0) -> tuple[BaseWSGIServer, str]:
    """Run a WSGI app on a real socket in a daemon thread; returns (server, base URL)."""
    server = make_server(host, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"wsgi-{app.name}", daemon=True)
    thread.start()
    return server, f"http://{host}:{server.server_port}"
