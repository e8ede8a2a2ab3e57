"""`machimado` — the one console script operators use (click).

Commands share the runtime the web app uses (same settings, database and matcher code), so what
`machimado faq ask` prints is exactly what a resident would get on LINE.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import func, select

from bot.cli_support import municipality_option, resolve_tenant, runtime_from_env, tenant_runtime
from bot.retention import purge as purge_old
from bot.runtime import Runtime
from core import migrate
from core.db import session_scope
from core.errors import ConfigError
from core.tenants import sync_municipalities
from faq import service
from faq.kb import all_texts, knowledge_rows, store_entry_vectors
from faq.models import FaqEntry
from faq.packs import PackError, export_pack, import_entries, load_pack_file

DEMO_PACK = Path(__file__).resolve().parent.parent / "faq" / "data" / "demo_pack.yaml"


@click.group()
def main() -> None:
    """まちまど (machimado): a municipality's LINE official account."""


def init_database(runtime: Runtime, load_demo: bool = True) -> dict[str, dict[str, int]]:
    """Create/upgrade the schema; give every municipality with an empty knowledge base its pack."""
    migrate.upgrade(runtime.engine)
    loaded: dict[str, dict[str, int]] = {}
    with session_scope(runtime.sessions) as session:
        ids = sync_municipalities(session, runtime.settings)
        for slug, muni_id in ids.items():
            config = runtime.settings.municipalities[slug]
            pack = config.faq_pack_path or (DEMO_PACK if load_demo else None)
            empty = not session.scalar(select(func.count(FaqEntry.id)).where(FaqEntry.municipality_id == muni_id))
            if pack and empty:
                loaded[slug] = import_entries(session, muni_id, load_pack_file(pack), author="init").as_dict()
            seed_directory(session, muni_id, demo=load_demo and slug == "sample" and not config.faq_pack_path)
    return loaded


def seed_directory(session, municipality_id: int, demo: bool) -> None:  # type: ignore[no-untyped-def]
    """Procedures for every municipality with none; the fictional demo city's places for the demo."""
    from directory.additions import apply_additions
    from directory.importer import import_places
    from directory.models import Place, Procedure
    from directory.procedures import DEFAULT_PACK as PROCEDURES
    from directory.procedures import import_procedures, load_procedures

    if not session.scalar(select(func.count(Procedure.id)).where(Procedure.municipality_id == municipality_id)):
        import_procedures(session, municipality_id, load_procedures(PROCEDURES))
    if demo and not session.scalar(select(func.count(Place.id)).where(Place.municipality_id == municipality_id)):
        data = PROCEDURES.parent
        for kind in ("facilities", "shelters", "aed"):
            import_places(session, municipality_id, kind, (data / f"sample_{kind}.csv").read_bytes())
        apply_additions(session, municipality_id, data / "sample_additions.yaml")


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


@main.group()
def faq() -> None:
    """Knowledge base: import, export, ask."""


@faq.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@municipality_option
def faq_import(file: Path, slug: str | None) -> None:
    """Import a YAML pack (all or nothing; updates entries by their stable id)."""
    with tenant_runtime(slug) as (runtime, tenant):
        try:
            entries = load_pack_file(file)
        except PackError as exc:
            raise click.ClickException(f"nothing imported:\n{exc}") from exc
        with session_scope(runtime.sessions) as session:
            report = import_entries(session, tenant.id, entries, author="cli", progress=encoding_bar)
        click.echo(f"{tenant.config.slug}: {report.created} created, {report.updated} updated, "
                   f"{report.unchanged} unchanged")


def encoding_bar(total: int):  # type: ignore[no-untyped-def]
    return click.progressbar(length=total, label="encoding sentence vectors", file=sys.stderr)


@faq.command("vectors")
@municipality_option
def faq_vectors(slug: str | None) -> None:
    """Store the sentence vectors the knowledge base is missing (after an upgrade; otherwise the
    first question after a restart would encode them)."""
    with tenant_runtime(slug) as (runtime, tenant):
        with session_scope(runtime.sessions) as session:
            texts = all_texts(*knowledge_rows(session, tenant.id))
            encoded = store_entry_vectors(session, texts, progress=encoding_bar)
        click.echo(f"{tenant.config.slug}: {encoded} texts encoded, {len(texts)} entries")


