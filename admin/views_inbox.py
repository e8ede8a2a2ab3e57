"""Unanswered inbox: create an FAQ from a group, attach it as phrasings of an entry, or mark handled."""

from __future__ import annotations

import secrets
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from werkzeug.wrappers import Response

from admin.auth import audit, current_municipality_id, db, requires, signed_in
from admin.blueprint import blueprint
from admin.inbox import confirmed_phrasings, disliked_answers, group_questions, logs_by_ids, unanswered
from core.inputs import whole_number
from faq.models import FaqEntry, QuestionLog
from faq.packs import save_entry, validate_entry


@blueprint.get("/inbox")
@requires("view")
def inbox() -> ResponseReturnValue:
    groups = group_questions(unanswered(db(), current_municipality_id()))
    entries = db().scalars(select(FaqEntry).where(FaqEntry.municipality_id == current_municipality_id(), FaqEntry.active.is_(True))
                           .order_by(FaqEntry.category, FaqEntry.question)).all()
    by_id = {e.id: e for e in entries}
    suggested = {g.ids: [by_id[i] for i in g.candidate_ids if i in by_id] for g in groups[:100]}
    confirmed = confirmed_phrasings(db(), current_municipality_id())
    return render_template("admin/inbox.html", groups=groups[:100], entries=entries, suggested=suggested,
                           confirmed=confirmed, disliked=disliked_answers(db(), current_municipality_id()))


def _group_logs() -> list[QuestionLog]:
    logs = logs_by_ids(db(), current_municipality_id(), request.form.get("ids", ""))
    if not logs:
        abort(404)
    return logs


@blueprint.post("/inbox/create")
@requires("faq")
def inbox_create() -> ResponseReturnValue:
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
    _, entry = save_entry(db(), current_municipality_id(), data, signed_in().username)
    return _close(logs, f"FAQ「{question}」を作りました。", "faq_created", "faq_entry", entry.id, None,
                  entry.snapshot())


def _form_entry() -> FaqEntry:
    entry_id = whole_number(request.form.get("entry_id") or "")
    if entry_id is None:  # 「abc」「²」「10^23」: not an entry number (int() took ² and overflowed the database)
        abort(400)
    entry = db().scalar(select(FaqEntry).where(FaqEntry.id == entry_id,
                                               FaqEntry.municipality_id == current_municipality_id()))
    if entry is None:
        abort(404)
    return entry


def _attach(entry: FaqEntry, texts: list[str]) -> dict[str, Any]:
    """Add ``texts`` to the entry's phrasings (a new revision); returns the entry as it was before."""
    before = entry.snapshot()
    phrasings = list(entry.alt_questions or [])
    phrasings += [t for t in dict.fromkeys(t[:200] for t in texts if t.strip())
                  if t not in phrasings and t != entry.question]
    save_entry(db(), current_municipality_id(), {**before, "alt_questions": phrasings}, signed_in().username, entry)
    return before


@blueprint.post("/inbox/attach")
@requires("faq")
def inbox_attach() -> ResponseReturnValue:
    logs = _group_logs()
    entry = _form_entry()
    before = _attach(entry, [log.text for log in logs])
    return _close(logs, f"「{entry.question}」の言い換えとして追加しました。次から同じ質問に回答します。",
                  "faq_phrasings_added", "faq_entry", entry.id, before, entry.snapshot())


@blueprint.post("/inbox/confirmed")
@requires("faq")
def inbox_confirmed() -> ResponseReturnValue:
    """Attach the phrasings residents confirmed (the ticked ones) to the entry they chose."""
    logs = _group_logs()
    entry = _form_entry()
    chosen = request.form.getlist("phrasing")
    before = _attach(entry, chosen)
    return _close([log for log in logs if log.chosen_entry_id == entry.id],
                  f"住民が選んだ{len(chosen)}件の質問を「{entry.question}」の言い換えとして追加しました。"
                  "次からは同じ質問にすぐ回答します。",
                  "faq_phrasings_confirmed", "faq_entry", entry.id, before, entry.snapshot())


@blueprint.post("/inbox/handled")
@requires("faq")
def inbox_handled() -> ResponseReturnValue:
    logs = _group_logs()
    return _close(logs, f"{len(logs)}件を対応済みにしました。", "questions_handled", "question_logs",
                  ",".join(str(log.id) for log in logs[:20]))


def _close(logs: list[QuestionLog], message: str, *audited: Any) -> Response:
    """Mark the inbox group handled, write the audit entry (``audited`` as :func:`audit` takes it), commit and go
    back to the inbox with ``message``."""
    for log in logs:
        log.handled = True
    audit(*audited)
    db().commit()
    flash(message, "ok")
    return redirect(url_for("admin.inbox"))
