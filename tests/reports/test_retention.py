"""Reports' personal data over time and on request (#24): the resident's export holds their reports and photos;
erasure deletes photos, comments and drafts and unlinks the rest; the purge removes unsent drafts after a day and a
finished report's personal data after the retention period, the files with the rows."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.retention import purge
from core.models import Follower
from core.timeutil import utcnow
from privacy import residents
from reports import service
from reports.models import Report, ReportPhoto
from tests.admin.test_reports_console import report_by_resident
from tests.bot import test_report_chat as chat
from tests.reports import images


def photo_files(runtime) -> list:
    return [p for p in (runtime.settings.instance_path / "report_photos").rglob("*.jpg")]


def test_export_then_erase_a_residents_reports(app, client, fake_line) -> None:
    report = report_by_resident(client, fake_line)
    chat.say(client, fake_line, "通報")  # and a draft with a photo
    chat.tap(client, fake_line, "action=report&do=new")
    chat.send_photo(client, fake_line, images.png())
    runtime = app.extensions["machimado"]
    before = len(photo_files(runtime))
    with runtime.sessions() as session:
        follower = session.scalar(select(Follower).where(Follower.line_user_id == chat.USER))
        data = residents.export(session, report.municipality_id, follower, runtime.photo_store)
        mine = data["reports"]
        assert [r["receipt"] for r in mine][0] == report.receipt and mine[0]["address"] == "本町3丁目"
        assert mine[0]["photos"][0].startswith("data:image/jpeg;base64,")
        counts = residents.erase(session, report.municipality_id, follower, runtime.photo_store)
        session.commit()
        assert counts["reports"] == 3  # the report, the draft and the one 最初から replaced
        kept = session.get(Report, report.id)
        assert kept.follower_id is None and kept.comment == "" and kept.address == "" and kept.lat is not None
        assert session.scalars(select(Report).where(Report.status.in_(("draft", "abandoned")))).all() == []
        assert session.scalar(select(ReportPhoto.id).where(ReportPhoto.report_id == report.id)) is None
    assert len(photo_files(runtime)) == before - 4  # two photos, each with its small copy


def test_the_purge_removes_old_drafts_and_finished_reports_personal_data(app, client, fake_line) -> None:
    report = report_by_resident(client, fake_line)
    runtime = app.extensions["machimado"]
    chat.say(client, fake_line, "通報")
    chat.send_photo(client, fake_line, images.png())  # a draft left behind
    with runtime.sessions() as session:
        counts = purge(session, utcnow(), 365, runtime.photo_store)
        assert counts["report_drafts"] == 0 and counts["reports_anonymised"] == 0  # nothing old yet
        row = session.get(Report, report.id)
        service.change_status(session, row, "done", "職員")
        session.commit()
        counts = purge(session, utcnow() + timedelta(days=2), 365, runtime.photo_store)
        assert counts["report_drafts"] == 1
        counts = purge(session, utcnow() + timedelta(days=400), 365, runtime.photo_store)
        session.commit()
        assert counts["reports_anonymised"] >= 1
        row = session.get(Report, report.id)
        assert row.follower_id is None and row.comment == "" and row.status == "done"
        assert session.scalar(select(ReportPhoto.id).where(ReportPhoto.report_id == report.id)) is None
