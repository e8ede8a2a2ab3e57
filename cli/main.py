"""`machimado` — the one console script operators use (click).

Commands share the runtime the web app uses (same settings, database and matcher code), so what
`machimado faq ask` prints is exactly what a resident would get on LINE.
"""

from __future__ import annotations

import sys

import click

from app.bootstrap import init_database
from app.retention import purge as purge_old
from cli.admin import admin_group
from cli.backup import backup_cmd, restore_cmd
from cli.broadcasts import broadcasts, disaster, richmenu
from cli.directory import directory
from cli.faq import faq
from cli.gomi import gomi
from cli.inbound import worker_cmd
from cli.privacy import privacy_group
from cli.support import runtime_from_env
from core.db import session_scope
from core.errors import ConfigError
from core.timeutil import utcnow
from faq.packs import PackError


@click.group()
def main() -> None:
    """まちまど (machimado): a municipality's LINE official account."""


@main.command()
@click.option("--no-demo", is_flag=True, help="Do not load the demo pack into empty knowledge bases.")
def init(no_demo: bool) -> None:
    """Create or upgrade the database and load the knowledge base when it is empty."""
    with runtime_from_env() as runtime:
        try:
            loaded = init_database(runtime, load_demo=not no_demo)
        except PackError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"database ready: {runtime.engine.url.render_as_string(hide_password=True)}")
        for slug, report in loaded.items():
            click.echo(f"{slug}: knowledge base loaded ({report['created']} entries)")


@main.command()
@click.option("--days", type=int, default=None, help="Keep this many days (default: MACHIMADO_RETENTION_DAYS).")
def purge(days: int | None) -> None:
    """Delete residents' personal data older than the retention period (see app/retention.py)."""
    with runtime_from_env() as runtime:
        keep = days if days is not None else runtime.settings.retention_days
        with session_scope(runtime.sessions) as session:
            counts = purge_old(session, utcnow(), keep, runtime.photo_store)
        click.echo(f"deleted {counts['questions']} question(s) older than {keep} days, "
                   f"{counts['consultations']} consultation(s), "
                   f"{counts['followers']} blocked follower(s), {counts['recipient_lists']} recipient list(s) "
                   f"of finished notices, {counts['dedupe_keys']} old webhook dedupe key(s), "
                   f"{counts['report_drafts']} unsent report draft(s) and the personal data of "
                   f"{counts['reports_anonymised']} finished report(s) ({counts['report_photos']} photo(s))")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Development server (use gunicorn with gunicorn.conf.py in production)."""
    from app.factory import create_app

    try:
        app = create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    app.run(host=host, port=port, threaded=True)


@main.command()
@click.option("--port", default=8000, show_default=True, type=int, help="Port of the simulator page.")
@click.option("--no-browser", is_flag=True, default=True, hidden=True)
def demo(port: int, no_browser: bool) -> None:
    """Run the bot on SQLite with the demo data plus a local LINE simulator. Ctrl-C stops it."""
    from app.demo import run_demo

    run_demo(port)


main.add_command(faq)
main.add_command(gomi)
main.add_command(admin_group)
main.add_command(broadcasts)
main.add_command(richmenu)
main.add_command(disaster)
main.add_command(directory)
main.add_command(privacy_group)
main.add_command(backup_cmd)
main.add_command(restore_cmd)
main.add_command(worker_cmd)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
