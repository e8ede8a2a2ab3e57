"""A resident's data request: export shows everything held about them; erase removes it all and nothing of
anyone else's (CLI and console, audit-logged without contents)."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import func, select

from broadcasts.models import NoticeBatch
from cli.main import main
from core.models import AuditLog, Follower
from desk.models import Consultation, ConsultationMessage
from faq.models import Feedback, QuestionLog
from gomi.models import GomiResident
from tests.admin.test_console import csrf, login, make_staff
from tests.bot.test_consultation import Chat, quick
from tests.helpers import add_followers, make_notice, run_worker, user

RESIDENT, OTHER = user(1), user(2)


def a_resident_with_history(app, client, fake_line) -> None:
    """Two residents who asked, rated an answer, left a 相談 and received a notice."""
    add_followers(app, fake_line, 3)  # user(0..2); the notice goes to 北地区 only, as a multicast
    with app.extensions["machimado"].sessions() as session:
        for follower in session.scalars(select(Follower)):
            follower.district = "北地区"
        session.commit()
    make_notice(app, title="北地区の断水", body="明日は断水します。", category="防災", districts=["北地区"])
    run_worker(app)
    for who in (RESIDENT, OTHER):
        chat = Chat(client, fake_line, who)
        chat.send("ごみの地区")
        chat.send("本町1丁目")
        answer = chat.send("粗大ごみの出し方")
        chat.tap(quick(answer)["👎 いいえ"])
        chat.tap("action=consult")
        chat.send(f"{who}の相談です")


def counts(app, line_user_id: str) -> dict[str, int]:
    with app.extensions["machimado"].sessions() as session:
        follower = session.scalar(select(Follower).where(Follower.line_user_id == line_user_id))
        fid = follower.id if follower else -1
        logs = session.scalars(select(QuestionLog.id).where(QuestionLog.follower_id == fid)).all()
        return {"follower": int(follower is not None), "questions": len(logs),
                "feedback": session.scalar(select(func.count()).select_from(Feedback)
                                           .where(Feedback.question_log_id.in_(logs))),
                "consultations": session.scalar(select(func.count()).select_from(Consultation)
                                                .where(Consultation.follower_id == fid)),
                "in_recipient_lists": sum(line_user_id in (b.recipients or [])
                                          for b in session.scalars(select(NoticeBatch))),
                "gomi": session.scalar(select(func.count()).select_from(GomiResident)
                                       .where(GomiResident.follower_id == fid))}


def test_export_then_erase_from_the_cli(app, client, fake_line) -> None:
    a_resident_with_history(app, client, fake_line)
    assert counts(app, RESIDENT) == {"follower": 1, "questions": 2, "feedback": 1, "consultations": 1,
                                     "in_recipient_lists": 1, "gomi": 1}
    result = CliRunner().invoke(main, ["privacy", "export", "--line-user-id", RESIDENT])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["resident"]["line_user_id"] == RESIDENT and data["resident"]["district"] == "北地区"
    assert [q["text"] for q in data["questions"]] == ["ごみの地区", "粗大ごみの出し方"]  # ごみ questions are logged too
    assert data["questions"][1]["answered_with"] and data["feedback"] == [{"at": data["feedback"][0]["at"],
                                                                           "helpful": False}]
    assert data["consultations"][0]["messages"][0]["text"] == f"{RESIDENT}の相談です"
    assert data["notices_received"][0]["title"] == "北地区の断水"
    assert data["gomi"][0]["area"] == "本町1丁目"
    assert OTHER not in result.output

    result = CliRunner().invoke(main, ["privacy", "erase", "--line-user-id", RESIDENT, "--yes"])
    assert result.exit_code == 0, result.output
    assert counts(app, RESIDENT) == {"follower": 0, "questions": 0, "feedback": 0, "consultations": 0,
                                     "in_recipient_lists": 0, "gomi": 0}
    assert counts(app, OTHER) == {"follower": 1, "questions": 2, "feedback": 1, "consultations": 1,
                                  "in_recipient_lists": 1, "gomi": 1}  # nobody else's data
    with app.extensions["machimado"].sessions() as session:
        assert session.scalar(select(func.count()).select_from(ConsultationMessage)) == 1
        audit = session.scalars(select(AuditLog).where(AuditLog.action.like("privacy_%"))
                                .order_by(AuditLog.id)).all()
    assert [a.action for a in audit] == ["privacy_export", "privacy_erase"]
    assert all(RESIDENT not in json.dumps([a.object_id, a.after]) for a in audit)
    assert audit[1].after == {"questions": 2, "consultations": 1, "feedback": 1, "recipient_lists": 1, "gomi": 1,
                              "reports": 0}


def test_unknown_residents_are_a_clear_error(app) -> None:
    result = CliRunner().invoke(main, ["privacy", "export", "--line-user-id", user(99)])
    assert result.exit_code != 0 and "no resident" in result.output


def test_an_admin_exports_and_erases_from_the_console(app, client, fake_line) -> None:
    a_resident_with_history(app, client, fake_line)
    staff = app.test_client()
    login(staff, make_staff(app)["admin"])
    with app.extensions["machimado"].sessions() as session:
        number = session.scalar(select(Follower.id).where(Follower.line_user_id == RESIDENT))
    page = staff.get(f"/admin/privacy?who=%23{number}").text
    assert f"住民 #{number}" in page and "質問：2件" in page and "相談：1件" in page
    token = csrf(staff, "/admin/privacy")
    exported = staff.post("/admin/privacy/export", data={"csrf_token": token, "who": RESIDENT})
    assert exported.headers["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(exported.data)["resident"]["line_user_id"] == RESIDENT
    refused = staff.post("/admin/privacy/erase", data={"csrf_token": token, "who": RESIDENT}, follow_redirects=True)
    assert "確認のチェック" in refused.text and counts(app, RESIDENT)["follower"] == 1
    done = staff.post("/admin/privacy/erase", data={"csrf_token": token, "who": RESIDENT, "confirm": "1"},
                      follow_redirects=True)
    assert "この住民のデータを削除しました（質問 2件、相談 1件" in done.text
    assert counts(app, RESIDENT)["follower"] == 0 and counts(app, OTHER)["questions"] == 2
    editor = app.test_client()
    login(editor, "sample-editor")  # made with the admin above
    assert editor.get("/admin/privacy").status_code == 403
