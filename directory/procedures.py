"""Procedures catalog: a YAML pack per municipality, imported as one transaction (upsert by key)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.models import Procedure
from directory.texts import procedure_texts
from search.vectors import store_entry_vectors

DEFAULT_PACK = Path(__file__).with_name("data") / "procedures.yaml"
FIELDS = ("name", "aliases", "category", "summary", "eligibility", "bring", "fees", "deadline", "department",
          "contact", "channels")
METHODS = {"mynaportal": "マイナポータルで申請", "e_apply": "オンラインで申請", "online": "オンラインで申請",
           "konbini": "コンビニで取得", "counter": "窓口で手続き", "phone": "電話で申込み"}


class ProcedureError(ValueError):
    pass


def load_procedures(path: Path = DEFAULT_PACK) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, yaml.YAMLError) as exc:
        raise ProcedureError(f"{path}: cannot read: {exc}") from exc
    items = data.get("procedures") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ProcedureError(f"{path}: expected 'procedures:' with a list")
    result, errors, seen = [], [], set()
    for i, raw in enumerate(items, 1):
        where = f"{path}: procedures[{i}]"
        if not isinstance(raw, dict) or not raw.get("key") or not raw.get("name"):
            errors.append(f"{where}: needs at least key and name")
            continue
        unknown = set(raw) - set(FIELDS) - {"key"}
        if unknown:
            errors.append(f"{where} ({raw['key']}): unknown key(s) {', '.join(sorted(unknown))}")
        if raw["key"] in seen:
            errors.append(f"{where}: duplicate key {raw['key']!r}")
        seen.add(raw["key"])
        channels = raw.get("channels") or [{"method": "counter"}]
        bad = [c for c in channels if not isinstance(c, dict) or c.get("method") not in METHODS]
        if bad:
            errors.append(f"{where} ({raw['key']}): channel method must be one of {', '.join(METHODS)}")
        result.append({"key": str(raw["key"]), "name": str(raw["name"]),
                       "aliases": [str(a) for a in raw.get("aliases") or []],
                       "category": str(raw.get("category", "")), "summary": str(raw.get("summary", "")),
                       "eligibility": str(raw.get("eligibility", "")),
                       "bring": [str(b) for b in raw.get("bring") or []], "fees": str(raw.get("fees", "")),
                       "deadline": str(raw.get("deadline", "")), "department": str(raw.get("department", "")),
                       "contact": str(raw.get("contact", "")),
                       "channels": [{k: str(v) for k, v in c.items()} for c in channels if isinstance(c, dict)]})
    if errors:
        raise ProcedureError("\n".join(errors))
    return result


def import_procedures(session: Session, municipality_id: int, items: list[dict[str, Any]]) -> dict[str, int]:
    existing = {p.key: p for p in session.scalars(select(Procedure).where(Procedure.municipality_id == municipality_id))}
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    changed = []
    for item in items:
        row = existing.get(item["key"])
        if row is None:
            row = Procedure(municipality_id=municipality_id, **item)
            session.add(row)
            changed.append(row)
            counts["created"] += 1
        elif all(getattr(row, f) == item[f] for f in FIELDS):
            counts["unchanged"] += 1
        else:
            for f in FIELDS:
                setattr(row, f, item[f])
            row.revision += 1
            changed.append(row)
            counts["updated"] += 1
    session.flush()
    store_entry_vectors(session, [procedure_texts(p) for p in changed])  # they are searched with the FAQ
    return counts
