"""Staff console: every route's access rules, CSRF, tenant isolation, XSS, open redirect, and the workflows."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from admin.auth import create_user
from core.db import session_scope
from core.models import AuditLog
from faq.models import FaqEntry, ImportJob, QuestionLog
from tests.helpers import (
    DATA,
    add_followers,
    body_of,
    post_webhook,
    reply_texts,
    run_worker,
    running_app,
    text_event,
)

PASSWORD = "correct-horse-battery"
ROLES = ("viewer", "editor", "broadcaster", "admin")
# Every console route: (method, path template, permission). {faq}, {notice}, {place} are filled per test.
ROUTES = [
    ("GET", "/admin/", "view"), ("GET", "/admin/faq", "view"), ("GET", "/admin/faq/new", "view"),
    ("POST", "/admin/faq/new", "faq"), ("GET", "/admin/faq/{faq}", "view"), ("POST", "/admin/faq/{faq}", "faq"),
    ("GET", "/admin/faq/{faq}/history", "view"), ("POST", "/admin/faq/{faq}/revert/1", "faq"),
    ("GET", "/admin/faq/try", "view"), ("GET", "/admin/faq/export.yaml", "view"), ("POST", "/admin/faq/import", "faq"),
    ("GET", "/admin/inbox", "view"), ("POST", "/admin/inbox/create", "faq"), ("POST", "/admin/inbox/attach", "faq"),
    ("POST", "/admin/inbox/handled", "faq"), ("POST", "/admin/inbox/confirmed", "faq"), ("GET", "/admin/notices", "view"), ("GET", "/admin/notices/new", "notices"),
    ("POST", "/admin/notices/new", "notices"), ("GET", "/admin/notices/{notice}", "view"),
    ("GET", "/admin/notices/{notice}/progress.json", "view"), ("POST", "/admin/notices/{notice}/send", "notices"),
    ("POST", "/admin/notices/{notice}/cancel", "notices"), ("POST", "/admin/disaster", "notices"),
    ("GET", "/admin/shelters", "view"), ("POST", "/admin/shelters/{place}/status", "shelters"),
    ("GET", "/admin/directory", "view"), ("POST", "/admin/directory/import", "directory"),
    ("GET", "/admin/audit", "admin"), ("GET", "/admin/dashboard/questions.csv", "view"),
    ("GET", "/admin/synonyms", "view"), ("POST", "/admin/synonyms", "faq"),
    ("GET", "/admin/password", "view"), ("POST", "/admin/password", "view"), ("POST", "/admin/municipality", "superuser"),
    ("GET", "/admin/consultations", "consult"), ("GET", "/admin/consultations/{consultation}", "consult"),
    ("POST", "/admin/consultations/{consultation}/reply", "consult"),
    ("POST", "/admin/consultations/{consultation}/resend/1", "consult"),
    ("POST", "/admin/consultations/{consultation}/close", "consult"),
    ("GET", "/admin/faq/import/{job}", "faq"), ("POST", "/admin/faq/import/{job}/retry", "faq"),
    ("GET", "/admin/privacy", "admin"), ("POST", "/admin/privacy/export", "admin"),
    ("POST", "/admin/privacy/erase", "admin"),
    ("GET", "/admin/notices/{notice}/edit", "notices"), ("POST", "/admin/notices/{notice}/edit", "notices"),
    ("GET", "/admin/staff", "admin"), ("POST", "/admin/staff", "admin"), ("POST", "/admin/staff/{staff}/role", "admin"),
    ("POST", "/admin/staff/{staff}/disable", "admin"), ("POST", "/admin/staff/{staff}/password", "admin"),
    ("GET", "/admin/gomi", "view"), ("POST", "/admin/gomi/import", "directory"),
    ("GET", "/admin/gomi/import/{gomi_import}", "view"), ("POST", "/admin/gomi/settings", "directory"),
    ("GET", "/admin/gomi/calendar", "view"), ("GET", "/admin/gomi/items", "view"),
    ("POST", "/admin/gomi/items/{gomi_item}", "faq"), ("GET", "/admin/gomi/items.csv", "view"),
    ("GET", "/admin/reports", "view"), ("GET", "/admin/reports.csv", "view"), ("GET", "/admin/reports/{report}", "view"),
    ("GET", "/admin/reports/{report}/photos/{report_photo}", "view"),
    ("POST", "/admin/reports/{report}/status", "reports"), ("POST", "/admin/reports/{report}/push/{report_event}", "reports"),
    ("POST", "/admin/reports/{report}/assign", "reports"), ("POST", "/admin/reports/{report}/note", "reports"),
    ("POST", "/admin/reports/{report}/publish", "reports"), ("GET", "/admin/reports/categories", "admin"),
    ("POST", "/admin/reports/categories", "admin"),
]
PUBLIC = {"/admin/login", "/admin/logout", "/admin/static/<path:filename>"}
ALLOWED = {"view": set(ROLES), "faq": {"editor", "admin"}, "notices": {"broadcaster", "admin"},
           "shelters": {"editor", "broadcaster", "admin"}, "directory": {"admin"}, "admin": {"admin"},
           "superuser": set(), "consult": {"editor", "admin"}, "reports": {"editor", "admin"}}


def last_reply(fake_line) -> str:
    call = [c for c in fake_line.calls_to("reply") if c["status"] == 200][-1]
    return "\n".join(m.get("text", "") for m in call["body"]["messages"])


def make_staff(app, slug: str | None = None) -> dict[str, str]:
    rt = app.extensions["machimado"]
    tenant = rt.tenant(slug or rt.settings.default_slug)
    names = {}
    with session_scope(rt.sessions) as session:
        for role in ROLES:
            name = f"{tenant.config.slug}-{role}"
            create_user(session, name, PASSWORD, role, tenant.id)
            names[role] = name
    return names


def csrf(client, path: str = "/admin/login") -> str:
    page = client.get(path)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def login(client, username: str, password: str = PASSWORD, next_: str = ""):
    token = csrf(client)
    path = "/admin/login" + (f"?next={next_}" if next_ else "")
    return client.post(path, data={"username": username, "password": password, "csrf_token": token})


def ids(app) -> dict[str, int]:
    from broadcasts.notices import create_notice
    from desk.models import Consultation
    from directory.models import Place
    from gomi.models import GomiImport, GomiItem
    from reports.models import ReportEvent, ReportPhoto

    rt = app.extensions["machimado"]
    tenant = rt.tenant(rt.settings.default_slug)
    with session_scope(rt.sessions) as session:
        notice = create_notice(session, tenant.id, tenant.config, title="t", body="b", category="行政", draft=True)
        consultation = Consultation(municipality_id=tenant.id)
        session.add(consultation)
        job = ImportJob(municipality_id=tenant.id, filename="done.yaml", data=b"", status="done")
        session.add(job)
        target = create_user(session, "target-staff", PASSWORD, "viewer", tenant.id)
        session.flush()
        sample_photo = session.scalars(select(ReportPhoto).where(ReportPhoto.municipality_id == tenant.id)).first()
        return {"report": sample_photo.report_id, "report_photo": sample_photo.id,
                "report_event": session.scalar(select(ReportEvent.id).where(
                    ReportEvent.report_id == sample_photo.report_id)),
                "gomi_import": session.scalar(select(GomiImport.id).where(GomiImport.municipality_id == tenant.id)),
                "gomi_item": session.scalar(select(GomiItem.id).where(GomiItem.municipality_id == tenant.id)),
                "consultation": consultation.id, "job": job.id, "staff": target.id, "faq": session.scalar(select(FaqEntry.id).where(FaqEntry.municipality_id == tenant.id)),
                "notice": notice.id,
                "place": session.scalar(select(Place.id).where(Place.kind == "shelters",
                                                               Place.municipality_id == tenant.id))}


def test_route_table_covers_every_console_route(app) -> None:
    rules = {(m, r.rule) for r in app.url_map.iter_rules() if r.rule.startswith("/admin")
             for m in r.methods - {"HEAD", "OPTIONS"}}
    listed = {(m, re.sub(r"\{(\w+)\}", lambda x: {"faq": "<int:entry_id>", "notice": "<int:notice_id>",
                                                  "place": "<int:place_id>", "consultation": "<int:consultation_id>",
                                                  "job": "<int:job_id>", "staff": "<int:user_id>", "gomi_import": "<int:import_id>",
                                                  "gomi_item": "<item_id>", "report": "<int:report_id>",
                                                  "report_photo": "<int:photo_id>",
                                                  "report_event": "<int:event_id>"}[x.group(1)], p))
              for m, p, _ in ROUTES}
    listed = {(m, p.replace("/revert/1", "/revert/<int:revision>").replace("/resend/1", "/resend/<int:message_id>").replace("questions.csv", "<name>.csv")
               .replace("export.yaml", "export.<fmt>")) for m, p in listed}
    missing = {r for r in rules if r not in listed and r[1] not in PUBLIC}
    assert not missing, missing


def test_anonymous_is_sent_to_login_and_posts_need_csrf(app, client) -> None:
    targets = ids(app)
    for method, path, _ in ROUTES:
        url = path.format(**targets)
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 302 and "/admin/login?next=" in response.headers["Location"], url
        else:
            assert client.post(url).status_code == 400, url  # no CSRF token: rejected before anything else


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_its_permissions(app, client, role) -> None:
    names = make_staff(app)
    targets = ids(app)
    login(client, names[role])
    token = csrf(client, "/admin/password")
    for method, path, permission in ROUTES:
        url = path.format(**targets)
        response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
        if role in ALLOWED[permission]:
            assert response.status_code != 403, (role, url)
        else:
            assert response.status_code == 403, (role, url, response.status_code)


def test_post_without_csrf_is_rejected_even_when_logged_in(app, client) -> None:
    login(client, make_staff(app)["admin"])
    assert client.post("/admin/faq/new", data={"question": "x", "answer": "y"}).status_code == 400
    assert client.post("/admin/faq/new", data={"question": "x", "answer": "y", "csrf_token": "forged"}).status_code == 400


def test_staff_never_reach_another_municipalitys_objects(multi_app) -> None:
    client = multi_app.test_client()
    make_staff(multi_app, "minato")
    shima = make_staff(multi_app, "shima")
    with multi_app.extensions["machimado"].sessions() as session:
        minato_faq = session.scalar(select(FaqEntry.id).where(FaqEntry.key == "onsen"))
    login(client, shima["admin"])
    token = csrf(client, "/admin/password")
    assert client.get(f"/admin/faq/{minato_faq}").status_code == 404
    assert client.get(f"/admin/faq/{minato_faq}/history").status_code == 404
    assert client.post(f"/admin/faq/{minato_faq}", data={"csrf_token": token, "question": "x", "answer": "y"}
                       ).status_code == 404
    assert "温泉" not in client.get("/admin/faq").text
    assert client.post("/admin/municipality", data={"csrf_token": token, "slug": "minato"}).status_code == 403


def test_superuser_can_switch_municipality(multi_app) -> None:
    client = multi_app.test_client()
    with session_scope(multi_app.extensions["machimado"].sessions) as session:
        create_user(session, "root", PASSWORD, "superuser", None)
    login(client, "root")
    assert "島内バス" in client.get("/admin/faq").text
    client.post("/admin/municipality", data={"csrf_token": csrf(client, "/admin/password"), "slug": "minato"})
    assert "町営温泉" in client.get("/admin/faq").text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/admin/", "/\\evil.example", "javascript:x"])
def test_open_redirect_on_next_is_refused(app, client, target) -> None:
    response = login(client, make_staff(app)["viewer"], next_=target)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"


def test_next_within_console_is_kept(app, client) -> None:
    assert login(client, make_staff(app)["viewer"], next_="/admin/faq").headers["Location"] == "/admin/faq"


def test_session_cookie_flags(app, client) -> None:
    response = login(client, make_staff(app)["viewer"])
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_password_change_ends_other_sessions(app) -> None:
    name = make_staff(app)["editor"]
    first, second = app.test_client(), app.test_client()
    login(first, name)
    login(second, name)
    token = csrf(first, "/admin/password")
    first.post("/admin/password", data={"csrf_token": token, "current": PASSWORD, "new": "another-good-password",
                                        "confirm": "another-good-password"})
    assert first.get("/admin/faq").status_code == 200
    assert second.get("/admin/faq").status_code == 302


def save_faq(client, question: str, answer: str, **extra: str):
    token = csrf(client, "/admin/faq/new")
    data = {"csrf_token": token, "question": question, "answer": answer, "category": "テスト", "active": "1", **extra}
    return client.post("/admin/faq/new", data=data)


def test_xss_is_escaped_in_console_and_plain_text_in_line(app, client, fake_line) -> None:
    login(client, make_staff(app)["editor"])
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert save_faq(client, f"犬の散歩マナー{payload}", f"リードをつけましょう{payload}").status_code == 302
    page = client.get("/admin/faq?q=散歩").text
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    edit = client.get(client.get("/admin/faq?q=散歩").text.split('href="/admin/faq/')[1].split('"')[0].join(
        ["/admin/faq/", ""])).text
    assert "<img src=x" not in edit
    post_webhook(app.test_client(), body_of(text_event("犬の散歩マナー")))
    assert payload in reply_texts(fake_line)[0]  # LINE shows text as text: nothing is interpreted


def test_saved_faq_reaches_the_bot_at_once_with_audit(app, client, fake_line) -> None:
    login(client, make_staff(app)["editor"])
    post_webhook(app.test_client(), body_of(text_event("ドローンの飛行許可")))
    assert "見つかりませんでした" in last_reply(fake_line)
    save_faq(client, "ドローンを飛ばす許可", "公園でドローンを飛ばすときは公園管理課に申請してください。",
             alt_questions="ドローンの飛行許可")
    post_webhook(app.test_client(), body_of(text_event("ドローンの飛行許可")))
    assert "公園管理課" in last_reply(fake_line)
    with app.extensions["machimado"].sessions() as session:
        entry = session.scalars(select(FaqEntry).where(FaqEntry.question == "ドローンを飛ばす許可")).one()
        log = session.scalars(select(AuditLog).where(AuditLog.action == "faq_created")).one()
    assert log.after["question"] == "ドローンを飛ばす許可" and log.before is None and log.username.endswith("editor")
    token = csrf(client, f"/admin/faq/{entry.id}")
    client.post(f"/admin/faq/{entry.id}", data={"csrf_token": token, "question": entry.question,
                                                 "answer": "許可は不要です。", "active": "1"})
    history = client.get(f"/admin/faq/{entry.id}/history").text
    assert "許可は不要です。" in history and "公園管理課" in history
    client.post(f"/admin/faq/{entry.id}/revert/1", data={"csrf_token": token})
    with app.extensions["machimado"].sessions() as session:
        reverted = session.get(FaqEntry, entry.id)
        assert reverted.revision == 3 and "公園管理課" in reverted.answer


def test_unanswered_inbox_attach_as_phrasing_then_bot_answers(app, client, fake_line) -> None:
    bot = app.test_client()
    for text in ("ゴミ袋はどこで売っていますか", "ごみ袋はどこで売ってる？", "宇宙船の免許"):
        post_webhook(bot, body_of(text_event(text)))
    login(client, make_staff(app)["editor"])
    page = client.get("/admin/inbox").text
    assert page.count('name="ids"') == 6  # two groups × three forms
    group_ids = re.findall(r'name="ids" value="([^"]+)"', page)[0]
    assert len(group_ids.split(",")) == 2  # the two ゴミ袋 questions form one group, most frequent first
    with app.extensions["machimado"].sessions() as session:
        target = session.scalars(select(FaqEntry).where(FaqEntry.key == "gomi-bunbetsu")).one()
    token = csrf(client, "/admin/inbox")
    client.post("/admin/inbox/attach", data={"csrf_token": token, "ids": group_ids, "entry_id": target.id})
    post_webhook(bot, body_of(text_event("ゴミ袋はどこで売っていますか")))
    assert "燃やせるごみ" in last_reply(fake_line)
    with app.extensions["machimado"].sessions() as session:
        handled = session.scalars(select(QuestionLog.handled).where(QuestionLog.text.like("%ゴミ袋%")
                                                                    | QuestionLog.text.like("%ごみ袋%"))).all()
    assert handled.count(True) == 2
    assert "ゴミ袋" not in client.get("/admin/inbox").text


def test_console_notice_needs_confirmation_for_emergency_and_is_delivered(app, client, fake_line) -> None:

    add_followers(app, fake_line, 3)
    login(client, make_staff(app)["broadcaster"])
    token = csrf(client, "/admin/notices/new")
    response = client.post("/admin/notices/new?template=hinanjo-kaisetsu", data={
        "csrf_token": token, "template": "hinanjo-kaisetsu", "param_area": "北地区", "param_reason": "大雨",
        "param_time": "15時", "param_shelters": "北小学校", "category": "防災", "severity": "emergency"})
    notice_url = response.headers["Location"]
    page = client.get(notice_url).text
    assert "【緊急】避難所を開設しました（北地区）" in page and "<strong>3</strong>人" in page
    client.post(notice_url + "/send", data={"csrf_token": token})
    assert "scheduled" not in client.get(notice_url + "/progress.json").text  # not sent without confirmation
    client.post(notice_url + "/send", data={"csrf_token": token, "confirm": "1"})
    run_worker(app)
    progress = client.get(notice_url + "/progress.json").get_json()
    assert progress["status"] == "sent" and progress["sent"] == 3
    assert len(fake_line.calls_to("broadcast")) == 1


def test_shelter_buttons_and_directory_import_preview(app, client) -> None:

    names = make_staff(app)
    login(client, names["broadcaster"])
    targets = ids(app)
    token = csrf(client, "/admin/shelters")
    client.post(f"/admin/shelters/{targets['place']}/status", data={"csrf_token": token, "status": "open"})
    assert "開設中 <strong>1</strong>" in client.get("/admin/shelters").text
    client.post("/admin/logout", data={"csrf_token": token})
    login(client, names["admin"])
    token = csrf(client, "/admin/directory")
    path = DATA / "opendata" / "ichikawa_122033_108_aed.csv"
    with path.open("rb") as f:
        preview = client.post("/admin/directory/import", data={"csrf_token": token, "kind": "aed", "file": (f, "aed.csv")},
                              content_type="multipart/form-data")
    assert "新規 <strong>21</strong>件" in preview.text
    assert "AED（4件）" in client.get("/admin/directory?kind=aed").text  # the preview wrote nothing
    upload_token = re.search(r'name="token" value="([^"]+)"', preview.text).group(1)
    client.post("/admin/directory/import", data={"csrf_token": token, "kind": "aed", "token": upload_token})
    assert "AED（25件）" in client.get("/admin/directory?kind=aed").text


def test_dashboard_charts_and_csv(app, client, fake_line) -> None:
    post_webhook(app.test_client(), body_of(text_event("粗大ごみの出し方")))
    login(client, make_staff(app)["viewer"])
    page = client.get("/admin/").text
    assert page.count("<svg") == 4 and "粗大ごみの出し方（1件、うちすぐに回答 1件）" in page
    csv_text = client.get("/admin/dashboard/questions.csv").data.decode("utf-8")
    assert csv_text.startswith("\ufeff日付,回答,候補提示,回答できず")


def test_faq_csv_export_import_round_trip(app, client) -> None:
    login(client, make_staff(app)["editor"])
    exported = client.get("/admin/faq/export.csv").data
    assert exported.startswith("\ufeff".encode())
    token = csrf(client, "/admin/faq")
    response = client.post("/admin/faq/import", data={"csrf_token": token, "file": (__import__("io").BytesIO(exported),
                                                                                    "faq.csv")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "新規 0件、更新 0件、変更なし 151件" in response.text


def test_synonym_editor_changes_matching_in_every_process(app, client, fake_line) -> None:
    """Another app instance (another gunicorn worker) sees the change on its next question."""
    with running_app(load_demo=False) as other_worker:
        bot = other_worker.test_client()
        post_webhook(bot, body_of(text_event("ぽいぽい袋の捨て方")))
        assert "見つかりませんでした" in last_reply(fake_line)
        login(client, make_staff(app)["editor"])
        token = csrf(client, "/admin/synonyms")
        bad = client.post("/admin/synonyms", data={"csrf_token": token, "groups": "ひとつだけ"})
        assert "2つ以上" in bad.text
        client.post("/admin/synonyms", data={"csrf_token": token, "groups": "粗大ごみ, ぽいぽい袋"})
        post_webhook(bot, body_of(text_event("ぽいぽい袋の捨て方")))
        assert "見つかりませんでした" not in last_reply(fake_line)
        assert "粗大ごみ" in last_reply(fake_line)


def test_faq_saved_in_one_worker_is_answered_by_another(app, client, fake_line) -> None:
    with running_app(load_demo=False) as other_worker:
        bot = other_worker.test_client()
        post_webhook(bot, body_of(text_event("ドローンの飛行許可")))  # builds that worker's index first
        login(client, make_staff(app)["editor"])
        save_faq(client, "ドローンを飛ばす許可", "公園管理課に申請してください。", alt_questions="ドローンの飛行許可")
        post_webhook(bot, body_of(text_event("ドローンの飛行許可")))
        assert "公園管理課" in last_reply(fake_line)


def test_console_accepts_uploads_larger_than_the_webhook_limit(app, client) -> None:
    import io

    rows = "".join(f"A{i:05d},施設{i},35.{i % 90000:05d},139.5,{'備考' * 60}\n" for i in range(6000))
    data = ("ID,名称,緯度,経度,備考\n" + rows).encode()
    assert len(data) > 1_000_000
    login(client, make_staff(app)["admin"])
    token = csrf(client, "/admin/directory")
    preview = client.post("/admin/directory/import", data={"csrf_token": token, "kind": "aed",
                                                           "file": (io.BytesIO(data), "big.csv")},
                          content_type="multipart/form-data")
    assert preview.status_code == 200 and "新規 <strong>6000</strong>件" in preview.text


def test_out_of_range_and_odd_ids_are_404_or_400_never_500(app, client) -> None:
    """#26 (33): ids no database holds (10^20) in URLs, and entry_id=abc|²|10^23 in forms."""
    login(client, make_staff(app)["admin"])
    huge = 10**20
    for path in (f"/admin/faq/{huge}", f"/admin/faq/{huge}/history", f"/admin/consultations/{huge}",
                 f"/admin/notices/{huge}", f"/admin/notices/{huge}/progress.json", f"/admin/faq/import/{huge}",
                 f"/admin/gomi/import/{huge}"):
        assert client.get(path).status_code == 404, path
    token = csrf(client, "/admin/password")
    assert client.post(f"/admin/staff/{huge}/role", data={"csrf_token": token, "role": "viewer"}).status_code == 404
    for value in ("abc", "²", str(10**23), "-1"):
        response = client.post("/admin/inbox/attach", data={"csrf_token": token, "entry_id": value, "q": "1"})
        assert response.status_code in (400, 404), value  # (no such question group here: 404 first)


def test_the_directory_page_imports_events_too(app, client) -> None:
    """#26 (19): no tab for events, and ?kind=events said 「のCSV（…）を取り込む」."""
    login(client, make_staff(app)["admin"])
    page = client.get("/admin/directory?kind=events").text
    assert "イベントのCSV（自治体標準オープンデータセット）を取り込む" in page and ">イベント</a>" in page
