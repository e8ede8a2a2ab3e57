"""`machimado privacy`: a resident's request to see or erase their data (see privacy/residents.py)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy.orm import Session

from cli.support import tenant_runtime
from core.db import session_scope
from core.models import AuditLog, Follower
from core.private_files import write_private
from privacy import residents


def resident_or_error(session: Session, municipality_id: int, line_user_id: str) -> Follower:
    follower = residents.find(session, municipality_id, line_user_id)
    if follower is None:
        raise click.ClickException("no resident with that LINE user id in this municipality")
    return follower


@click.group("privacy")
def privacy_group() -> None:
    """Residents' data requests: export everything held about one resident, or erase it."""


@privacy_group.command("export")
@click.option("--line-user-id", required=True, help="The resident's LINE user id (U + 32 hex digits).")
@click.option("-m", "--municipality", "slug", default=None)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the JSON here (default: standard output).")
def export_cmd(line_user_id: str, slug: str | None, output: Path | None) -> None:
    """Everything held about one resident, as JSON (audit-logged)."""
    with tenant_runtime(slug) as (runtime, tenant), session_scope(runtime.sessions) as session:
        follower = resident_or_error(session, tenant.id, line_user_id)
        data = residents.export(session, tenant.id, follower, runtime.photo_store)
        session.add(AuditLog(municipality_id=tenant.id, username="(CLI)", action="privacy_export",
                             object_type="resident", object_id=residents.pseudonym(line_user_id)))
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if output:
        write_private(output, (text + "\n").encode("utf-8"))
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text)


@privacy_group.command("erase")
@click.option("--line-user-id", required=True, help="The resident's LINE user id (U + 32 hex digits).")
@click.option("-m", "--municipality", "slug", default=None)
@click.confirmation_option(prompt="Erase everything held about this resident? This cannot be undone.")
def erase_cmd(line_user_id: str, slug: str | None) -> None:
    """Erase one resident's questions, 相談, preferences, follower row and delivery-list entries (audit-logged)."""
    with tenant_runtime(slug) as (runtime, tenant), session_scope(runtime.sessions) as session:
        follower = resident_or_error(session, tenant.id, line_user_id)
        counts = residents.erase(session, tenant.id, follower, runtime.photo_store)
        session.add(AuditLog(municipality_id=tenant.id, username="(CLI)", action="privacy_erase",
                             object_type="resident", object_id=residents.pseudonym(line_user_id), after=counts))
    click.echo("erased: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
