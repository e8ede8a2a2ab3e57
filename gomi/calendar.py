"""A municipality's calendar in memory: which types an area's residents put out on which day.

Loaded from the database once per import (:class:`CalendarCache`, keyed by the calendar's ``imported_at``) and
answered by gomi.spec; nothing here knows about LINE or Flask.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gomi.dictionary import Dictionary, load_dictionary
from gomi.models import GomiArea, GomiCalendar, GomiPause, GomiRemark, GomiType
from gomi.reader import centre_key
from gomi.spec import Pause, Spec, SpecError, month_dates, next_date, parse


@dataclass
class AreaCalendar:
    name: str
    raw_name: str
    reading: str
    centre: str
    district: str
    specs: dict[str, Spec]
    pauses: tuple[Pause, ...]


@dataclass
class Calendar:
    municipality_id: int
    pause_mode: str
    types: list[GomiType]
    areas: dict[str, AreaCalendar]
    remarks: dict[int, str] = field(default_factory=dict)
    version: datetime | None = None

    @property
    def labels(self) -> list[str]:
        return [t.label for t in self.types]

    def type_info(self, label: str) -> GomiType | None:
        return next((t for t in self.types if t.label == label), None)

    def area(self, name: str) -> AreaCalendar | None:
        found = self.areas.get(name)
        if found is None:
            found = next((a for a in self.areas.values() if a.raw_name == name), None)
        return found

    def dates(self, area: AreaCalendar, label: str, year: int, month: int) -> set[date]:
        spec = area.specs.get(label)
        return month_dates(spec, year, month, area.pauses, self.pause_mode) if spec else set()

    def types_on(self, area: AreaCalendar, day: date) -> list[str]:
        """The types collected in ``area`` on ``day``, in the calendar's order."""
        return [label for label in self.labels if day in self.dates(area, label, day.year, day.month)]

    def next_date(self, area: AreaCalendar, label: str, start: date, horizon_months: int = 26) -> date | None:
        spec = area.specs.get(label)
        if spec is None or not spec.collected:
            return None
        return next_date(spec, start, area.pauses, self.pause_mode, horizon_months)

    def paused(self, area: AreaCalendar, day: date) -> Pause | None:
        """The year-end pause ``day`` falls in, if any (said plainly to residents)."""
        return next(((s, e) for s, e in area.pauses if s <= day <= e), None)

    def week(self, area: AreaCalendar, start: date, days: int = 7) -> list[tuple[date, list[str]]]:
        return [(start + timedelta(days=i), self.types_on(area, start + timedelta(days=i))) for i in range(days)]

    def month(self, area: AreaCalendar, year: int, month: int) -> dict[date, list[str]]:
        by_day: dict[date, list[str]] = {}
        for label in self.labels:
            for day in sorted(self.dates(area, label, year, month)):
                by_day.setdefault(day, []).append(label)
        return by_day


def load(session: Session, municipality_id: int) -> Calendar | None:
    """The municipality's calendar, or None when no 5374 data was imported."""
    settings = session.get(GomiCalendar, municipality_id)
    if settings is None or settings.imported_at is None:
        return None
    types = list(session.scalars(select(GomiType).where(GomiType.municipality_id == municipality_id)
                                 .order_by(GomiType.position)))
    for t in types:
        session.expunge(t)
    pauses: dict[str, list[Pause]] = {}
    for pause in session.scalars(select(GomiPause).where(GomiPause.municipality_id == municipality_id)):
        pauses.setdefault(centre_key(pause.centre), []).append((pause.start, pause.end))
    areas: dict[str, AreaCalendar] = {}
    for row in session.scalars(select(GomiArea).where(GomiArea.municipality_id == municipality_id)
                               .order_by(GomiArea.position)):
        specs: dict[str, Spec] = {}
        for label, cell in (row.cells or {}).items():
            if label in (row.invalid or []):
                continue
            try:
                specs[label] = parse(cell)
            except SpecError:
                continue
        areas[row.name] = AreaCalendar(row.name, row.raw_name, row.reading, row.centre, row.district, specs,
                                       tuple(pauses.get(centre_key(row.centre), ())))
    remarks = {number: text for number, text in session.execute(
        select(GomiRemark.number, GomiRemark.text).where(GomiRemark.municipality_id == municipality_id))}
    return Calendar(municipality_id, settings.pause_mode, types, areas, remarks, settings.imported_at)


class CalendarCache:
    """One parsed calendar (and sorting dictionary) per municipality per process, reloaded when an import changed
    ``imported_at`` (checked in one small query per question)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: dict[int, Calendar] = {}
        self._dictionaries: dict[int, tuple[datetime | None, Dictionary]] = {}

    def dictionary(self, session: Session, calendar: Calendar) -> Dictionary:
        with self._lock:
            cached = self._dictionaries.get(calendar.municipality_id)
        if cached is not None and cached[0] == calendar.version:
            return cached[1]
        fresh = load_dictionary(session, calendar.municipality_id)
        with self._lock:
            self._dictionaries[calendar.municipality_id] = (calendar.version, fresh)
        return fresh

    def get(self, session: Session, municipality_id: int) -> Calendar | None:
        row = session.execute(select(GomiCalendar.imported_at, GomiCalendar.pause_mode).where(
            GomiCalendar.municipality_id == municipality_id)).first()
        if row is None or row[0] is None:
            return None
        with self._lock:
            cached = self._cached.get(municipality_id)
        if cached is not None and (cached.version, cached.pause_mode) == tuple(row):
            return cached
        fresh = load(session, municipality_id)
        if fresh is not None:
            with self._lock:
                self._cached[municipality_id] = fresh
        return fresh
