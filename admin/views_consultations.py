"""相談: residents' requests for a person, answered by push message with their questions to the bot beside them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from admin.auth import audit, current_municipality_id, current_municipality_slug, db, requires, signed_in
from admin.blueprint import blueprint
from admin.consultations import bot_history
from admin.runtime import runtime, tenant_of
from core.models import Follower
from desk import service as desk
from desk.models import Consultation, ConsultationMessage

OUTCOMES = {"answer": "回答", "suggest": "候補を提示", "fallback": "答えられず"}


def consultation_or_404(consultation_id: int) -> Consultation:
    consultation = desk.get(db(), current_municipality_id(), consultation_id)
    if consultation is None:
        abort(404)
    return consultation


@blueprint.get("/consultations")
@requires("consult")
def consultations() -> ResponseReturnValue:
    return render_template("admin/consultations.html", rows=desk.listing(db(), current_municipality_id()))


@blueprint.get("/consultations/<int:consultation_id>")
@requires("consult")
def consultation(consultation_id: int) -> ResponseReturnValue:
    item = consultation_or_404(consultation_id)
    resident = db().get(Follower, item.follower_id) if item.follower_id else None
    return render_template("admin/consultation.html", c=item, messages=desk.messages_of(db(), item),
                           language=resident.language if resident else None,
                           history=bot_history(db(), item), outcomes=OUTCOMES, max_text=desk.MAX_TEXT)


def _desk_name() -> str:
    return tenant_of(current_municipality_slug()).config.contact.desk


@blueprint.post("/consultations/<int:consultation_id>/reply")
@requires("consult")
def consultation_reply(consultation_id: int) -> ResponseReturnValue:
    item = consultation_or_404(consultation_id)
    text = request.form.get("text", "").strip()
    if not text or len(text) > desk.MAX_TEXT:
        flash(f"返信を入力してください（{desk.MAX_TEXT}文字まで）。", "error")
        return redirect(url_for("admin.consultation", consultation_id=item.id))
    client = runtime().line_client(current_municipality_slug())
    message = desk.reply(db(), client, item, signed_in().display_name or signed_in().username, text, _desk_name())
    audit("consultation_replied", "consultation", item.id, None, {"message_id": message.id,
                                                                   "status": message.status})
    db().commit()
    if message.status == "sent":
        flash("住民に返信を送りました。", "ok")
    else:
        flash(f"返信は保存しましたが、送れませんでした：{message.error} 「再送」で送り直せます。", "error")
    return redirect(url_for("admin.consultation", consultation_id=item.id))


@blueprint.post("/consultations/<int:consultation_id>/resend/<int:message_id>")
@requires("consult")
def consultation_resend(consultation_id: int, message_id: int) -> ResponseReturnValue:
    item = consultation_or_404(consultation_id)
    message = db().get(ConsultationMessage, message_id)
    if message is None or message.consultation_id != item.id or message.sender != "staff" or message.status == "sent":
        abort(404)
    sent = desk.send(db(), runtime().line_client(current_municipality_slug()), item, message, _desk_name())
    audit("consultation_resent", "consultation", item.id, None, {"message_id": message.id, "status": message.status})
    db().commit()
    flash("返信を送りました。" if sent else f"送れませんでした：{message.error}", "ok" if sent else "error")
    return redirect(url_for("admin.consultation", consultation_id=item.id))


@blueprint.post("/consultations/<int:consultation_id>/close")
@requires("consult")
def consultation_close(consultation_id: int) -> ResponseReturnValue:
    item = consultation_or_404(consultation_id)
    if item.status == "open":
        desk.close(item, signed_in().username)
        audit("consultation_closed", "consultation", item.id)
        db().commit()
        flash(f"相談（受付番号 {item.id}）を終了にしました。", "ok")
    return redirect(url_for("admin.consultations"))
