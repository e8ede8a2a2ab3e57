"""Staff accounts of the municipality (admins): create, change role, disable / enable, reset the password.

A new or reset password is generated and shown once to the admin, who hands it over; the staff member changes
it after signing in. Disabling or resetting ends the account's sessions at once. Admins cannot disable or
demote themselves (the municipality would be left without anyone to undo it). Every change is audit-logged.
"""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

import admin.wording as wording
from admin.auth import (
    AuthError,
    audit,
    create_user,
    current_municipality_id,
    db,
    hash_password,
    requires,
    revoke_sessions,
    signed_in,
)
from admin.blueprint import blueprint
from admin.models import StaffUser
from core.timeutil import utcnow

ASSIGNABLE = ("viewer", "editor", "broadcaster", "admin")


def temporary_password() -> str:
    return secrets.token_urlsafe(9)  # 12 characters


def staff_or_404(user_id: int) -> StaffUser:
    user = db().scalar(select(StaffUser).where(StaffUser.id == user_id,
                                               StaffUser.municipality_id == current_municipality_id()))
    if user is None:
        abort(404)
    return user


@blueprint.get("/staff")
@requires("admin")
def staff() -> ResponseReturnValue:
    users = db().scalars(select(StaffUser).where(StaffUser.municipality_id == current_municipality_id())
                         .order_by(StaffUser.disabled_at.is_not(None), StaffUser.username)).all()
    return render_template("admin/staff.html", users=users, roles=ASSIGNABLE, role_ja=wording.ROLES)


@blueprint.post("/staff")
@requires("admin")
def staff_create() -> ResponseReturnValue:
    username = request.form.get("username", "").strip()
    role = request.form.get("role", "")
    if role not in ASSIGNABLE or not username or len(username) > 80 or not username.isascii():
        flash("ユーザー名（半角英数字）と役割を正しく入力してください。", "error")
        return redirect(url_for("admin.staff"))
    password = temporary_password()
    try:
        user = create_user(db(), username, password, role, current_municipality_id(),
                           request.form.get("display_name", "").strip()[:80])
    except AuthError:
        db().rollback()
        flash(f"ユーザー名「{username}」はすでに使われています。", "error")
        return redirect(url_for("admin.staff"))
    audit("staff_created", "staff_user", user.id, None, {"username": user.username, "role": role})
    db().commit()
    flash(f"「{user.display_name}」さんのアカウントを作りました。初期パスワード：{password} "
          "（この画面でしか表示しません。本人に伝え、ログイン後に変更してもらってください）", "ok")
    return redirect(url_for("admin.staff"))


def _not_self(user: StaffUser, refusal: str) -> bool:
    if user.id == signed_in().id:
        flash(f"{refusal}別の管理者に依頼してください。", "error")
        return False
    return True


@blueprint.post("/staff/<int:user_id>/role")
@requires("admin")
def staff_role(user_id: int) -> ResponseReturnValue:
    user = staff_or_404(user_id)
    role = request.form.get("role", "")
    if role not in ASSIGNABLE:
        abort(400)
    if role != user.role and _not_self(user, "自分の役割は変更できません。"):
        before = user.role
        if before == "admin" and not _other_admin_stays(user):
            flash(LAST_ADMIN, "error")
            return redirect(url_for("admin.staff"))
        user.role = role
        audit("staff_role_changed", "staff_user", user.id, {"role": before}, {"role": role})
        db().commit()
        flash(f"「{user.display_name}」さんの役割を「{wording.ROLES[role]}」にしました。", "ok")
    return redirect(url_for("admin.staff"))


LAST_ADMIN = "この市町村の管理者がいなくなるため、変更できません。先にほかの職員を管理者にしてください。"


def _other_admin_stays(user: StaffUser) -> bool:
    """Is another active admin of the municipality left when ``user`` stops being one? On PostgreSQL the active
    admins' rows are locked first, so two admins demoting (or disabling) each other at the same moment cannot leave
    the municipality with none (#26): the second waits, then sees the first one's change."""
    query = select(StaffUser.id).where(StaffUser.municipality_id == user.municipality_id,
                                       StaffUser.role == "admin", StaffUser.disabled_at.is_(None))
    if db().get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return any(other != user.id for other in db().scalars(query.execution_options(populate_existing=True)))


@blueprint.post("/staff/<int:user_id>/disable")
@requires("admin")
def staff_disable(user_id: int) -> ResponseReturnValue:
    user = staff_or_404(user_id)
    disable = request.form.get("disable") == "1"
    if disable and not _not_self(user, "自分のアカウントは無効にできません。"):
        return redirect(url_for("admin.staff"))
    if disable and user.role == "admin" and not _other_admin_stays(user):
        flash(LAST_ADMIN, "error")
        return redirect(url_for("admin.staff"))
    user.disabled_at = utcnow() if disable else None
    if disable:
        revoke_sessions(db(), user.id)
    audit("staff_disabled" if disable else "staff_enabled", "staff_user", user.id)
    db().commit()
    flash(f"「{user.display_name}」さんのアカウントを{'無効にしました（ログイン中の画面も終了します）' if disable else '有効にしました'}。",
          "ok")
    return redirect(url_for("admin.staff"))


@blueprint.post("/staff/<int:user_id>/password")
@requires("admin")
def staff_reset_password(user_id: int) -> ResponseReturnValue:
    user = staff_or_404(user_id)
    password = temporary_password()
    user.password_hash = hash_password(password)
    revoke_sessions(db(), user.id, keep_current=user.id == signed_in().id)
    audit("staff_password_reset", "staff_user", user.id)
    db().commit()
    flash(f"「{user.display_name}」さんのパスワードを再設定しました。新しいパスワード：{password} "
          "（この画面でしか表示しません）", "ok")
    return redirect(url_for("admin.staff"))
