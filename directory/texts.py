"""What of a procedure or a facility is indexed and encoded: (phrasings, answer text).

Directory entries are matched in the same index as FAQ entries (faq/kb.py), and their sentence vectors
are stored when they are imported (directory/importer.py, directory/procedures.py): both read these.
"""

from __future__ import annotations

from directory.models import Place, Procedure


def procedure_texts(proc: Procedure) -> tuple[list[str], str]:
    return [p for p in [proc.name, *(proc.aliases or [])] if p.strip()], f"{proc.summary} {proc.eligibility}"


def facility_texts(place: Place) -> tuple[list[str], str]:
    return [p for p in (place.name, place.kana) if p and p.strip()], f"{place.description} {place.address}"
