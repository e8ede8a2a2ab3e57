"""Login, logout, password change, municipality switch (superusers)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from admin.auth import (
    AuthError,
    audit,
    authenticate,
    current_user,
    db,
    end_session,
    hash_password,
    requires,
    revoke_sessions,
    safe_next,
    start_session,
)
from admin.blueprint import blueprint
from core.models import Municipality


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    error = None
    if request.method == "POST":
        try:
            user = authenticate(db(), request.form.get("username", ""), request.form.get("password", ""),
                                request.remote_addr)
        except AuthError as exc:
            db().commit()  # keep the lock
            error = str(exc)
        else:
            start_session(db(), user)
            g.staff = user
            audit("login", "staff_user", user.id, municipality_id=user.municipality_id)
            db().commit()
            return redirect(safe_next(request.args.get("next")))
    return render_template("admin/login.html", error=error), (401 if error else 200)


@blueprint.post("/logout")
def logout() -> ResponseReturnValue:
    end_session(db())
    db().commit()
    return redirect(url_for("admin.login"))


@blueprint.route("/password", methods=["GET", "POST"])
@requires("view")
def password() -> ResponseReturnValue:
    user = current_user()
    assert user is not None
    if request.method == "POST":
        from werkzeug.security import check_password_hash

        if not check_password_hash(user.password_hash, request.form.get("current", "")):
            flash("現在のパスワードが違います。", "error")
        elif request.form.get("new") != request.form.get("confirm"):
            flash("新しいパスワードが一致しません。", "error")
        else:
            try:
                user.password_hash = hash_password(request.form.get("new", ""))
            except AuthError as exc:
                flash(str(exc), "error")
            else:
                revoke_sessions(db(), user.id, keep_current=True)
                audit("password_change", "staff_user", user.id)
                db().commit()
                flash("パスワードを変更しました。", "ok")
                return redirect(url_for("admin.dashboard"))
    return render_template("admin/password.html")


@blueprint.post("/municipality")
@requires("superuser")
def switch_municipality() -> ResponseReturnValue:
    chosen = db().scalar(select(Municipality.id).where(Municipality.slug == request.form.get("slug", "")))
    if chosen:
        session["municipality_id"] = chosen
    return redirect(url_for("admin.dashboard"))
