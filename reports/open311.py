"""Reports as open data in Open311 GeoReport v2's shape (read only), as FixMyStreet and SeeClickFix publish them.

No personal data leaves here: no LINE ids or residents, no typed address (it can be a resident's own house), no
photos, the resident's comment only when staff chose to publish it, coordinates rounded to 4 decimals (~10 m). The
Flask routes are app/open311.py; these functions take a session and give plain lists and dicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.timeutil import local, utcnow
from reports.models import OPEN_STATUSES, STATUSES, Report, ReportCategory

MAX_RESULTS = 1000
DEFAULT_DAYS = 90
DIGITS = 4
FIELDS = ("service_request_id", "status", "status_notes", "service_name", "service_code", "description",
          "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
          "address", "address_id", "zipcode", "lat", "long", "media_url")
STATUS_NOTES = {"received": "受付", "in_progress": "対応中", "done": "対応完了", "rejected": "対応できません"}


class Open311Error(ValueError):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description

    def body(self) -> list[dict[str, Any]]:
        return [{"code": self.code, "description": self.description}]


def services(session: Session, municipality_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(select(ReportCategory).where(ReportCategory.municipality_id == municipality_id,
                                                        ReportCategory.active.is_(True))
                           .order_by(ReportCategory.position, ReportCategory.id))
    return [{"service_code": c.code, "service_name": c.name, "description": c.name, "metadata": False,
             "type": "realtime", "keywords": ",".join(c.keywords or []), "group": c.division} for c in rows]


def _when(value: datetime | None) -> str | None:
    shown = local(value)
    return shown.isoformat(timespec="seconds") if shown else None


def as_request(report: Report, category: ReportCategory | None) -> dict[str, Any]:
    return {
        "service_request_id": report.receipt,
        "status": "open" if report.status in OPEN_STATUSES else "closed",
        "status_notes": STATUS_NOTES.get(report.status, ""),
        "service_name": category.name if category else None,
        "service_code": category.code if category else None,
        "description": report.comment if report.comment_public and report.comment else None,
        "agency_responsible": report.division or None,
        "service_notice": None,
        "requested_datetime": _when(report.submitted_at),
        "updated_datetime": _when(report.updated_at),
        "expected_datetime": None,
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": round(report.lat, DIGITS) if report.lat is not None else None,
        "long": round(report.lon, DIGITS) if report.lon is not None else None,
        "media_url": None,
    }


@dataclass(frozen=True)
class Query:
    ids: tuple[str, ...] = ()
    service_code: str = ""
    start: datetime | None = None
    end: datetime | None = None
    status: str = ""


def parse_date(value: str, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} must be a W3C datetime (e.g. 2026-12-05T10:00:00+09:00)") from None
    if parsed.tzinfo is None:
        local_now = local(utcnow())
        assert local_now is not None
        parsed = parsed.replace(tzinfo=local_now.tzinfo)
    return parsed


def parse_query(args: dict[str, str]) -> Query:
    status = args.get("status", "").strip()
    if status and status not in ("open", "closed"):
        raise Open311Error(400, "status must be open or closed")
    ids = tuple(i.strip() for i in args.get("service_request_id", "").split(",") if i.strip())[:MAX_RESULTS]
    return Query(ids=ids, service_code=args.get("service_code", "").strip()[:40],
                 start=parse_date(args.get("start_date", "").strip(), "start_date"),
                 end=parse_date(args.get("end_date", "").strip(), "end_date"), status=status)


def requests(session: Session, municipality_id: int, query: Query) -> list[dict[str, Any]]:
    statement = select(Report).where(Report.municipality_id == municipality_id, Report.status.in_(STATUSES))
    if query.ids:
        statement = statement.where(Report.receipt.in_(query.ids))
    else:
        start = query.start or (query.end or utcnow()) - timedelta(days=DEFAULT_DAYS)
        statement = statement.where(Report.submitted_at >= start)
        if query.end is not None:
            statement = statement.where(Report.submitted_at <= query.end)
        if query.status == "open":
            statement = statement.where(Report.status.in_(OPEN_STATUSES))
        elif query.status == "closed":
            statement = statement.where(Report.status.not_in(OPEN_STATUSES))
    categories = {c.id: c for c in session.scalars(select(ReportCategory).where(
        ReportCategory.municipality_id == municipality_id))}
    if query.service_code and not query.ids:
        wanted = [c.id for c in categories.values() if c.code == query.service_code]
        statement = statement.where(Report.category_id.in_(wanted))
    rows = session.scalars(statement.order_by(Report.submitted_at.desc(), Report.id.desc()).limit(MAX_RESULTS))
    return [as_request(r, categories.get(r.category_id or 0)) for r in rows]


def one(session: Session, municipality_id: int, receipt: str) -> list[dict[str, Any]]:
    found = requests(session, municipality_id, Query(ids=(receipt,)))
    if not found:
        raise Open311Error(404, f"no service request {receipt[:40]}")
    return found
