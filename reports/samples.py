"""Three sample reports for the fictional demo city (a pothole being repaired, a dead streetlight, dumped rubbish), with
drawn pictures, so the console's 通報 page has something to show in `make demo`. Never loaded for a real town.
"""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.timeutil import utcnow
from reports import intake, photos
from reports import service as reports
from reports.models import Report, ReportCategory, ReportEvent
from reports.storage import PhotoStore

SAMPLES = [
    # code, lat, lon, address, comment, status, days ago
    ("road", 31.5972, 130.5590, "本町3丁目 郵便局の前", "車道の端に直径30cmほどの穴があります。自転車が危ないです。", "in_progress", 3),
    ("streetlight", 31.5931, 130.5522, "中央公園の南側の歩道", "夜になっても街灯が点きません。", "received", 1),
    ("dumping", 31.6013, 130.5648, "川沿いの市道（北橋の近く）", "", "received", 0),
]


def _picture(kind: str) -> bytes:
    """A plain drawing standing in for a resident's photo (what matters in the demo is the flow, not the photo)."""
    image = Image.new("RGB", (800, 600), (140, 150, 160))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 380, 800, 600), fill=(90, 90, 95))
    if kind == "road":
        draw.ellipse((300, 430, 520, 520), fill=(40, 35, 30))
    elif kind == "streetlight":
        draw.rectangle((390, 80, 410, 400), fill=(60, 60, 60))
        draw.ellipse((360, 60, 440, 110), fill=(200, 200, 190))
    else:
        for x in (200, 320, 460):
            draw.rectangle((x, 330, x + 100, 420), fill=(220, 220, 210))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def seed(session: Session, municipality_id: int, store: PhotoStore) -> int:
    """The samples, once (nothing when the municipality has any report)."""
    if session.scalar(select(Report.id).where(Report.municipality_id == municipality_id).limit(1)):
        return 0
    by_code = {c.code: c for c in session.scalars(select(ReportCategory).where(
        ReportCategory.municipality_id == municipality_id))}
    added = 0
    for code, lat, lon, address, comment, status, days in SAMPLES:
        category = by_code.get(code)
        if category is None:
            continue
        report = Report(municipality_id=municipality_id, category_id=category.id, comment=comment)
        session.add(report)
        session.flush()
        reports.set_place(session, report, lat, lon, address)
        intake.keep(session, store, report, intake.Fetched(photo=photos.clean(_picture(code))), "")
        reports.submit(session, report)
        when = utcnow() - timedelta(days=days, hours=2)
        report.created_at = report.submitted_at = report.updated_at = when
        if status != "received":
            reports.change_status(session, report, status, "デモ職員", "現地を確認し、補修の手配をしました。")
        for event in session.scalars(select(ReportEvent).where(ReportEvent.report_id == report.id)):
            event.created_at = when
        added += 1
    return added
