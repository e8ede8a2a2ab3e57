"""`machimado backup DIR` / `machimado restore DIR` (see app/backup.py)."""

from __future__ import annotations

from pathlib import Path

import click

from app.backup import BackupError, backup, restore
from cli.faq import encoding_bar
from cli.support import runtime_from_env
from core.db import session_scope
from faq.kb import all_texts, knowledge_rows
from search.vectors import store_entry_vectors


@click.command("backup")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("-m", "--municipality", "slugs", multiple=True, help="Only this municipality (repeatable; default: all).")
@click.option("--with-password-hashes", is_flag=True,
              help="Include staff password hashes (otherwise restored accounts need `admin set-password`).")
def backup_cmd(directory: Path, slugs: tuple[str, ...], with_password_hashes: bool) -> None:
    """Write a backup (YAML per table + manifest.yaml with checksums) into an empty DIRECTORY."""
    with runtime_from_env() as runtime, session_scope(runtime.sessions) as session:
        try:
            manifest = backup(session, directory, list(slugs) or None, with_password_hashes)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
    rows = sum(t["rows"] for t in manifest["tables"].values())
    click.echo(f"backed up {', '.join(manifest['municipalities'])}: {rows} rows in {len(manifest['tables'])} tables "
               f"→ {directory}")


@click.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore_cmd(directory: Path) -> None:
    """Restore a backup into an empty database (creates the schema; do not run `init` first), then store the
    knowledge base's sentence vectors."""
    with runtime_from_env() as runtime:
        try:
            counts = restore(runtime.engine, directory)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"restored {sum(counts.values())} rows in {len(counts)} tables")
        for slug in runtime.settings.municipalities:
            tenant = runtime.tenant(slug)
            if tenant is None:
                continue
            with session_scope(runtime.sessions) as session:
                store_entry_vectors(session, all_texts(*knowledge_rows(session, tenant.id)), progress=encoding_bar)
