"""`machimado admin`: staff accounts for the console."""

from __future__ import annotations

import click
from sqlalchemy import select

from admin.auth import AuthError, create_user, hash_password, revoke_sessions
from admin.models import StaffUser
from cli.support import resolve_tenant, runtime_from_env
from core.db import session_scope
from core.models import AuditLog
from core.timeutil import utcnow


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


def _set_disabled(username: str, disabled: bool) -> None:
    with runtime_from_env() as runtime, session_scope(runtime.sessions) as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == username))
        if user is None:
            raise click.ClickException(f"no staff account {username!r}")
        user.disabled_at = utcnow() if disabled else None
        if disabled:
            revoke_sessions(session, user.id)
        session.add(AuditLog(municipality_id=user.municipality_id, user_id=None, username="(CLI)",
                             action="staff_disabled" if disabled else "staff_enabled", object_type="staff_user",
                             object_id=str(user.id)))


@admin_group.command("disable-user")
@click.argument("username")
def disable_user_cmd(username: str) -> None:
    """Disable a staff account: it cannot sign in and its open sessions end now."""
    _set_disabled(username, True)
    click.echo(f"disabled {username!r}; its sessions have ended")


@admin_group.command("enable-user")
@click.argument("username")
def enable_user_cmd(username: str) -> None:
    """Enable a disabled staff account again."""
    _set_disabled(username, False)
    click.echo(f"enabled {username!r}")


@admin_group.command("set-password")
@click.argument("username")
@click.password_option(help="At least 10 characters (prompted when omitted).")
def set_password_cmd(username: str, password: str) -> None:
    """Set a staff account's password (after a restore without hashes, or when every admin is locked out);
    the account's sessions end."""
    with runtime_from_env() as runtime, session_scope(runtime.sessions) as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == username))
        if user is None:
            raise click.ClickException(f"no staff account {username!r}")
        try:
            user.password_hash = hash_password(password)
        except AuthError as exc:
            raise click.ClickException(str(exc)) from exc
        revoke_sessions(session, user.id)
        session.add(AuditLog(municipality_id=user.municipality_id, username="(CLI)", action="staff_password_reset",
                             object_type="staff_user", object_id=str(user.id)))
    click.echo(f"password set for {username!r}")
