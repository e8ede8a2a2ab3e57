"""CLI for notices, the delivery worker, rich menus and disaster mode (registered on `machimado`)."""

from __future__ import annotations

import json
import signal
import threading
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.background import worker_planners
from broadcasts.delivery import progress
from broadcasts.models import Notice
from broadcasts.notices import NoticeError, cancel, create_notice, get_notice, preview
from broadcasts.richmenu import DEFAULT_SPEC, RichMenuError, deploy, set_disaster_mode
from broadcasts.templates import load_templates
from broadcasts.worker import Worker
from cli.support import municipality_option, runtime_from_env, tenant_runtime
from core.db import session_scope
from core.tenancy import Tenant
from core.timeutil import parse_local


def parse_when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parse_local(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r}: use ISO format, e.g. 2026-12-01T09:00+09:00") from exc


@click.group("broadcasts")
def broadcasts() -> None:
    """Notices: send, list, show, cancel, and the delivery worker."""


@broadcasts.command("templates")
def templates_cmd() -> None:
    """List notice templates and their placeholders."""
    for template in load_templates().values():
        click.echo(f"{template.id:<18} {template.name}（{template.category}/{template.severity}）: "
                   f"{', '.join(template.params)}")


@broadcasts.command("send")
@click.option("--title", default=None)
@click.option("--body", default=None)
@click.option("--category", default=None, help="Topic (防災 or one of the configured topics).")
@click.option("--severity", type=click.Choice(["normal", "emergency"]), default=None)
@click.option("--template", "template_id", default=None, help="Template id (see `broadcasts templates`).")
@click.option("--param", "params", multiple=True, help="Template value name=value (repeatable).")
@click.option("--district", "districts", multiple=True, help="Only these districts (repeatable).")
@click.option("--link", "links", multiple=True, help="Link button label=https://… (repeatable).")
@click.option("--at", "at", default=None, help="Send at (ISO time); default now.")
@click.option("--expires", default=None, help="Stop showing it in chat after (ISO time).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@municipality_option
def send(title: str | None, body: str | None, category: str | None, severity: str | None,
         template_id: str | None, params: tuple[str, ...], districts: tuple[str, ...], links: tuple[str, ...],
         at: str | None, expires: str | None, yes: bool, slug: str | None) -> None:
    """Save a notice for delivery (the worker sends it). Shows the preview and audience first."""
    translations = None
    if template_id:
        template = load_templates().get(template_id)
        if template is None:
            raise click.BadParameter(f"unknown template {template_id!r}", param_hint="--template")
        values = dict(p.split("=", 1) for p in params if "=" in p)
        try:
            title, body = template.fill(values)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        translations = template.fill_translations(values)
        category, severity = category or template.category, severity or template.severity
    if not (title and body and category):
        raise click.UsageError("--title, --body and --category are required (or --template)")
    link_list = [{"label": k, "url": v} for k, v in (link.split("=", 1) for link in links if "=" in link)]
    with tenant_runtime(slug) as (runtime, tenant):
        with session_scope(runtime.sessions) as session:
            try:
                notice = create_notice(session, tenant.id, tenant.config, title=title, body=body, category=category,
                                       severity=severity or "normal", districts=list(districts), links=link_list,
                                       scheduled_at=parse_when(at), expires_at=parse_when(expires),
                                       created_by="cli", draft=True, translations=translations)
            except NoticeError as exc:
                raise click.UsageError(str(exc)) from exc
            shown = preview(session, tenant.id, notice)
            click.echo(notice.messages[0]["text"])
            click.echo(f"\n→ {shown.audience} / {shown.followers} followers via {shown.method}")
            if notice.emergency and not yes:
                click.confirm("これは緊急のお知らせです。送信しますか？", abort=True)
            elif not yes:
                click.confirm("Send?", abort=True)
            notice.status = "scheduled"
            click.echo(f"notice #{notice.id} queued for {notice.scheduled_at.isoformat()}")


@broadcasts.command("list")
@municipality_option
@click.option("--limit", default=20, show_default=True)
def list_cmd(slug: str | None, limit: int) -> None:
    with tenant_runtime(slug) as (runtime, tenant):
        with session_scope(runtime.sessions) as session:
            for n in session.scalars(select(Notice).where(Notice.municipality_id == tenant.id)
                                     .order_by(Notice.id.desc()).limit(limit)):
                click.echo(f"#{n.id:<5} {n.status:<16} {n.severity:<9} {n.recipients_sent}/{n.recipients_total}"
                           f"  {n.scheduled_at:%Y-%m-%d %H:%M}  {n.title}")


def _notice(session: Session, tenant: Tenant, notice_id: int) -> Notice:
    notice = get_notice(session, tenant.id, notice_id)
    if notice is None:
        raise click.ClickException(f"no notice #{notice_id} in {tenant.config.slug}")
    return notice


@broadcasts.command("show")
@click.argument("notice_id", type=int)
@municipality_option
@click.option("--json", "as_json", is_flag=True)
def show(notice_id: int, slug: str | None, as_json: bool) -> None:
    with tenant_runtime(slug) as (runtime, tenant):
        with session_scope(runtime.sessions) as session:
            notice = _notice(session, tenant, notice_id)
            data = {"id": notice.id, "status": notice.status, "title": notice.title, "severity": notice.severity,
                    "category": notice.category, "target": notice.target, "recipients_total": notice.recipients_total,
                    "recipients_sent": notice.recipients_sent, "recipients_failed": notice.recipients_failed,
                    "progress": progress(session, notice.id)}
        click.echo(json.dumps(data, ensure_ascii=False, indent=None if as_json else 2))


@broadcasts.command("cancel")
@click.argument("notice_id", type=int)
@municipality_option
def cancel_cmd(notice_id: int, slug: str | None) -> None:
    with tenant_runtime(slug) as (runtime, tenant):
        with session_scope(runtime.sessions) as session:
            notice = _notice(session, tenant, notice_id)
            if not cancel(session, notice):
                raise click.ClickException(f"notice #{notice_id} is {notice.status}: too late to cancel")
        click.echo(f"notice #{notice_id} cancelled")


@broadcasts.command("worker")
@click.option("--concurrency", default=4, show_default=True, help="Sending threads.")
@click.option("--lease", default=60.0, show_default=True, help="Seconds before a dead worker's batch is reclaimed.")
@click.option("--drain", is_flag=True, help="Exit when nothing is left to send (cron / tests).")
def worker_cmd(concurrency: int, lease: float, drain: bool) -> None:
    """Deliver queued and scheduled notices. Several may run on PostgreSQL; run one with SQLite."""
    with runtime_from_env() as runtime:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        worker = Worker(runtime.sessions, runtime.line_client, concurrency=concurrency, lease_s=lease,
                        planners=worker_planners(runtime))
        click.echo(f"worker {worker.worker_id} started", err=True)
        stats = worker.run(stop, drain=drain)
        click.echo(f"worker stopped: {stats.sent} batch(es) sent, {stats.failed} failed, {stats.retried} retried",
                   err=True)


@click.group("richmenu")
def richmenu() -> None:
    """Rich menus (normal and disaster)."""


@richmenu.command("deploy")
@click.argument("spec", type=click.Path(path_type=Path), default=DEFAULT_SPEC)
@municipality_option
def richmenu_deploy(spec: Path, slug: str | None) -> None:
    """Create the menus of SPEC with their images and set the default."""
    with tenant_runtime(slug) as (runtime, tenant):
        with session_scope(runtime.sessions) as session:
            try:
                disaster = tenant.config.disaster_contact
                ids = deploy(session, tenant.id, runtime.line_client(tenant.config.slug), spec,
                             phone=tenant.config.contact.phone, disaster_phone=disaster.phone if disaster else "")
            except RichMenuError as exc:
                raise click.ClickException(str(exc)) from exc
        for name, menu_id in ids.items():
            click.echo(f"{name}: {menu_id}")


@click.command("disaster")
@click.argument("switch", type=click.Choice(["on", "off", "status"]))
@click.option("--type", "disaster_type", default="", help="e.g. 洪水, 土砂災害, 地震, 津波")
@municipality_option
def disaster(switch: str, disaster_type: str, slug: str | None) -> None:
    """Disaster mode: disaster rich menu, emergency notices first in welcome and fallback replies."""
    from broadcasts.richmenu import state_of

    with tenant_runtime(slug) as (runtime, tenant):
        with session_scope(runtime.sessions) as session:
            if switch == "status":
                state = state_of(session, tenant.id)
                click.echo(f"disaster mode: {'on' if state.disaster_mode else 'off'} {state.disaster_type}")
                return
            try:
                menu = set_disaster_mode(session, tenant.id, runtime.line_client(tenant.config.slug), switch == "on",
                                         disaster_type)
            except RichMenuError as exc:
                raise click.ClickException(str(exc)) from exc
        click.echo(f"disaster mode {switch}" + (f" (rich menu {menu})" if menu else
                                                " (no rich menus deployed: run `machimado richmenu deploy`)"))
