"""個人情報の開示・削除: an admin finds a resident (LINE user id or 住民 #number), sees what is held, downloads it
as JSON or erases it (privacy/residents.py). Both are audit-logged with a pseudonym, never the contents."""

from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from admin.auth import audit, current_municipality_id, db, requires
from admin.blueprint import blueprint
from admin.runtime import runtime
from core.models import Follower
from privacy import residents


def _resident(who: str) -> Follower | None:
    line_user_id, number = residents.parse_who(who)
    return residents.find(db(), current_municipality_id(), line_user_id, number)


@blueprint.get("/privacy")
@requires("admin")
def privacy() -> ResponseReturnValue:
    who = request.args.get("who", "").strip()[:80]
    follower = _resident(who) if who else None
    held = residents.summary(db(), current_municipality_id(), follower) if follower else None
    return render_template("admin/privacy.html", who=who, follower=follower, held=held)


def _form_resident() -> Follower:
    follower = _resident(request.form.get("who", "")[:80])
    if follower is None:
        abort(404)
    return follower


@blueprint.post("/privacy/export")
@requires("admin")
def privacy_export() -> ResponseReturnValue:
    follower = _form_resident()
    data = residents.export(db(), current_municipality_id(), follower, runtime().photo_store)
    audit("privacy_export", "resident", residents.pseudonym(follower.line_user_id))
    db().commit()
    return Response(json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=resident-{follower.id}.json"})


@blueprint.post("/privacy/erase")
@requires("admin")
def privacy_erase() -> ResponseReturnValue:
    follower = _form_resident()
    if request.form.get("confirm") != "1":
        flash("削除するには、確認のチェックを入れてください。", "error")
        return redirect(url_for("admin.privacy", who=request.form.get("who", "")))
    pseudonym = residents.pseudonym(follower.line_user_id)
    counts = residents.erase(db(), current_municipality_id(), follower, runtime().photo_store)
    audit("privacy_erase", "resident", pseudonym, None, counts)
    db().commit()
    flash("この住民のデータを削除しました（質問 {questions}件、相談 {consultations}件、"
          "評価 {feedback}件、配信リスト {recipient_lists}件、ごみの設定 {gomi}件）。".format(**counts), "ok")
    return redirect(url_for("admin.privacy"))
