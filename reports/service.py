"""Reports from draft to done: the resident's draft in the chat, submitting it (受付番号), staff changing its status
with a note to the resident, nearby reports. Callers own the transaction (one per webhook event or console request).

A change the resident is told about is an :class:`ReportEvent` saved with a retry key *before* it is pushed
(reports.notify); the push happens after the caller commits.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.timeutil import as_utc, local, utcnow
from directory.models import Place
from directory.places import distance_m
from reports.models import OPEN_STATUSES, STATUSES, Report, ReportCategory, ReportEvent, ReportPhoto

DRAFT_TTL = timedelta(minutes=30)  # a draft left alone longer is started afresh (and purged after a day)
MAX_PHOTOS = 3
MAX_COMMENT = 1000
NEARBY_M = 30.0
# A place farther than this from every place the municipality's directory knows (shelters, facilities, AEDs) is
# probably outside it or at sea: staff are warned, the report is kept (there is no boundary polygon in the data).
OUTSIDE_M = 5000.0
TRANSITIONS = {"received": ("in_progress", "done", "rejected"), "in_progress": ("done", "rejected", "received"),
               "done": ("in_progress",), "rejected": ("received",)}


class ReportError(ValueError):
    """A change that cannot be made (wrong status, unknown category): shown to staff as it is."""


def categories(session: Session, municipality_id: int, active_only: bool = True) -> list[ReportCategory]:
    query = select(ReportCategory).where(ReportCategory.municipality_id == municipality_id)
    if active_only:
        query = query.where(ReportCategory.active.is_(True))
    return list(session.scalars(query.order_by(ReportCategory.position, ReportCategory.id)))


def category(session: Session, municipality_id: int, category_id: int | None) -> ReportCategory | None:
    if category_id is None:
        return None
    return session.scalar(select(ReportCategory).where(ReportCategory.id == category_id,
                                                       ReportCategory.municipality_id == municipality_id))


def get(session: Session, municipality_id: int, report_id: int) -> Report | None:
    return session.scalar(select(Report).where(Report.id == report_id, Report.municipality_id == municipality_id))


def draft_of(session: Session, municipality_id: int, follower_id: int, fresh_only: bool = True) -> Report | None:
    """The resident's draft, when they touched it within DRAFT_TTL (``fresh_only``)."""
    draft = session.scalar(select(Report).where(Report.municipality_id == municipality_id,
                                                Report.follower_id == follower_id, Report.status == "draft")
                           .order_by(Report.id.desc()).limit(1))
    if draft is not None and fresh_only and utcnow() - as_utc(draft.updated_at) > DRAFT_TTL:
        return None
    return draft


def start_draft(session: Session, municipality_id: int, follower_id: int, language: str | None) -> Report:
    """A new draft; an older one of the same resident is dropped (with its photos, by the caller's purge)."""
    for old in session.scalars(select(Report).where(Report.municipality_id == municipality_id,
                                                    Report.follower_id == follower_id, Report.status == "draft")):
        old.status = "abandoned"
    draft = Report(municipality_id=municipality_id, follower_id=follower_id, language=language)
    session.add(draft)
    session.flush()
    return draft


def touch(report: Report) -> None:
    report.updated_at = utcnow()


def photos_of(session: Session, report: Report) -> list[ReportPhoto]:
    return list(session.scalars(select(ReportPhoto).where(ReportPhoto.report_id == report.id)
                                .order_by(ReportPhoto.id)))


def photo_count(session: Session, report: Report) -> int:
    return int(session.scalar(select(func.count()).select_from(ReportPhoto)
                              .where(ReportPhoto.report_id == report.id)) or 0)


def set_place(session: Session, report: Report, lat: float | None, lon: float | None, address: str) -> None:
    report.lat, report.lon, report.address = lat, lon, address.strip()[:300]
    report.outside = lat is not None and lon is not None and looks_outside(session, report.municipality_id, lat, lon)
    touch(report)


def looks_outside(session: Session, municipality_id: int, lat: float, lon: float) -> bool:
    """Farther than OUTSIDE_M from every place of the municipality's directory (False when it knows none)."""
    rows = session.execute(select(Place.lat, Place.lon).where(Place.municipality_id == municipality_id,
                                                              Place.lat.is_not(None), Place.lon.is_not(None))).all()
    known = [(a, b) for a, b in rows if a is not None and b is not None]
    if not known:
        return False
    return min(distance_m(lat, lon, a, b) for a, b in known) > OUTSIDE_M


