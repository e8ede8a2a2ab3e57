"""FAQ management: list/search, edit with revisions (diff, revert), 試してみる, import/export YAML and CSV."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, or_, select

import admin.wording as wording
from admin.auth import audit, current_municipality_id, current_municipality_slug, db, requires, signed_in
from admin.blueprint import blueprint
from admin.inbox import logs_by_ids
from admin.runtime import runtime, tenant_of
from core import i18n
from faq.csvpack import to_csv
from faq.jobs import create_job, parse_upload, stalled, start_job
from faq.lint import duplicates_of
from faq.models import FaqEntry, FaqRevision, ImportJob, QuestionLog, reached_entry
from faq.packs import PackError, export_pack, save_entry, validate_entry

FIELDS = ("question", "alt_questions", "answer", "category", "keywords", "links", "department", "contact", "active")


def entry_or_404(entry_id: int) -> FaqEntry:
    entry = db().scalar(select(FaqEntry).where(FaqEntry.id == entry_id, FaqEntry.municipality_id == current_municipality_id()))
    if entry is None:
        abort(404)
    return entry


def lines(value: str) -> list[str]:
    return [v.strip() for v in value.replace("\r", "").split("\n") if v.strip()]


def form_to_raw(form: Mapping[str, str], key: str) -> dict[str, Any]:
    links = []
    for line in lines(form.get("links", "")):
        label, _, url = line.partition("|")
        links.append({"label": label.strip(), "url": url.strip()})
    return {"id": key, "question": form.get("question", ""), "answer": form.get("answer", ""),
            "category": form.get("category", ""), "alt_questions": lines(form.get("alt_questions", "")),
            "keywords": [k.strip() for k in form.get("keywords", "").replace("、", ",").split(",") if k.strip()],
            "links": links, "department": form.get("department", ""), "contact": form.get("contact", ""),
            "active": form.get("active") == "1", **form_translations(form)}


def form_translations(form: Mapping[str, str]) -> dict[str, Any]:
    """The editor's translation fields (``tr_<language>_question`` / ``_answer``) as a pack entry's
    ``translations``; nothing when the form has none of them (an entry saved elsewhere keeps its own)."""
    if not any(k.startswith("tr_") for k in form):
        return {}
    found = {}
    for lang in i18n.LANGUAGES:
        answer, question = form.get(f"tr_{lang}_answer", "").strip(), form.get(f"tr_{lang}_question", "").strip()
        if answer or question:
            found[lang] = {"question": question, "answer": answer}
    return {"translations": found}


@blueprint.get("/faq")
@requires("view")
def faq_list() -> ResponseReturnValue:
    municipality_id, q, category, status = current_municipality_id(), request.args.get("q", "").strip(), request.args.get("category", ""), \
        request.args.get("status", "")
    query = select(FaqEntry).where(FaqEntry.municipality_id == municipality_id)
    if q:
        like = f"%{q}%"
        query = query.where(or_(FaqEntry.question.like(like), FaqEntry.answer.like(like), FaqEntry.key.like(like)))
    if category:
        query = query.where(FaqEntry.category == category)
    if status in ("active", "inactive"):
        query = query.where(FaqEntry.active.is_(status == "active"))
    asked = dict(db().execute(select(QuestionLog.top_entry_id, func.count(QuestionLog.id)).where(
        QuestionLog.municipality_id == municipality_id).group_by(QuestionLog.top_entry_id)).all())
    entries = db().scalars(query.order_by(FaqEntry.category, FaqEntry.id)).all()
    missing = request.args.get("missing", "")
    asked_abroad: dict[int, int] = {}
    if missing in i18n.LANGUAGES and missing != i18n.JA:
        # entries with no translation in that language, those residents asked about in other languages first
        asked_abroad = foreign_asked(municipality_id)
        entries = sorted((e for e in entries if missing not in (e.translations or {})),
                         key=lambda e: -asked_abroad.get(e.id, 0))
    elif request.args.get("sort") == "asked":
        entries = sorted(entries, key=lambda e: -asked.get(e.id, 0))
    categories = db().scalars(select(FaqEntry.category).where(FaqEntry.municipality_id == municipality_id).distinct()
                              .order_by(FaqEntry.category)).all()
    return render_template("admin/faq_list.html", entries=entries, categories=categories, asked=asked, q=q,
                           category=category, status=status, coverage=translation_coverage(municipality_id),
                           missing=missing, asked_abroad=asked_abroad, languages=i18n.LANGUAGES)


def translation_coverage(municipality_id: int) -> list[tuple[str, int, int]]:
    """(language, active entries with a translation in it, active entries) for every language but Japanese."""
    rows = db().scalars(select(FaqEntry.translations).where(FaqEntry.municipality_id == municipality_id,
                                                            FaqEntry.active.is_(True))).all()
    return [(lang, sum(1 for t in rows if t and lang in t), len(rows)) for lang in i18n.LANGUAGES if lang != i18n.JA]


def foreign_asked(municipality_id: int) -> dict[int, int]:
    """How often residents asking in another language reached each entry (answered, or chosen from もしかして)."""
    counts: dict[int, int] = {}
    for chosen, top, outcome in db().execute(
            select(QuestionLog.chosen_entry_id, QuestionLog.top_entry_id, QuestionLog.outcome).where(
                QuestionLog.municipality_id == municipality_id, QuestionLog.language.is_not(None))):
        entry_id = reached_entry(chosen, top, outcome)  # an untapped もしかして reached nothing
        if entry_id is not None:
            counts[entry_id] = counts.get(entry_id, 0) + 1
    return counts


@blueprint.route("/faq/new", methods=["GET", "POST"])
@blueprint.route("/faq/<int:entry_id>", methods=["GET", "POST"])
@requires("view")
def faq_edit(entry_id: int | None = None) -> ResponseReturnValue:
    from admin.auth import allowed, current_user

    entry = entry_or_404(entry_id) if entry_id else None
    errors: list[str] = []
    if request.method == "POST":
        if not allowed(current_user(), "faq"):
            abort(403)
        key = entry.key if entry else (request.form.get("key", "").strip() or f"faq-{secrets.token_hex(4)}")
        data = validate_entry(form_to_raw(request.form, key), "入力", errors)
        if entry is None and db().scalar(select(FaqEntry.id).where(FaqEntry.municipality_id == current_municipality_id(),
                                                                   FaqEntry.key == key)):
            errors.append(f"ID「{key}」はすでに使われています。")
        if data and not errors:
            before = entry.snapshot() if entry else None
            result, saved = save_entry(db(), current_municipality_id(), data, signed_in().username, entry)
            audit(f"faq_{result}", "faq_entry", saved.id, before, saved.snapshot())
            handled = close_inbox_items(request.form.get("from_inbox", ""))
            db().commit()
            flash("保存しました。ボットはすぐにこの内容で回答します。"
                  + (f"未回答の質問 {handled}件を対応済みにしました。" if handled else ""), "ok")
            warn_near_duplicates(saved)
            return redirect(url_for("admin.faq_edit", entry_id=saved.id))
    return render_template("admin/faq_edit.html", entry=entry, errors=errors, form=request.form,
                           languages=i18n.LANGUAGES)


def close_inbox_items(ids: str) -> int:
    """An edit made from an inbox item (👎 answers, ``from_inbox`` = their question ids) handles them."""
    logs = [log for log in logs_by_ids(db(), current_municipality_id(), ids) if not log.handled] if ids else []
    for log in logs:
        log.handled = True
    if logs:
        audit("questions_handled", "question_logs", ",".join(str(log.id) for log in logs[:20]))
    return len(logs)


def warn_near_duplicates(entry: FaqEntry) -> None:
    """After a save: say so when a question of this entry is near-identical to another entry's (faq/lint.py)."""
    tenant = tenant_of(current_municipality_slug())
    pairs = duplicates_of(db(), tenant.id, tenant.config, f"faq:{entry.key}",
                          [entry.question, *(entry.alt_questions or [])])
    for pair in pairs[:3]:
        flash(f"「{pair.first.text}」は、別の項目「{pair.second.question}」の「{pair.second.text}」とほぼ同じ質問です。"
              "このままでは同じ質問に両方が候補として並び、すぐには回答できません。"
              "どちらかの質問を変えるか、ひとつにまとめてください。", "warning")


