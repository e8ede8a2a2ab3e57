"""Municipality additions to imported facilities (reservation URL, rooms, fees, hours), keyed by ID."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.models import Place

ALLOWED = {"reservation_url", "rooms", "fees", "hours", "note"}


class AdditionsError(ValueError):
    pass


def apply_additions(session: Session, municipality_id: int, path: Path) -> int:
    """Attach additions to facilities; every key must name an imported facility (else nothing changes)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise AdditionsError(f"{path}: cannot read: {exc}") from exc
    facilities: dict[str, Any] = data.get("facilities") or {}
    places = {p.key: p for p in session.scalars(select(Place).where(Place.municipality_id == municipality_id,
                                                                   Place.kind == "facilities"))}
    errors = [f"{path}: facility {key!r} has not been imported" for key in facilities if str(key) not in places]
    errors += [f"{path}: facility {key!r}: unknown field(s) {', '.join(sorted(set(v) - ALLOWED))}"
               for key, v in facilities.items() if isinstance(v, dict) and set(v) - ALLOWED]
    if errors:
        raise AdditionsError("\n".join(errors))
    for key, values in facilities.items():
        places[str(key)].additions = dict(values or {})
    session.flush()
    return len(facilities)