def submit(session: Session, report: Report) -> str:
    """Draft → received, with its 受付番号 (year-id, unique) and the category's division; returns the number."""
    if report.status != "draft":
        raise ReportError("この通報はすでに受け付けています。")
    now = utcnow()
    report.status, report.submitted_at, report.updated_at = "received", now, now
    current = local(now)
    assert current is not None
    report.receipt = f"{current.year}-{report.id:06d}"
    chosen = category(session, report.municipality_id, report.category_id)
    report.division = chosen.division if chosen else ""
    session.add(ReportEvent(municipality_id=report.municipality_id, report_id=report.id, kind="submitted",
                            status="received"))
    session.flush()
    return report.receipt


def change_status(session: Session, report: Report, status: str, author: str, message: str = "",
                  note: str = "") -> ReportEvent:
    """A staff status change, saved with the resident's push pending (when the resident can still be reached)."""
    if status not in STATUSES:
        raise ReportError(f"状態は {', '.join(STATUSES)} のどれかです。")
    if status not in TRANSITIONS.get(report.status, ()):
        raise ReportError("この状態には変えられません。")
    report.status, report.updated_at = status, utcnow()
    event = ReportEvent(municipality_id=report.municipality_id, report_id=report.id, kind="status", status=status,
                        message=message.strip()[:1000], note=note.strip()[:2000], author=author[:120])
    if report.follower_id is not None:
        event.push, event.retry_key = "pending", str(uuid.uuid4())
    session.add(event)
    session.flush()
    return event


def assign(session: Session, report: Report, division: str, author: str) -> ReportEvent:
    report.division, report.updated_at = division.strip()[:80], utcnow()
    event = ReportEvent(municipality_id=report.municipality_id, report_id=report.id, kind="assign",
                        note=report.division, author=author[:120])
    session.add(event)
    session.flush()
    return event


def add_note(session: Session, report: Report, note: str, author: str) -> ReportEvent:
    event = ReportEvent(municipality_id=report.municipality_id, report_id=report.id, kind="note",
                        note=note.strip()[:2000], author=author[:120])
    session.add(event)
    report.updated_at = utcnow()
    session.flush()
    return event


def history(session: Session, report: Report) -> list[ReportEvent]:
    return list(session.scalars(select(ReportEvent).where(ReportEvent.report_id == report.id)
                                .order_by(ReportEvent.id)))


@dataclass(frozen=True)
class Filters:
    status: str = ""  # "" = every submitted one, "open" = received + in_progress
    category_id: int | None = None
    district: str = ""
    since: datetime | None = None
    until: datetime | None = None


def listing(session: Session, municipality_id: int, filters: Filters = Filters(), limit: int = 500) -> list[Report]:
    query = select(Report).where(Report.municipality_id == municipality_id, Report.status.in_(STATUSES))
    if filters.status == "open":
        query = query.where(Report.status.in_(OPEN_STATUSES))
    elif filters.status in STATUSES:
        query = query.where(Report.status == filters.status)
    if filters.category_id is not None:
        query = query.where(Report.category_id == filters.category_id)
    if filters.district:
        query = query.where(Report.district == filters.district)
    if filters.since is not None:
        query = query.where(Report.submitted_at >= filters.since)
    if filters.until is not None:
        query = query.where(Report.submitted_at < filters.until)
    return list(session.scalars(query.order_by(Report.submitted_at.desc(), Report.id.desc()).limit(limit)))


def nearby(session: Session, report: Report, within_m: float = NEARBY_M) -> list[tuple[Report, float]]:
    """Other submitted reports of the municipality within ``within_m`` (possible duplicates), nearest first."""
    if report.lat is None or report.lon is None:
        return []
    # a box first (1° of latitude ≈ 111 km), the exact distance after
    dlat = within_m / 111_000 * 1.5
    dlon = dlat / max(math.cos(math.radians(report.lat)), 0.01)
    rows = session.scalars(select(Report).where(
        Report.municipality_id == report.municipality_id, Report.id != report.id, Report.status.in_(STATUSES),
        Report.lat.between(report.lat - dlat, report.lat + dlat),
        Report.lon.between(report.lon - dlon, report.lon + dlon)))
    found = [(r, distance_m(report.lat, report.lon, r.lat, r.lon)) for r in rows
             if r.lat is not None and r.lon is not None]
    return sorted([f for f in found if f[1] <= within_m], key=lambda f: f[1])


def counts(session: Session, municipality_id: int) -> dict[str, int]:
    rows = session.execute(select(Report.status, func.count()).where(Report.municipality_id == municipality_id,
                                                                     Report.status.in_(STATUSES))
                           .group_by(Report.status)).all()
    return {status: int(n) for status, n in rows}
