"""Notices: compose (templates), preview on a phone, audience size, schedule, send, progress, cancel; disaster mode."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from admin.auth import (
    audit,
    current_municipality_id,
    current_municipality_slug,
    db,
    requires,
    signed_in,
)
from admin.blueprint import blueprint
from admin.runtime import runtime, tenant_of
from broadcasts.delivery import progress
from broadcasts.models import Notice
from broadcasts.notices import (
    NoticeError,
    cancel,
    create_notice,
    current_notices,
    get_notice,
    preview,
    update_draft,
)
from broadcasts.richmenu import RichMenuError, set_disaster_mode, state_of
from broadcasts.templates import load_templates
from core.timeutil import local_str, parse_local, utcnow
from directory.places import active_shelters, open_shelters, set_status


def notice_or_404(notice_id: int) -> Notice:
    notice = get_notice(db(), current_municipality_id(), notice_id)
    if notice is None:
        abort(404)
    return notice


@blueprint.get("/notices")
@requires("view")
def notices() -> ResponseReturnValue:
    rows = db().scalars(select(Notice).where(Notice.municipality_id == current_municipality_id()).order_by(Notice.id.desc())
                        .limit(100)).all()
    return render_template("admin/notices.html", rows=rows, state=state_of(db(), current_municipality_id()),
                           open_count=len(active_shelters(db(), current_municipality_id())),
                           emergency_count=len(current_notices(db(), current_municipality_id(), emergency_only=True,
                                                               limit=50)))


def _when(value: str) -> datetime | None:
    if not value:
        return None
    try:
        return parse_local(value)
    except ValueError:
        raise NoticeError("日時の形式が正しくありません。") from None


@blueprint.route("/notices/new", methods=["GET", "POST"])
@requires("notices")
def notice_new() -> ResponseReturnValue:
    templates = load_templates()
    template = templates.get(request.values.get("template", ""))
    tenant = tenant_of(current_municipality_slug())
    form = dict(request.form)
    prefilled_shelters = False
    if template and request.method == "GET":
        form.update(category=template.category, severity=template.severity)
        opened = open_shelters(db(), tenant.id)
        if "shelters" in template.params and opened:
            form["param_shelters"] = "、".join(f"{p.name}（{p.address}）" if p.address else p.name for p in opened)
            prefilled_shelters = True
    if request.method == "POST":
        try:
            title, body, translations = form.get("title", ""), form.get("body", ""), None
            if template:
                values = {p: form.get(f"param_{p}", "") for p in template.params}
                title, body = template.fill(values)
                translations = template.fill_translations(values)
            notice = create_notice(db(), tenant.id, tenant.config, title=title, body=body, **_form_fields(form),
                                   created_by=signed_in().username, draft=True, translations=translations)
        except (NoticeError, ValueError) as exc:
            flash(str(exc), "error")
        else:
            audit("notice_draft", "notice", notice.id, None, {"title": notice.title})
            db().commit()
            return redirect(url_for("admin.notice_show", notice_id=notice.id))
    return render_template("admin/notice_new.html", templates=templates, template=template, form=form,
                           config=tenant.config, prefilled_shelters=prefilled_shelters)


def _form_fields(form: dict[str, str]) -> dict[str, Any]:
    """The notice fields of the compose/edit form (title and body already filled from a template, if any)."""
    links = [{"label": a.strip(), "url": b.strip()} for a, _, b in
             (line.partition("|") for line in form.get("links", "").splitlines() if "|" in line)]
    return {"category": form.get("category", ""), "severity": form.get("severity", "normal"),
            "districts": request.form.getlist("districts"), "links": links,
            "scheduled_at": _when(form.get("scheduled_at", "")), "expires_at": _when(form.get("expires_at", ""))}


@blueprint.route("/notices/<int:notice_id>/edit", methods=["GET", "POST"])
@requires("notices")
def notice_edit(notice_id: int) -> ResponseReturnValue:
    """A draft can be changed until it is sent."""
    notice = notice_or_404(notice_id)
    if notice.status != "draft":
        flash("送信の手続きが済んだお知らせは直せません。", "error")
        return redirect(url_for("admin.notice_show", notice_id=notice.id))
    tenant = tenant_of(current_municipality_slug())
    if request.method == "POST":
        form = dict(request.form)
        try:
            before = {"title": notice.title, "body": notice.body}
            update_draft(notice, tenant.config, title=form.get("title", ""), body=form.get("body", ""),
                         **_form_fields(form))
        except (NoticeError, ValueError) as exc:
            flash(str(exc), "error")
        else:
            audit("notice_draft_edited", "notice", notice.id, before, {"title": notice.title})
            db().commit()
            flash("下書きを直しました。", "ok")
            return redirect(url_for("admin.notice_show", notice_id=notice.id))
    else:
        form = {"title": notice.title, "body": notice.body, "category": notice.category, "severity": notice.severity,
                "links": "\n".join(f"{link['label']} | {link['url']}" for link in notice.links or []),
                "scheduled_at": local_str(notice.scheduled_at, "%Y-%m-%dT%H:%M"),
                "expires_at": local_str(notice.expires_at, "%Y-%m-%dT%H:%M") if notice.expires_at else ""}
    return render_template("admin/notice_new.html", templates={}, template=None, form=form, config=tenant.config,
                           prefilled_shelters=False, editing=notice,
                           chosen_districts=(notice.target or {}).get("districts") or [])


@blueprint.get("/notices/<int:notice_id>")
@requires("view")
def notice_show(notice_id: int) -> ResponseReturnValue:
    notice = notice_or_404(notice_id)
    shown = preview(db(), current_municipality_id(), notice)
    return render_template("admin/notice_show.html", notice=notice, shown=shown, progress=progress(db(), notice.id))


@blueprint.get("/notices/<int:notice_id>/progress.json")
@requires("view")
def notice_progress(notice_id: int) -> ResponseReturnValue:
    notice = notice_or_404(notice_id)
    return jsonify(status=notice.status, total=notice.recipients_total, sent=notice.recipients_sent,
                   failed=notice.recipients_failed, batches=progress(db(), notice.id))


@blueprint.post("/notices/<int:notice_id>/send")
@requires("notices")
def notice_send(notice_id: int) -> ResponseReturnValue:
    notice = notice_or_404(notice_id)
    if notice.status != "draft":
        abort(409)
    if notice.emergency and request.form.get("confirm") != "1":
        flash("緊急のお知らせです。確認のチェックを入れてから送信してください。", "error")
        return redirect(url_for("admin.notice_show", notice_id=notice.id))
    notice.status = "scheduled"
    audit("notice_send", "notice", notice.id, {"status": "draft"},
          {"status": "scheduled", "title": notice.title, "severity": notice.severity,
           "scheduled_at": notice.scheduled_at.isoformat()})
    db().commit()
    flash("配信を受け付けました。", "ok")
    return redirect(url_for("admin.notice_show", notice_id=notice.id))


@blueprint.post("/notices/<int:notice_id>/cancel")
@requires("notices")
def notice_cancel(notice_id: int) -> ResponseReturnValue:
    notice = notice_or_404(notice_id)
    before = notice.status
    if cancel(db(), notice):
        audit("notice_cancel", "notice", notice.id, {"status": before}, {"status": "cancelled"})
        db().commit()
        flash("取り消しました。", "ok")
    else:
        flash("すでに送信が始まっているため取り消せません。", "error")
    return redirect(url_for("admin.notice_show", notice_id=notice.id))


@blueprint.post("/disaster")
@requires("notices")
def disaster_switch() -> ResponseReturnValue:
    """On needs a confirmation tick (every resident's menu changes); off asks whether to close the shelters still
    open and to end the emergency notices that lead residents' お知らせ and replies."""
    tenant = tenant_of(current_municipality_slug())
    on = request.form.get("mode") == "on"
    if on and request.form.get("confirm") != "1":
        flash("災害モードにすると、すべての住民のメニューが災害用に切り替わります。確認のチェックを入れてください。", "error")
        return redirect(url_for("admin.notices"))
    before = state_of(db(), tenant.id)
    previous = {"disaster_mode": before.disaster_mode, "type": before.disaster_type}
    try:
        set_disaster_mode(db(), tenant.id, runtime().line_client(tenant.config.slug), on,
                          request.form.get("disaster_type", ""))
    except RichMenuError as exc:
        flash(str(exc), "error")
    done = []
    closed = ended = 0
    if not on and request.form.get("close_shelters") == "1":
        for place in active_shelters(db(), tenant.id):  # 満員 too: the next disaster must not start "full" (#26)
            set_status(place, "closed")
            closed += 1
        done.append(f"避難所 {closed}か所を閉鎖にしました")
    if not on and request.form.get("end_emergencies") == "1":
        now = utcnow()
        for notice in current_notices(db(), tenant.id, emergency_only=True, limit=50):
            notice.expires_at = now
            ended += 1
        done.append(f"緊急のお知らせ {ended}件の掲載を終えました")
    audit("disaster_mode", "municipality", tenant.id, previous,
          {"disaster_mode": on, "type": request.form.get("disaster_type", ""), "shelters_closed": closed,
           "emergencies_ended": ended})
    db().commit()
    flash(("災害モードにしました。" if on else "通常モードに戻しました。") + "".join(f"{d}。" for d in done), "ok")
    return redirect(url_for("admin.notices"))
