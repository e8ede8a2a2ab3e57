"""What happens to reports' personal data over time and on a resident's request.

- A draft the resident never sent (``draft`` / ``abandoned``) is deleted with its photos a day after it was last
  touched.
- A finished report (``done`` / ``rejected``) keeps its category, place and history for the record; ``retention_days``
  after it was last updated its photos are deleted, its comment and typed address blanked and the link to the
  resident cut. Open reports are being worked on and are kept whole.
- On a resident's request (privacy.residents.erase) the same happens to all their reports at once, and their drafts
  are deleted.

Photo files are deleted from the store as their rows are; callers commit.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reports.models import Report, ReportCategory, ReportPhoto
from reports.storage import PhotoStore

DRAFT_DAYS = 1
UNSENT = ("draft", "abandoned")
FINISHED = ("done", "rejected")


def _drop_photos(session: Session, store: PhotoStore | None, report_ids: list[int]) -> int:
    if not report_ids:
        return 0
    rows = session.scalars(select(ReportPhoto).where(ReportPhoto.report_id.in_(report_ids))).all()
    if store is not None:
        for row in rows:
            store.delete(row.key)
            store.delete(row.thumb_key)
    session.execute(delete(ReportPhoto).where(ReportPhoto.report_id.in_(report_ids)))
    return len(rows)


def _anonymise(reports: list[Report]) -> None:
    for report in reports:
        report.comment, report.address, report.follower_id, report.comment_public = "", "", None, False


def purge(session: Session, store: PhotoStore | None, now: datetime, retention_days: int) -> dict[str, int]:
    drafts = list(session.scalars(select(Report.id).where(Report.status.in_(UNSENT),
                                                          Report.updated_at < now - timedelta(days=DRAFT_DAYS))))
    _drop_photos(session, store, drafts)
    if drafts:
        session.execute(delete(Report).where(Report.id.in_(drafts)))
    old = list(session.scalars(select(Report).where(Report.status.in_(FINISHED),
                                                    Report.updated_at < now - timedelta(days=retention_days))))
    old = [r for r in old if r.follower_id is not None or r.comment or r.address or _has_photos(session, r)]
    photos = _drop_photos(session, store, [r.id for r in old])
    _anonymise(old)
    return {"report_drafts": len(drafts), "reports_anonymised": len(old), "report_photos": photos}


def _has_photos(session: Session, report: Report) -> bool:
    return session.scalar(select(ReportPhoto.id).where(ReportPhoto.report_id == report.id).limit(1)) is not None


def of_resident(session: Session, municipality_id: int, follower_id: int) -> list[Report]:
    return list(session.scalars(select(Report).where(Report.municipality_id == municipality_id,
                                                     Report.follower_id == follower_id).order_by(Report.id)))


def export(session: Session, store: PhotoStore | None, municipality_id: int, follower_id: int) -> list[dict[str, Any]]:
    """The resident's reports with their photos (as data: URLs) for a privacy export."""
    out = []
    names = {c.id: c.name for c in session.scalars(select(ReportCategory).where(
        ReportCategory.municipality_id == municipality_id))}
    for report in of_resident(session, municipality_id, follower_id):
        photos = []
        for row in session.scalars(select(ReportPhoto).where(ReportPhoto.report_id == report.id)
                                   .order_by(ReportPhoto.id)):
            data = store.get(municipality_id, row.key) if store is not None and row.key else None
            photos.append("data:image/jpeg;base64," + base64.b64encode(data).decode() if data else row.state)
        out.append({"receipt": report.receipt, "status": report.status, "category": names.get(report.category_id or 0),
                    "lat": report.lat, "lon": report.lon, "address": report.address, "comment": report.comment,
                    "submitted_at": report.submitted_at.isoformat() if report.submitted_at else None,
                    "photos": photos})
    return out


def erase(session: Session, store: PhotoStore | None, municipality_id: int, follower_id: int) -> int:
    """Delete the resident's drafts, and the photos, comments and addresses of their reports; unlink the rest."""
    reports = of_resident(session, municipality_id, follower_id)
    _drop_photos(session, store, [r.id for r in reports])
    drafts = [r.id for r in reports if r.status in UNSENT]
    if drafts:
        session.execute(delete(Report).where(Report.id.in_(drafts)))
    _anonymise([r for r in reports if r.status not in UNSENT])
    session.flush()
    return len(reports)
