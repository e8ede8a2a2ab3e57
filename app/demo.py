"""`machimado demo`: the bot on SQLite with the demo data plus the local LINE platform, one process.

No configuration and no LINE account: the bot runs in development mode with the development channel
secret/token, its LINE API base URL pointed at the simulator, which signs its webhooks with the same
secret. Ctrl-C stops both servers.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from admin.auth import create_user
from admin.models import StaffUser
from app.background import worker_planners
from app.bootstrap import init_database
from app.factory import create_app
from bot.runtime import Runtime
from broadcasts.richmenu import deploy
from broadcasts.worker import Worker
from core.db import session_scope
from fakeline.app import serve_in_thread
from fakeline.platform import create_platform


def build_demo(port: int, instance: Path, host: str = "127.0.0.1") -> tuple[Flask, Flask, str]:
    """Create (bot app, platform app, simulator URL) with servers started on ``port`` and ``port+1``."""
    os.environ.setdefault("MACHIMADO_ENV", "development")
    os.environ.setdefault("MACHIMADO_INSTANCE_PATH", str(instance))
    sim_url = f"http://{host}:{port}"
    os.environ["LINE_API_BASE_URL"] = sim_url
    bot = create_app()
    runtime = bot.extensions["machimado"]
    init_database(runtime)
    config = runtime.settings.default_municipality
    bot_server = make_server(host, port + 1, bot, threaded=True)
    threading.Thread(target=bot_server.serve_forever, name="bot", daemon=True).start()
    tokens = {m.channel_access_token for m in runtime.settings.municipalities.values()}
    platform = create_platform(tokens, f"http://{host}:{port + 1}/callback", config.channel_secret, config.name)
    serve_in_thread(platform, host, port)
    start_notice_worker(runtime)
    deploy_rich_menus(runtime)
    return bot, platform, sim_url


def deploy_rich_menus(runtime: Runtime) -> None:
    tenant = runtime.default_tenant()
    with session_scope(runtime.sessions) as session:
        disaster = tenant.config.disaster_contact
        deploy(session, tenant.id, runtime.line_client(tenant.config.slug), phone=tenant.config.contact.phone,
               disaster_phone=disaster.phone if disaster else "")


def start_notice_worker(runtime: Runtime) -> threading.Event:
    """The demo delivers notices too (`machimado broadcasts send` from another terminal reaches the chat)."""
    stop = threading.Event()
    worker = Worker(runtime.sessions, runtime.line_client, concurrency=1, lease_s=30,
                    planners=worker_planners(runtime))
    threading.Thread(target=worker.run, kwargs={"stop": stop, "poll_s": 0.5}, name="notices", daemon=True).start()
    runtime.demo_worker_stop = stop
    return stop


DEMO_STAFF = ("demo", "machimado-demo")


def ensure_demo_staff(runtime: Runtime) -> None:
    """A demo-only console account (development mode only; never created in production)."""
    if runtime.settings.env == "production":
        return
    with session_scope(runtime.sessions) as session:
        if session.scalar(select(StaffUser.id).where(StaffUser.username == DEMO_STAFF[0])) is None:
            tenant = runtime.default_tenant()
            create_user(session, DEMO_STAFF[0], DEMO_STAFF[1], "admin", tenant.id, "デモ職員")


def run_demo(port: int) -> None:
    instance = Path(os.environ.get("MACHIMADO_INSTANCE_PATH", "instance"))
    bot, _, url = build_demo(port, instance)
    ensure_demo_staff(bot.extensions["machimado"])
    click.echo(f"\n  まちまど demo is running.\n  LINE simulator (chat here):  {url}/\n"
               f"  Staff console:               http://127.0.0.1:{port + 1}/admin/  "
               f"(user {DEMO_STAFF[0]!r}, password {DEMO_STAFF[1]!r})\n"
               f"  Bot webhook:                 http://127.0.0.1:{port + 1}/callback\n  Ctrl-C to stop.\n")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    click.echo("stopped.")
