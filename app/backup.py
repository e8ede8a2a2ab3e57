"""Backup and restore of one municipality (or all): everything a city would need to start again elsewhere.

``backup(session, dir, slugs)`` writes one YAML file per table — the FAQ with its revisions, staff synonyms,
the directory, notices with their batches, residents (followers, preferences, questions, feedback, 相談), staff
accounts (password hashes only when asked), the audit log and the disaster-mode state — and ``manifest.yaml``
with each file's row count and SHA-256. ``restore(engine, dir)`` checks the manifest, creates the schema and
inserts every row with its own id into an empty database, in one transaction, then sets PostgreSQL's id
sequences past them: a backup of the restored database is byte-identical to the original one (tested on
SQLite and PostgreSQL).

Left out on purpose: sentence vectors (a cache, recomputed after a restore), webhook dedupe keys, staff
sessions, login counters and import jobs (all short-lived). Without ``password_hashes`` the restored staff
accounts get an unusable random password: set one with ``machimado admin set-password``.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Table, func, insert, or_, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

import migrations
from core.db import Base
from core.models import Municipality
from core.private_files import private_folder, write_private
from core.timeutil import utcnow

FORMAT = 1
SKIPPED = {"text_vectors", "processed_events", "staff_sessions", "login_throttle", "import_jobs"}
Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class BackupError(ValueError):
    """The backup cannot be made or restored; the message says why."""


def _tables() -> list[Table]:
    import admin.models  # noqa: F401  (every model, as migrations/env.py registers them)
    import broadcasts.models  # noqa: F401
    import desk.models  # noqa: F401
    import directory.models  # noqa: F401
    import faq.models  # noqa: F401
    import gomi.models  # noqa: F401
    import reports.models  # noqa: F401
    import search.vectors  # noqa: F401

    return [t for t in Base.metadata.sorted_tables if t.name not in SKIPPED]


def _rows_of(session: Session, table: Table, ids: list[int], everything: bool,
             chosen: dict[str, Any]) -> list[dict[str, Any]]:
    """The table's rows that belong to the chosen municipalities (through municipality_id, or a parent row)."""
    query = select(table)
    if table.name == "municipalities":
        query = query.where(table.c.id.in_(ids))
    elif "municipality_id" in table.c:
        scoped = table.c.municipality_id.in_(ids)
        query = query.where(or_(scoped, table.c.municipality_id.is_(None)) if everything else scoped)
    else:
        parent = next(fk for fk in table.foreign_keys if fk.column.table.name in chosen)
        query = query.where(parent.parent.in_(select(parent.column).where(chosen[parent.column.table.name])))
    pk = list(table.primary_key.columns)
    return [{str(k): v for k, v in row._mapping.items()} for row in session.execute(query.order_by(*pk))]


def backup(session: Session, directory: Path, slugs: list[str] | None = None,
           password_hashes: bool = False) -> dict[str, Any]:
    """Write the backup of ``slugs`` (all municipalities when None) into ``directory``; returns the manifest."""
    everything = slugs is None
    query = select(Municipality.id, Municipality.slug)
    found = dict(session.execute(query if everything else query.where(Municipality.slug.in_(slugs or []))).all())
    if not everything and len(found) != len(set(slugs or [])):
        raise BackupError(f"unknown municipality: {', '.join(sorted(set(slugs or []) - set(found.values())))}")
    ids = sorted(found)
    private_folder(directory)
    if any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty")
    chosen: dict[str, Any] = {}  # table -> condition selecting its chosen rows (for child tables)
    tables: dict[str, dict[str, Any]] = {}
    for table in _tables():
        rows = _rows_of(session, table, ids, everything, chosen)
        if "municipality_id" in table.c or table.name == "municipalities":
            key = table.c.id if table.name == "municipalities" else table.c.municipality_id
            chosen[table.name] = or_(key.in_(ids), key.is_(None)) if everything else key.in_(ids)
        elif table.name in ("faq_revisions", "notice_batches", "consultation_messages"):
            parent = next(fk for fk in table.foreign_keys)
            chosen[table.name] = parent.parent.in_(select(parent.column).where(chosen[parent.column.table.name]))
        if table.name == "staff_users" and not password_hashes:
            rows = [{**row, "password_hash": ""} for row in rows]
        data = yaml.dump(rows, Dumper=Dumper, allow_unicode=True, sort_keys=True).encode("utf-8")
        write_private(directory / f"{table.name}.yaml", data)
        tables[str(table.name)] = {"rows": len(rows), "sha256": hashlib.sha256(data).hexdigest()}
    manifest = {"format": FORMAT, "created_at": utcnow().isoformat(), "municipalities": sorted(map(str, found.values())),
                "all": everything, "password_hashes": password_hashes, "tables": tables}
    write_private(directory / "manifest.yaml",
                  yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False).encode("utf-8"))
    return manifest


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest, after checking every file against it (a changed or missing file is a clear error)."""
    path = directory / "manifest.yaml"
    if not path.exists():
        raise BackupError(f"{directory} has no manifest.yaml: not a machimado backup")
    manifest = yaml.safe_load(path.read_text("utf-8"))
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("manifest.yaml is not a machimado backup of a format this version reads")
    for name, info in manifest["tables"].items():
        file = directory / f"{name}.yaml"
        if not file.exists() or hashlib.sha256(file.read_bytes()).hexdigest() != info["sha256"]:
            raise BackupError(f"{file.name} is missing or changed since the backup (checksum differs)")
    return manifest


def restore(engine: Engine, directory: Path) -> dict[str, int]:
    """Restore into an empty database (the schema is created here); returns rows per table."""
    manifest = read_manifest(directory)
    migrations.upgrade(engine)
    counts: dict[str, int] = {}
    with Session(engine) as session:
        if session.scalar(select(func.count()).select_from(Municipality)):
            raise BackupError("the database is not empty (it has municipalities): restore into a new database, "
                              "without running `machimado init` first")
        unusable = generate_password_hash(secrets.token_hex(16), method="scrypt")
        for table in _tables():
            if table.name not in manifest["tables"]:
                continue
            rows = yaml.load((directory / f"{table.name}.yaml").read_bytes(), Loader=Loader) or []
            if table.name == "staff_users":
                rows = [{**row, "password_hash": row["password_hash"] or unusable} for row in rows]
            for start in range(0, len(rows), 500):
                session.execute(insert(table), rows[start:start + 500])
            counts[table.name] = len(rows)
        if engine.dialect.name == "postgresql":
            for table in _tables():
                if "id" in table.c and table.c.id.autoincrement is not False and table.c.id.primary_key:
                    session.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"))
        session.commit()
    return counts