@faq.command("export")
@municipality_option
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None, help="File (default: stdout).")
def faq_export(slug: str | None, output: Path | None) -> None:
    """Export the knowledge base as a YAML pack that `faq import` reads back."""
    with tenant_runtime(slug) as (runtime, tenant):
        with session_scope(runtime.sessions) as session:
            text = export_pack(session, tenant.id, f"{tenant.config.slug}-export")
        if output:
            output.write_text(text, encoding="utf-8")
            click.echo(f"written {output}", err=True)
        else:
            click.echo(text, nl=False)


@faq.command("ask")
@click.argument("question")
@municipality_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--limit", default=5, show_default=True)
def faq_ask(question: str, slug: str | None, as_json: bool, limit: int) -> None:
    """Show how the bot ranks QUESTION and what it would reply (not recorded)."""
    with tenant_runtime(slug) as (runtime, tenant):
        with session_scope(runtime.sessions) as session:
            matcher = runtime.matchers.get(session, tenant.id, tenant.config)
            result, _ = service.ask(session, matcher, tenant.id, question, channel="cli", record=False)
            entry = service.get_entry(session, tenant.id, result.top.entry_id) if result.top else None
            answer = tenant.config.fill(entry.answer) if entry and result.outcome == "answer" else None
        candidates = [c.as_dict() for c in result.candidates[:limit]]
        if as_json:
            click.echo(json.dumps({"outcome": result.outcome, "confidence": round(result.confidence, 4),
                                   "candidates": candidates, "answer": answer}, ensure_ascii=False))
            return
        click.echo(f"outcome: {result.outcome} (confidence {result.confidence:.3f})")
        for i, c in enumerate(candidates, 1):
            click.echo(f"{i:>2}. {c['score']:.3f}  [{c['id']}] {c['question']}")
        if answer:
            click.echo(f"\n{answer}")


def _register_commands() -> None:
    from bot.cli_eval import faq_eval
    from broadcasts.cli import broadcasts, disaster, richmenu
    from directory.cli import directory

    faq.add_command(faq_eval)
    main.add_command(broadcasts)
    main.add_command(richmenu)
    main.add_command(disaster)
    main.add_command(directory)


_register_commands()


@main.group("admin")
def admin_group() -> None:
    """Staff accounts for the console (/admin/)."""


@admin_group.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["viewer", "editor", "broadcaster", "admin", "superuser"]), required=True)
@click.option("-m", "--municipality", "slug", default=None, help="Required except for superusers.")
@click.option("--name", "display_name", default="")
@click.password_option(help="At least 10 characters (prompted when omitted).")
def create_user_cmd(username: str, role: str, slug: str | None, display_name: str, password: str) -> None:
    from admin.auth import AuthError, create_user

    with runtime_from_env() as runtime:
        muni_id = None if role == "superuser" else resolve_tenant(runtime, slug).id
        try:
            with session_scope(runtime.sessions) as session:
                create_user(session, username, password, role, muni_id, display_name)
        except AuthError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"created {role} {username!r}" + (f" for {slug or runtime.settings.default_slug}" if muni_id else ""))


@main.command()
@click.option("--days", type=int, default=None, help="Keep this many days (default: MACHIMADO_RETENTION_DAYS).")
def purge(days: int | None) -> None:
    """Delete residents' personal data older than the retention period (see bot/retention.py)."""
    with runtime_from_env() as runtime:
        keep = days if days is not None else runtime.settings.retention_days
        with session_scope(runtime.sessions) as session:
            counts = purge_old(session, datetime.now(UTC), keep)
        click.echo(f"deleted {counts['questions']} question(s) older than {keep} days, "
                   f"{counts['followers']} blocked follower(s), {counts['recipient_lists']} recipient list(s) "
                   f"of finished notices and {counts['dedupe_keys']} old webhook dedupe key(s)")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Development server (use gunicorn with gunicorn.conf.py in production)."""
    from bot.app import create_app

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
    from bot.demo import run_demo

    run_demo(port)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
