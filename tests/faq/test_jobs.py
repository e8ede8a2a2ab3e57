"""Knowledge-base imports as jobs (issue #16 §1.3): progress while encoding, all or nothing, a stalled job can
run again, and the console shows a large import's progress instead of holding the request."""

from __future__ import annotations

import io
import time
from datetime import timedelta

from sqlalchemy import func, select

from core.models import AuditLog
from core.timeutil import utcnow
from faq.jobs import create_job, parse_upload, run_job
from faq.models import FaqEntry, ImportJob
from tests.admin.test_console import csrf, login, make_staff
from tests.helpers import municipality

PACK = """pack: t
entries:
""" + "".join(f"""  - id: job-{i}
    question: 取り込みテストの質問その{i}
    answer: 回答その{i}です。
""" for i in range(70))


def entries(app) -> int:
    with app.extensions["machimado"].sessions() as session:
        return session.scalar(select(func.count(FaqEntry.id)))


def test_a_job_imports_with_progress_and_an_audit_entry(app) -> None:
    rt = app.extensions["machimado"]
    before = entries(app)
    with rt.sessions() as session:
        job_id = create_job(session, municipality(session).id, "pack.yaml", parse_upload(PACK.encode(), "pack.yaml"),
                            "tanaka").id
        session.commit()
    run_job(rt.sessions, job_id)
    with rt.sessions() as session:
        job = session.get(ImportJob, job_id)
        assert job.status == "done" and job.report == {"created": 70, "updated": 0, "unchanged": 0}
        assert job.total == job.done == 140 and job.data == b""  # 70 questions + 70 gists encoded; file dropped
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "faq_import")).one()
        assert audit.username == "tanaka" and audit.after["created"] == 70
    assert entries(app) == before + 70


def test_a_bad_file_fails_the_job_and_changes_nothing(app) -> None:
    rt = app.extensions["machimado"]
    before = entries(app)
    with rt.sessions() as session:
        good = parse_upload(PACK.encode(), "pack.yaml")
        job_id = create_job(session, municipality(session).id, "bad.yaml", [*good, {**good[0], "question": "重複"}],
                            "tanaka").id
        session.commit()
    run_job(rt.sessions, job_id)
    with rt.sessions() as session:
        job = session.get(ImportJob, job_id)
    assert job.status == "failed" and "duplicate" in job.error
    assert entries(app) == before


def test_a_job_whose_process_died_runs_again(app) -> None:
    rt = app.extensions["machimado"]
    with rt.sessions() as session:
        job = create_job(session, municipality(session).id, "pack.yaml", parse_upload(PACK.encode(), "pack.yaml"),
                         "tanaka")
        job.status, job.updated_at = "running", utcnow() - timedelta(minutes=30)
        session.commit()
        job_id = job.id
    run_job(rt.sessions, job_id)
    with rt.sessions() as session:
        assert session.get(ImportJob, job_id).status == "done"
    run_job(rt.sessions, job_id)  # a finished job is never run twice
    assert entries(app) >= 70


def test_the_console_shows_a_large_imports_progress_page(app, client) -> None:
    app.config["IMPORT_WAIT_S"] = 0  # as if the import were too large to wait for
    login(client, make_staff(app)["editor"])
    response = client.post("/admin/faq/import", data={"csrf_token": csrf(client, "/admin/faq"),
                                                      "file": (io.BytesIO(PACK.encode()), "pack.yaml")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and "/admin/faq/import/" in response.headers["Location"]
    page = client.get(response.headers["Location"]).text
    assert "FAQの取り込み：pack.yaml" in page
    deadline = time.monotonic() + 60
    while "取り込みました：新規 70件" not in page and time.monotonic() < deadline:
        time.sleep(0.2)
        page = client.get(response.headers["Location"]).text
    assert "取り込みました：新規 70件、更新 0件、変更なし 0件" in page
    assert 'http-equiv="refresh"' not in page  # done: the page stops refreshing


def test_the_console_refuses_a_bad_file_at_once(app, client) -> None:
    login(client, make_staff(app)["editor"])
    response = client.post("/admin/faq/import", data={"csrf_token": csrf(client, "/admin/faq"),
                                                      "file": (io.BytesIO(b"pack: t\nentries: 5\n"), "bad.yaml")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "取り込みませんでした" in response.text
    with app.extensions["machimado"].sessions() as session:
        assert session.scalars(select(ImportJob)).all() == []
