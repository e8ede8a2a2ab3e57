"""Keep the municipalities table in step with the configuration."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Municipality
from core.settings import Settings


def sync_municipalities(session: Session, settings: Settings) -> dict[str, int]:
    """Insert/rename configured municipalities; return ``{slug: id}``. Never deletes data."""
    rows = {m.slug: m for m in session.scalars(select(Municipality))}
    for slug, config in settings.municipalities.items():
        row = rows.get(slug)
        if row is None:
            row = Municipality(slug=slug, name=config.name)
            session.add(row)
            rows[slug] = row
        elif row.name != config.name:
            row.name = config.name
    session.flush()
    return {slug: rows[slug].id for slug in settings.municipalities}