@blueprint.get("/faq/<int:entry_id>/history")
@requires("view")
def faq_history(entry_id: int) -> ResponseReturnValue:
    entry = entry_or_404(entry_id)
    revisions = db().scalars(select(FaqRevision).where(FaqRevision.entry_id == entry.id)
                             .order_by(FaqRevision.revision.desc())).all()
    diffs = []
    for newer, older in zip(revisions, revisions[1:], strict=False):
        changed = [wording.change(f, older.content.get(f), newer.content.get(f)) for f in FIELDS
                   if older.content.get(f) != newer.content.get(f)]
        diffs.append((newer, changed))
    if revisions:
        diffs.append((revisions[-1], []))
    return render_template("admin/faq_history.html", entry=entry, diffs=diffs)


@blueprint.post("/faq/<int:entry_id>/revert/<int:revision>")
@requires("faq")
def faq_revert(entry_id: int, revision: int) -> ResponseReturnValue:

    entry = entry_or_404(entry_id)
    old = db().scalar(select(FaqRevision).where(FaqRevision.entry_id == entry.id, FaqRevision.revision == revision))
    if old is None:
        abort(404)
    before = entry.snapshot()
    save_entry(db(), current_municipality_id(), {**old.content, "id": entry.key}, signed_in().username, entry)
    audit("faq_revert", "faq_entry", entry.id, before, entry.snapshot())
    db().commit()
    flash(f"版{revision}の内容に戻しました（新しい版として保存）。", "ok")
    return redirect(url_for("admin.faq_history", entry_id=entry.id))


