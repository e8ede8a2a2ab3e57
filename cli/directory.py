"""`machimado directory …`: import open data, procedures and additions; nearest; shelter status."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TypeVar

import click

from cli.support import municipality_option, tenant_runtime
from core.db import session_scope
from directory.additions import AdditionsError, apply_additions
from directory.csvfile import CsvError
from directory.importer import import_places
from directory.models import KINDS
from directory.places import STATUS_JA, find_place, nearest, set_status
from directory.procedures import DEFAULT_PACK, ProcedureError, import_procedures, load_procedures


class DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


T = TypeVar("T")


@click.group("directory")
def directory() -> None:
    """Procedures, facilities, shelters, AEDs, childcare and hospitals."""


@directory.command("import")
@click.option("--kind", type=click.Choice(KINDS), required=True)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@municipality_option
def import_cmd(kind: str, file: Path, dry_run: bool, slug: str | None) -> None:
    """Import a 自治体標準オープンデータセット CSV (正式版 or 推奨 columns) as one transaction."""
    with tenant_runtime(slug) as (runtime, tenant):
        report = None
        try:
            with session_scope(runtime.sessions) as session:
                with click.progressbar(length=1, label=f"{file.name}", file=sys.stderr) as bar:
                    def progress(items: Iterable[T]) -> Iterator[T]:
                        items = list(items)
                        bar.length = max(len(items), 1)
                        for item in items:
                            yield item
                            bar.update(1)
                    report = import_places(session, tenant.id, kind, file.read_bytes(), progress)
                if dry_run:
                    raise DryRun
        except DryRun:
            pass
        except CsvError as exc:
            raise click.ClickException(f"{file}: nothing imported: {exc}") from exc
        assert report is not None
        click.echo(("[dry run] " if dry_run else "") + report.summary())
        for line in report.skipped[:50]:
            click.echo(f"  skipped {line}")
        for line in report.warnings[:50]:
            click.echo(f"  warning {line}")


@directory.command("procedures")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=DEFAULT_PACK)
@municipality_option
def procedures_cmd(file: Path, slug: str | None) -> None:
    """Import a procedures catalog YAML (all or nothing, update by key)."""
    with tenant_runtime(slug) as (runtime, tenant):
        try:
            items = load_procedures(file)
        except ProcedureError as exc:
            raise click.ClickException(f"nothing imported:\n{exc}") from exc
        with session_scope(runtime.sessions) as session:
            counts = import_procedures(session, tenant.id, items)
        click.echo(", ".join(f"{v} {k}" for k, v in counts.items()))


@directory.command("additions")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@municipality_option
def additions_cmd(file: Path, slug: str | None) -> None:
    """Attach reservation URLs, rooms, fees and hours (YAML keyed by facility ID)."""
    with tenant_runtime(slug) as (runtime, tenant):
        try:
            with session_scope(runtime.sessions) as session:
                count = apply_additions(session, tenant.id, file)
        except AdditionsError as exc:
            raise click.ClickException(f"nothing changed:\n{exc}") from exc
        click.echo(f"{count} facilities updated")


@directory.command("nearest")
@click.option("--kind", type=click.Choice(KINDS), required=True)
@click.option("--lat", type=float, required=True)
@click.option("--lon", type=float, required=True)
@click.option("--limit", default=5, show_default=True)
@click.option("--open-only", is_flag=True, help="Shelters that are open now.")
@click.option("--json", "as_json", is_flag=True)
@municipality_option
def nearest_cmd(kind: str, lat: float, lon: float, limit: int, open_only: bool, as_json: bool,
                slug: str | None) -> None:
    with tenant_runtime(slug) as (runtime, tenant):
        with session_scope(runtime.sessions) as session:
            found = [n.as_dict() for n in nearest(session, tenant.id, kind, lat, lon, limit, open_only)]
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False))
        return
    for item in found:
        click.echo(f"{item['distance_m']:>7} m  {STATUS_JA.get(str(item['status']), '')}  {item['name']}  "
                   f"({item['lat']}, {item['lon']})")


@directory.command("shelter-status")
@click.argument("ref")
@click.argument("status", type=click.Choice(["open", "closed", "full"]))
@municipality_option
def shelter_status(ref: str, status: str, slug: str | None) -> None:
    """Mark a shelter (ID or name) open / closed / full."""
    with tenant_runtime(slug) as (runtime, tenant):
        with session_scope(runtime.sessions) as session:
            matches = find_place(session, tenant.id, "shelters", ref)
            if len(matches) != 1:
                names = ", ".join(f"#{p.id} {p.name}" for p in matches) or "none"
                raise click.ClickException(f"{ref!r} matches {len(matches)} shelters ({names}); use the ID")
            set_status(matches[0], status)
            click.echo(f"#{matches[0].id} {matches[0].name}: {STATUS_JA[status]}")
