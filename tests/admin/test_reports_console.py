"""The console's 通報 pages (#24): staff open a resident's report, see its photo (without EXIF) and place, mark it
対応中 then 完了 and the resident receives each change once — also when LINE fails and when the process dies between
sending and recording; viewers only read; one town's reports and photos never reach another's staff."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from sqlalchemy import select, update

from core.timeutil import utcnow
from reports import notify
from reports.models import Report, ReportEvent, ReportPhoto
from tests.admin.test_console import csrf, login, make_staff
from tests.bot import test_report_chat as chat
from tests.reports import images


def report_by_resident(client, fake_line) -> Report:
    start = chat.say(client, fake_line, "通報する")
    chat.tap(client, fake_line, chat.data_of(start, "道路の穴・破損"))
    chat.send_photo(client, fake_line, images.jpeg_with_gps())
    chat.send_location(client, fake_line, 31.5972, 130.5590, "本町3丁目")
    card = chat.say(client, fake_line, "=HYPERLINK(\"http://x\") 穴が深いです")
    chat.tap(client, fake_line, chat.data_of(card, "送信する"))
    (report,) = chat.reports_of(client)
    return report


def pushes_to_resident(fake_line) -> list[str]:
    return [d["messages"][0]["text"] for d in fake_line.deliveries if d["endpoint"] == "push" and d["to"] == chat.USER]


def change(client, report_id: int, status: str, message: str = ""):
    return client.post(f"/admin/reports/{report_id}/status", data={
        "csrf_token": csrf(client, f"/admin/reports/{report_id}"), "status": status, "message": message},
        follow_redirects=True)


def test_staff_work_a_report_and_the_resident_hears_each_change_once(app, client, fake_line) -> None:
    report = report_by_resident(client, fake_line)
    staff = make_staff(app)
    login(client, staff["editor"])
    listing = client.get("/admin/reports")
    assert listing.status_code == 200 and report.receipt in listing.text and "本町3丁目" in listing.text
    assert "https://cyberjapandata.gsi.go.jp" in listing.headers["Content-Security-Policy"]
    assert "maps.gsi.go.jp/#17/31.597200/130.559000/" in listing.text
    page = client.get(f"/admin/reports/{report.id}")
    assert "道路の穴・破損" in page.text and "建設課" in page.text and "穴が深いです" in page.text
    photo_url = re.search(r'href="(/admin/reports/\d+/photos/\d+)"', page.text).group(1)
    photo = client.get(photo_url)
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg" and b"PhoneMaker" not in photo.data
    done = change(client, report.id, "in_progress", "明日、現地を確認します。")
    assert "住民にLINEでお知らせしました" in done.text
    change(client, report.id, "done", "12月10日に補修しました。")
    texts = pushes_to_resident(fake_line)
    assert len(texts) == 2
    assert f"【通報 {report.receipt}】" in texts[0] and "「対応中」" in texts[0] and "明日、現地を確認します。" in texts[0]
    assert "「対応完了」" in texts[1] and "12月10日に補修しました。" in texts[1]
    assert "送信済み" in client.get(f"/admin/reports/{report.id}").text
    wrong = change(client, report.id, "received")
    assert "この状態には変えられません" in wrong.text and len(pushes_to_resident(fake_line)) == 2


def test_a_status_push_reaches_the_resident_once_through_an_outage_and_a_crash(app, client, fake_line) -> None:
    report = report_by_resident(client, fake_line)
    staff = make_staff(app)
    login(client, staff["editor"])
    fake_line.faults.extend([("push", 500)])
    page = change(client, report.id, "in_progress")
    assert "送れませんでした" in page.text and pushes_to_resident(fake_line) == []
    runtime = app.extensions["machimado"]
    tenant = runtime.default_tenant()
    line = runtime.line_client(tenant.config.slug)
    with runtime.sessions() as session:
        assert notify.push_waiting(session, tenant.id, line) == 1  # the worker's round
        session.commit()
    assert len(pushes_to_resident(fake_line)) == 1
    # a second change whose process dies after LINE accepted the push, before recording it
    with runtime.sessions() as session:
        row = session.get(Report, report.id)
        from reports import service
        event = service.change_status(session, row, "done", "職員")
        session.commit()
        assert notify.push(session, line, event)
        session.rollback()  # killed: "sent" never recorded
        session.execute(update(ReportEvent).where(ReportEvent.id == event.id)
                        .values(created_at=utcnow() - timedelta(minutes=1)))
        session.commit()
    with runtime.sessions() as session:
        assert session.get(ReportEvent, event.id).push == "pending"
        assert notify.push_waiting(session, tenant.id, line) == 1  # sent again under the same key: LINE says 409
        session.commit()
        assert session.get(ReportEvent, event.id).push == "sent"
        assert notify.push_waiting(session, tenant.id, line) == 0
    texts = pushes_to_resident(fake_line)
    assert len(texts) == 2 and "「対応完了」" in texts[1]
    assert [c["status"] for c in fake_line.calls_to("push")][-1] == 409


def test_viewers_read_only_and_the_csv_is_safe(app, client, fake_line) -> None:
    report = report_by_resident(client, fake_line)
    staff = make_staff(app)
    login(client, staff["viewer"])
    assert client.get(f"/admin/reports/{report.id}").status_code == 200
    token = csrf(client, f"/admin/reports/{report.id}")
    assert client.post(f"/admin/reports/{report.id}/status", data={"csrf_token": token, "status": "done"}
                       ).status_code == 403
    exported = client.get("/admin/reports.csv?status=")
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert rows[0][0] == "受付番号" and len(rows) == 1 + 4  # the resident's and the demo city's three
    mine = next(r for r in rows if r[0] == report.receipt)
    assert mine[9].startswith("'=HYPERLINK") and chat.USER not in exported.data.decode("utf-8-sig")
    assert client.get("/admin/reports/categories").status_code == 403


def test_an_admin_edits_the_categories(app, client, fake_line) -> None:
    staff = make_staff(app)
    login(client, staff["admin"])
    page = client.get("/admin/reports/categories")
    first = re.search(r'name="name-(\d+)" value="道路の穴・破損"', page.text).group(1)
    form = {"csrf_token": csrf(client, "/admin/reports/categories"), f"name-{first}": "道路の穴",
            f"division-{first}": "道路維持課", f"active-{first}": "1", f"keywords-{first}": "穴、陥没",
            "new-name": "倒木", "new-division": "農林課"}
    saved = client.post("/admin/reports/categories", data=form, follow_redirects=True)
    assert "保存しました" in saved.text and "倒木" in saved.text
    start = chat.say(client, fake_line, "通報する")
    assert "道路の穴" in chat.labels(start) and "倒木" in chat.labels(start)
    assert "街灯の故障" not in chat.labels(start)  # left unchecked: no longer offered


def test_one_towns_reports_and_photos_never_reach_another(multi_app, fake_line) -> None:
    shima_client = multi_app.test_client()
    rt = multi_app.extensions["machimado"]
    shima = rt.tenant("shima")
    with rt.sessions() as session:
        from reports import service
        from reports.defaults import ensure_categories
        from reports.intake import Fetched, keep
        from reports.photos import clean
        ensure_categories(session, shima.id)
        draft = Report(municipality_id=shima.id, category_id=service.categories(session, shima.id)[0].id)
        session.add(draft)
        session.flush()
        keep(session, rt.photo_store, draft, Fetched(photo=clean(images.png())), "")
        service.submit(session, draft)
        session.commit()
        photo_id = session.scalar(select(ReportPhoto.id).where(ReportPhoto.report_id == draft.id))
        report_id = draft.id
    staff = make_staff(multi_app, "minato")
    login(shima_client, staff["admin"])
    assert shima_client.get(f"/admin/reports/{report_id}").status_code == 404
    assert shima_client.get(f"/admin/reports/{report_id}/photos/{photo_id}").status_code == 404
    assert "この条件の通報はありません" in shima_client.get("/admin/reports").text
