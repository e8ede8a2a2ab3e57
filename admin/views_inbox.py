"""Unanswered inbox: create an FAQ from a group, attach it as phrasings of an entry, or mark handled."""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from admin.auth import audit, current_user, db, requires, tenant_id
from admin.blueprint import blueprint
from admin.inbox import group_questions, logs_by_ids, unanswered
from faq.models import FaqEntry
from faq.packs import save_entry, validate_entry


@blueprint.get("/inbox")
@requires("view")
def inbox():  # type: ignore[no-untyped-def]
    groups = group_questions(unanswered(db(), tenant_id()))
    entries = db().scalars(select(FaqEntry).where(FaqEntry.municipality_id == tenant_id(), FaqEntry.active.is_(True))
                           .order_by(FaqEntry.category, FaqEntry.question)).all()
    return render_template("admin/inbox.html", groups=groups[:100], entries=entries)


def _group_logs():  # type: ignore[no-untyped-def]
    logs = logs_by_ids(db(), tenant_id(), request.form.get("ids", ""))
    if not logs:
        abort(404)
    return logs


@blueprint.post("/inbox/create")
@requires("faq")
def inbox_create():  # type: ignore[no-untyped-def]
    logs = _group_logs()
    texts = list(dict.fromkeys(log.text for log in logs))
    question = request.form.get("question", "").strip() or texts[0]
    errors: list[str] = []
    data = validate_entry({"id": f"faq-{secrets.token_hex(4)}", "question": question,
                           "answer": request.form.get("answer", ""), "category": request.form.get("category", ""),
                           "alt_questions": [t[:200] for t in texts if t != question][:20]}, "入力", errors)
    if errors or data is None:
        flash("FAQを作れませんでした：" + "／".join(errors), "error")
        return redirect(url_for("admin.inbox"))
    _, entry = save_entry(db(), tenant_id(), data, current_user().username)  # type: ignore[union-attr]
    for log in logs:
        log.handled = True
    audit("faq_created", "faq_entry", entry.id, None, entry.snapshot())
    db().commit()
    flash(f"FAQ「{question}」を作りました。", "ok")
    return redirect(url_for("admin.inbox"))


@blueprint.post("/inbox/attach")
@requires("faq")
def inbox_attach():  # type: ignore[no-untyped-def]
    logs = _group_logs()
    entry = db().scalar(select(FaqEntry).where(FaqEntry.id == int(request.form.get("entry_id") or 0),
                                               FaqEntry.municipality_id == tenant_id()))
    if entry is None:
        abort(404)
    before = entry.snapshot()
    phrasings = list(entry.alt_questions or [])
    for text in dict.fromkeys(log.text[:200] for log in logs):
        if text not in phrasings and text != entry.question:
            phrasings.append(text)
    save_entry(db(), tenant_id(), {**before, "alt_questions": phrasings}, current_user().username,  # type: ignore[union-attr]
               entry)
    for log in logs:
        log.handled = True
    audit("faq_phrasings_added", "faq_entry", entry.id, before, entry.snapshot())
    db().commit()
    flash(f"「{entry.question}」の言い換えとして追加しました。次から同じ質問に回答します。", "ok")
    return redirect(url_for("admin.inbox"))


@blueprint.post("/inbox/handled")
@requires("faq")
def inbox_handled():  # type: ignore[no-untyped-def]
    logs = _group_logs()
    for log in logs:
        log.handled = True
    audit("questions_handled", "question_logs", ",".join(str(log.id) for log in logs[:20]))
    db().commit()
    flash(f"{len(logs)}件を対応済みにしました。", "ok")
    return redirect(url_for("admin.inbox"))
