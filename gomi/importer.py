"""Importing a 5374 data set into a municipality's calendar: one transaction, the old calendar replaced whole.

:func:`preview` reads the files and lists every problem cell without touching the database (the console shows it
before anything is saved); :func:`import_dataset` writes it. A cell the grammar cannot read is kept as written
(the area's other types still work) and listed in the import's problems; nothing is guessed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.orm import Session

from core.timeutil import utcnow
from gomi.models import GomiArea, GomiCalendar, GomiImport, GomiItem, GomiPause, GomiRemark, GomiType
from gomi.reader import Dataset, read
from search.normalize import hiragana_rendering

PAUSE_MODES = ("skip", "shift")
# The fictional demo city's 5374 data (a few districts, every token kind), loaded by the demo.
DEMO_DATA = Path(__file__).parent / "data" / "sample"


@dataclass(frozen=True)
class Summary:
    areas: int
    types: int
    items: int
    pauses: int
    problems: int

    def as_dict(self) -> dict[str, int]:
        return {"areas": self.areas, "types": self.types, "items": self.items, "pauses": self.pauses,
                "problems": self.problems}


def summarize(data: Dataset) -> Summary:
    return Summary(len(data.areas), len(data.types), len(data.items),
                   sum(len(v) for v in data.pauses.values()), len(data.problems))


def preview(source: Path | str | bytes) -> Dataset:
    """Read without saving (raises gomi.reader.DatasetError when the folder cannot be read at all)."""
    return read(source)


def reading(text: str) -> str:
    """Hiragana reading of a name (本町2丁目 → ほんまち2ちょうめ), for residents who type kana."""
    try:
        return hiragana_rendering(text)[:400]
    except Exception:  # a tokenizer failure on odd input must not stop an import
        return ""


_NUMERALS = str.maketrans("一二三四五六七八九〇", "1234567890")


def area_reading(name: str) -> str:
    """The readings residents may type for an area, ``|``-separated: digits kept (本町2丁目 → ほんちょう2ちょうめ, as
    residents type 「ほんちょう2ちょうめ」), and 町 read both ways (ちょう / まち: 本町 is ほんまち in many towns;
    SudachiPy can only give one)."""
    text = unicodedata.normalize("NFKC", name).translate(_NUMERALS)
    base = "".join(part if part.isdigit() else reading(part) for part in re.split(r"(\d+)", text) if part)
    variants = [base]
    if "町" in text:
        variants += [re.sub(r"ちょう(?!め)", "まち", base), re.sub(r"まち", "ちょう", base)]
    return "|".join(dict.fromkeys(v for v in variants if v))[:400]


def import_dataset(session: Session, municipality_id: int, data: Dataset, source: str = "", username: str = "",
                   pause_mode: str | None = None) -> GomiImport:
    """Replace the municipality's calendar with ``data`` (the caller commits: all of it or none)."""
    for model in (GomiArea, GomiType, GomiPause, GomiItem, GomiRemark):
        session.execute(delete(model).where(model.municipality_id == municipality_id))
    calendar = session.get(GomiCalendar, municipality_id)
    if calendar is None:
        calendar = GomiCalendar(municipality_id=municipality_id)
        session.add(calendar)
    if pause_mode is not None:
        if pause_mode not in PAUSE_MODES:
            raise ValueError(f"pause mode must be one of {', '.join(PAUSE_MODES)}")
        calendar.pause_mode = pause_mode
    calendar.imported_at = utcnow()
    for position, info in enumerate(data.types):
        session.add(GomiType(municipality_id=municipality_id, position=position, label=info.label[:120],
                             sublabel=info.sublabel[:200], description=info.description, colour=info.colour[:20]))
    for position, area in enumerate(data.areas):
        invalid = [label for label in area.cells if label not in area.specs]
        session.add(GomiArea(municipality_id=municipality_id, position=position, name=area.name[:200],
                             raw_name=area.raw_name[:200], reading=area_reading(area.raw_name), centre=area.centre[:200],
                             district=area.district[:200], cells=area.cells, invalid=invalid))
    for centre, ranges in data.pauses.items():
        for start, end in ranges:
            session.add(GomiPause(municipality_id=municipality_id, centre=centre[:200], start=start, end=end))
    for item in data.items:
        session.add(GomiItem(municipality_id=municipality_id, name=item.name[:300], reading=reading(item.name)[:600],
                             type_label=item.type_label[:120], notice=item.notice))
    for number, text in data.remarks.items():
        session.add(GomiRemark(municipality_id=municipality_id, number=number, text=text))
    record = GomiImport(municipality_id=municipality_id, source=source[:300], username=username[:80],
                        counts=summarize(data).as_dict(), problems=[p.as_dict() for p in data.problems[:2000]],
                        notes=data.notes[:500])
    session.add(record)
    session.flush()
    return record
