"""#17.14: admins manage their municipality's staff accounts in the console; every change in the audit log."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from admin.models import StaffUser
from core.models import AuditLog
from tests.admin.test_console import PASSWORD, csrf, login, make_staff


def created_password(page: str) -> str:
    return re.search(r"(?:初期パスワード|新しいパスワード)：(\S+)", page).group(1)


def user_id(app, username: str) -> int:
    with app.extensions["machimado"].sessions() as session:
        return session.scalar(select(StaffUser.id).where(StaffUser.username == username))


def test_an_admin_creates_changes_disables_and_resets_a_staff_account(app, client) -> None:
    names = make_staff(app)
    login(client, names["admin"])
    token = csrf(client, "/admin/staff")
    page = client.post("/admin/staff", data={"csrf_token": token, "username": "yamada", "display_name": "山田 太郎",
                                              "role": "editor"}, follow_redirects=True).text
    assert "「山田 太郎」さんのアカウントを作りました" in page and ">編集</option>" in page
    first_password = created_password(page)
    yamada = app.test_client()
    assert login(yamada, "yamada", first_password).status_code == 302
    assert yamada.get("/admin/faq/new").status_code == 200

    uid = user_id(app, "yamada")
    client.post(f"/admin/staff/{uid}/role", data={"csrf_token": token, "role": "viewer"})
    assert yamada.post("/admin/faq/new", data={"csrf_token": csrf(yamada, "/admin/password")}).status_code == 403

    client.post(f"/admin/staff/{uid}/disable", data={"csrf_token": token, "disable": "1"})
    assert yamada.get("/admin/faq").status_code == 302  # signed out at once
    assert login(app.test_client(), "yamada", first_password).status_code == 401
    client.post(f"/admin/staff/{uid}/disable", data={"csrf_token": token, "disable": "0"})
    assert login(yamada, "yamada", first_password).status_code == 302

    page = client.post(f"/admin/staff/{uid}/password", data={"csrf_token": token}, follow_redirects=True).text
    second_password = created_password(page)
    assert yamada.get("/admin/faq").status_code == 302  # the reset ended the old session
    assert login(app.test_client(), "yamada", first_password).status_code == 401
    assert login(app.test_client(), "yamada", second_password).status_code == 302
    with app.extensions["machimado"].sessions() as session:
        actions = session.scalars(select(AuditLog.action).where(AuditLog.object_id == str(uid))).all()
    assert {"staff_created", "staff_role_changed", "staff_disabled", "staff_enabled",
            "staff_password_reset"} <= set(actions)
    audit_page = client.get("/admin/audit").text
    assert "職員の役割の変更" in audit_page and "役割：閲覧" in audit_page and "役割：編集" in audit_page


def test_an_admin_cannot_lock_themselves_out(app, client) -> None:
    names = make_staff(app)
    login(client, names["admin"])
    token = csrf(client, "/admin/staff")
    me = user_id(app, names["admin"])
    page = client.post(f"/admin/staff/{me}/disable", data={"csrf_token": token, "disable": "1"},
                       follow_redirects=True).text
    assert "自分のアカウントは無効にできません" in page
    page = client.post(f"/admin/staff/{me}/role", data={"csrf_token": token, "role": "viewer"},
                       follow_redirects=True).text
    assert "自分の役割は変更できません" in page
    assert client.get("/admin/staff").status_code == 200


def test_staff_of_another_municipality_are_out_of_reach(multi_app) -> None:
    shima, minato = make_staff(multi_app, "shima"), make_staff(multi_app, "minato")
    client = multi_app.test_client()
    login(client, shima["admin"])
    page = client.get("/admin/staff").text
    assert shima["editor"] in page and minato["editor"] not in page
    other = user_id(multi_app, minato["editor"])
    token = csrf(client, "/admin/staff")
    assert client.post(f"/admin/staff/{other}/password", data={"csrf_token": token}).status_code == 404
    assert login(multi_app.test_client(), minato["editor"], PASSWORD).status_code == 302


def test_two_admins_demoting_each_other_at_once_leave_one_admin(app, database_url) -> None:
    """#26 (32): each admin demotes the other at the same moment; the municipality keeps an admin."""
    import threading

    from admin.auth import create_user
    from core.db import session_scope

    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent writers: PostgreSQL (SQLite deployments run one process)")
    rt = app.extensions["machimado"]
    tenant = rt.default_tenant()
    with session_scope(rt.sessions) as session:
        for name in ("admin-a", "admin-b"):
            create_user(session, name, PASSWORD, "admin", tenant.id)
    clients = {}
    for name in ("admin-a", "admin-b"):
        clients[name] = app.test_client()
        login(clients[name], name)
    tokens = {name: csrf(c, "/admin/staff") for name, c in clients.items()}
    ids = {name: user_id(app, name) for name in clients}
    for _ in range(8):
        with session_scope(rt.sessions) as session:
            for name in clients:
                session.get(StaffUser, ids[name]).role = "admin"
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def demote(me: str, other: str, barrier: threading.Barrier, statuses: list[int]) -> None:
            barrier.wait()
            response = clients[me].post(f"/admin/staff/{ids[other]}/role",
                                        data={"csrf_token": tokens[me], "role": "viewer"})
            statuses.append(response.status_code)

        threads = [threading.Thread(target=demote, args=(*pair, barrier, statuses))
                   for pair in (("admin-a", "admin-b"), ("admin-b", "admin-a"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # the second either found itself demoted already (403) or was refused (302 with a message)
        assert sorted(statuses) in ([302, 302], [302, 403]), statuses
        with rt.sessions() as session:
            admins = session.scalars(select(StaffUser.username).where(
                StaffUser.role == "admin", StaffUser.municipality_id == tenant.id,
                StaffUser.username.in_(list(clients)))).all()
        assert len(admins) == 1


def test_the_last_admin_cannot_be_demoted_or_disabled(app, client) -> None:
    """A superuser (or the other side of a race) cannot leave a municipality without an active admin."""
    from admin.auth import create_user
    from core.db import session_scope

    rt = app.extensions["machimado"]
    tenant = rt.default_tenant()
    with session_scope(rt.sessions) as session:
        create_user(session, "only-admin", PASSWORD, "admin", tenant.id)
        create_user(session, "root", PASSWORD, "superuser", None)
    login(client, "root")
    token = csrf(client, "/admin/staff")
    only = user_id(app, "only-admin")
    for path, data in ((f"/admin/staff/{only}/role", {"role": "viewer"}), (f"/admin/staff/{only}/disable",
                                                                            {"disable": "1"})):
        page = client.post(path, data={"csrf_token": token, **data}, follow_redirects=True).text
        assert "管理者がいなくなるため、変更できません" in page
    with rt.sessions() as session:
        row = session.get(StaffUser, only)
        assert row.role == "admin" and row.disabled_at is None