@blueprint.get("/faq/try")
@requires("view")
def faq_try() -> ResponseReturnValue:
    question = request.args.get("q", "").strip()[:1000]
    result = None
    if question:
        tenant = tenant_of(current_municipality_slug())
        matcher = runtime().matchers.get(db(), tenant.id, tenant.config)
        result = matcher.match(question)
    return render_template("admin/faq_try.html", question=question, result=result)


@blueprint.get("/faq/export.<fmt>")
@requires("view")
def faq_export(fmt: str) -> ResponseReturnValue:
    if fmt == "yaml":
        body, mime = export_pack(db(), current_municipality_id(), f"{current_municipality_slug()}-export"), "application/x-yaml; charset=utf-8"
    elif fmt == "csv":
        entries = db().scalars(select(FaqEntry).where(FaqEntry.municipality_id == current_municipality_id())
                               .order_by(FaqEntry.category, FaqEntry.key)).all()
        body, mime = to_csv([e.snapshot() for e in entries]), "text/csv; charset=utf-8"
    else:
        abort(404)
    return Response(body, content_type=mime, headers={"Content-Disposition": f"attachment; filename=faq.{fmt}"})


@blueprint.post("/faq/import")
@requires("faq")
def faq_import() -> ResponseReturnValue:
    """Validate the file now (errors at once, nothing changed), then import it as a job (faq/jobs.py): a small
    file is done within a few seconds and reads as before; a large one shows its progress page."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("ファイルを選んでください。", "error")
        return redirect(url_for("admin.faq_list"))
    data = upload.read()
    try:
        entries = parse_upload(data, upload.filename)
    except (PackError, UnicodeDecodeError) as exc:
        flash(f"取り込みませんでした：{exc}", "error")
        return redirect(url_for("admin.faq_list"))
    job = create_job(db(), current_municipality_id(), upload.filename, entries, signed_in().username)
    db().commit()
    if start_job(runtime().sessions, job.id).wait(current_app.config.get("IMPORT_WAIT_S", IMPORT_WAIT_S)):
        db().refresh(job)
        if job.status == "done" and job.report:
            flash(import_summary(job.report), "ok")
            return redirect(url_for("admin.faq_list"))
    return redirect(url_for("admin.faq_import_job", job_id=job.id))


IMPORT_WAIT_S = 5.0
JOB_STATUS = {"queued": "待機中", "running": "取り込み中", "done": "完了", "failed": "失敗"}


def import_summary(report: Mapping[str, int]) -> str:
    return f"取り込みました：新規 {report['created']}件、更新 {report['updated']}件、変更なし {report['unchanged']}件"


def job_or_404(job_id: int) -> ImportJob:
    job = db().scalar(select(ImportJob).where(ImportJob.id == job_id,
                                              ImportJob.municipality_id == current_municipality_id()))
    if job is None:
        abort(404)
    return job


@blueprint.get("/faq/import/<int:job_id>")
@requires("faq")
def faq_import_job(job_id: int) -> ResponseReturnValue:
    job = job_or_404(job_id)
    return render_template("admin/faq_import_job.html", job=job, labels=JOB_STATUS, stalled=stalled(job),
                           summary=import_summary(job.report) if job.report else "")


@blueprint.post("/faq/import/<int:job_id>/retry")
@requires("faq")
def faq_import_retry(job_id: int) -> ResponseReturnValue:
    """Run a job again whose process stopped (a restart, a crash): its file is still in the database."""
    job = job_or_404(job_id)
    if stalled(job):
        start_job(runtime().sessions, job.id)
        flash("取り込みをもう一度始めました。", "ok")
    return redirect(url_for("admin.faq_import_job", job_id=job.id))
