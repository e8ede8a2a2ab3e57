"""The console's ごみ pages (#23): an admin uploads a city's 5374 files, sees every problem cell before anything is
saved, imports them in one transaction, reads an area's month, edits the dictionary; viewers only read; one
municipality's calendar is never shown to another."""

from __future__ import annotations

import io
import re
import zipfile

from sqlalchemy import func, select

from gomi.models import GomiArea, GomiCalendar, GomiImport, GomiItem
from tests.admin.test_console import csrf, login, make_staff
from tests.helpers import DATA


def kanazawa_zip(extra_row: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("area_days.csv", "center.csv", "description.csv"):
            data = (DATA / "gomi" / "kanazawa" / name).read_bytes()
            if name == "area_days.csv" and extra_row:
                data += ("\n" + extra_row).encode("utf-8")
            archive.writestr(f"data/{name}", data)
    return buffer.getvalue()


def count(app, model) -> int:
    with app.extensions["machimado"].sessions() as session:
        return session.scalar(select(func.count(model.id)))


def test_an_admin_previews_every_problem_then_imports(app, client) -> None:
    staff = make_staff(app)
    login(client, staff["admin"])
    before = count(app, GomiArea)  # the demo city's own data
    page = client.post("/admin/gomi/import", data={
        "csrf_token": csrf(client, "/admin/gomi"), "source": "金沢市 5374",
        "files": (io.BytesIO(kanazawa_zip("テスト町,東部管理センター,月・木,水2,第2火,水4")), "kanazawa.zip")},
        content_type="multipart/form-data")
    assert page.status_code == 200
    assert "問題のあるセル（2件）" in page.text and "月・木" in page.text and "第2火" in page.text
    assert count(app, GomiArea) == before  # nothing saved yet
    token = re.search(r'name="token" value="([0-9a-f]+)"', page.text).group(1)
    done = client.post("/admin/gomi/import", data={"csrf_token": csrf(client, "/admin/gomi"), "token": token,
                                                   "source": "金沢市 5374"}, follow_redirects=True)
    assert "収集カレンダーを取り込みました（地区 72" in done.text
    assert count(app, GomiArea) == 72 and count(app, GomiItem) == 0  # replaced as a whole (no target.csv here)
    with app.extensions["machimado"].sessions() as session:
        record = session.scalars(select(GomiImport).order_by(GomiImport.id.desc())).first()
        assert record.username == staff["admin"] and len(record.problems) == 2
    month = client.get("/admin/gomi/calendar?area=浅野川&month=2026-12")
    assert month.status_code == 200 and "浅野川" in month.text and "燃やすごみ" in month.text


def test_a_bad_upload_changes_nothing_and_says_why(app, client) -> None:
    staff = make_staff(app)
    login(client, staff["admin"])
    before = count(app, GomiArea)
    page = client.post("/admin/gomi/import", data={"csrf_token": csrf(client, "/admin/gomi"),
                                                   "files": (io.BytesIO(b"not a zip"), "x.zip")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert "取り込めません（何も変更していません）" in page.text
    assert count(app, GomiArea) == before


def test_viewers_read_editors_edit_the_dictionary_and_settings_are_admin_only(app, client) -> None:
    staff = make_staff(app)
    login(client, staff["viewer"])
    home = client.get("/admin/gomi")
    assert "今月の通知の見込み" in home.text and "取り込む" not in home.text
    assert client.post("/admin/gomi/settings", data={"csrf_token": csrf(client, "/admin/gomi"),
                                                     "reminders_enabled": "1"}).status_code == 403
    items = client.get("/admin/gomi/items?q=スプレー")
    assert "スプレー缶" in items.text and "保存" not in items.text
    client.post("/admin/logout", data={"csrf_token": csrf(client, "/admin/gomi")})
    login(client, staff["editor"])
    with app.extensions["machimado"].sessions() as session:
        item_id = session.scalar(select(GomiItem.id).where(GomiItem.name == "スプレー缶"))
    client.post(f"/admin/gomi/items/{item_id}", data={"csrf_token": csrf(client, "/admin/gomi/items"),
                                                      "type_label": "燃やせないごみ", "notice": "穴をあけずに"})
    with app.extensions["machimado"].sessions() as session:
        assert session.get(GomiItem, item_id).type_label == "燃やせないごみ"
    assert client.get("/admin/gomi/items/abc").status_code in (404, 405)
    assert client.post("/admin/gomi/items/99999999999999999999",
                       data={"csrf_token": csrf(client, "/admin/gomi/items")}).status_code == 404
    csv_text = client.get("/admin/gomi/items.csv").data.decode("utf-8-sig")
    assert csv_text.startswith("type,name,notice,furigana") and "燃やせないごみ,スプレー缶,穴をあけずに" in csv_text
    client.post("/admin/logout", data={"csrf_token": csrf(client, "/admin/gomi")})
    login(client, staff["admin"])
    client.post("/admin/gomi/settings", data={"csrf_token": csrf(client, "/admin/gomi"), "reminders_enabled": "1",
                                              "evening_at": "20:00", "morning_at": "06:30", "pause_mode": "skip"})
    with app.extensions["machimado"].sessions() as session:
        settings = session.scalars(select(GomiCalendar)).first()
        assert settings.reminders_enabled and settings.evening_at == "20:00"
    bad = client.post("/admin/gomi/settings", data={"csrf_token": csrf(client, "/admin/gomi"), "evening_at": "25:00",
                                                    "morning_at": "06:30", "pause_mode": "skip"}, follow_redirects=True)
    assert "24時間制" in bad.text
