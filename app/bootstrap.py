"""Bring a deployment's database to life: schema upgrade, each municipality's pack, procedures and places.

Used by `machimado init`, the demo and the tests, so every one of them starts from the same state.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import migrations as migrate
from bot.runtime import Runtime
from core.db import session_scope
from core.tenancy import sync_municipalities
from directory.additions import apply_additions
from directory.importer import import_places
from directory.models import Place, Procedure
from directory.procedures import DEFAULT_PACK as PROCEDURES
from directory.procedures import import_procedures, load_procedures
from faq.models import FaqEntry
from faq.packs import DEMO_PACK, import_entries, load_pack_file
from gomi.importer import DEMO_DATA, import_dataset
from gomi.models import GomiCalendar
from gomi.reader import read as read_gomi
from reports import samples as report_samples
from reports.defaults import ensure_categories


def init_database(runtime: Runtime, load_demo: bool = True) -> dict[str, dict[str, int]]:
    """Create/upgrade the schema; give every municipality with an empty knowledge base its pack."""
    migrate.upgrade(runtime.engine)
    loaded: dict[str, dict[str, int]] = {}
    with session_scope(runtime.sessions) as session:
        ids = sync_municipalities(session, runtime.settings.municipalities)
        for slug, municipality_id in ids.items():
            config = runtime.settings.municipalities[slug]
            pack = config.faq_pack_path or (DEMO_PACK if load_demo else None)
            empty = not session.scalar(select(func.count(FaqEntry.id)).where(FaqEntry.municipality_id == municipality_id))
            if pack and empty:
                loaded[slug] = import_entries(session, municipality_id, load_pack_file(pack), author="init").as_dict()
            demo = load_demo and slug == "sample" and not config.faq_pack_path
            seed_directory(session, municipality_id, demo=demo)
            ensure_categories(session, municipality_id)
            if demo:
                report_samples.seed(session, municipality_id, runtime.photo_store)
    return loaded


def seed_directory(session: Session, municipality_id: int, demo: bool) -> None:
    """Procedures for every municipality with none; the fictional demo city's places for the demo."""
    if not session.scalar(select(func.count(Procedure.id)).where(Procedure.municipality_id == municipality_id)):
        import_procedures(session, municipality_id, load_procedures(PROCEDURES))
    if demo and not session.scalar(select(func.count(Place.id)).where(Place.municipality_id == municipality_id)):
        data = PROCEDURES.parent
        for kind in ("facilities", "shelters", "aed", "events"):
            import_places(session, municipality_id, kind, (data / f"sample_{kind}.csv").read_bytes())
        apply_additions(session, municipality_id, data / "sample_additions.yaml")
    if demo and session.get(GomiCalendar, municipality_id) is None:
        import_dataset(session, municipality_id, read_gomi(DEMO_DATA), source="sample (demo)", username="init")
