"""`machimado admin`: staff accounts for the console."""

from __future__ import annotations

import click

from admin.auth import AuthError, create_user
from cli.support import resolve_tenant, runtime_from_env
from core.db import session_scope


@click.group("admin")
def admin_group() -> None:
    """Staff accounts for the console (/admin/)."""


@admin_group.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["viewer", "editor", "broadcaster", "admin", "superuser"]), required=True)
@click.option("-m", "--municipality", "slug", default=None, help="Required except for superusers.")
@click.option("--name", "display_name", default="")
@click.password_option(help="At least 10 characters (prompted when omitted).")
def create_user_cmd(username: str, role: str, slug: str | None, display_name: str, password: str) -> None:
    with runtime_from_env() as runtime:
        municipality_id = None if role == "superuser" else resolve_tenant(runtime, slug).id
        try:
            with session_scope(runtime.sessions) as session:
                create_user(session, username, password, role, municipality_id, display_name)
        except AuthError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"created {role} {username!r}" + (f" for {slug or runtime.settings.default_slug}" if municipality_id else ""))
