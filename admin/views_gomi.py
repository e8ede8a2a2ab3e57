"""ごみ screens: the calendar (import with a preview of every problem cell, month view per area), the sorting
dictionary (search, edit, CSV), import history and reminders (subscribers and the month's message count before
switching them on)."""

from __future__ import annotations

import calendar as month_calendar
import csv
import io
import re
import secrets
import time
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, or_, select

from admin.auth import audit, current_municipality_id, current_user, db, requires
from admin.blueprint import blueprint
from admin.uploads import TOKEN, sweep, upload_dir
from core.csvsafe import neutralise as safe_cell
from core.inputs import whole_number
from core.models import Follower
from core.timeutil import local, utcnow
from gomi.calendar import load
from gomi.importer import PAUSE_MODES, import_dataset
from gomi.models import GomiCalendar, GomiImport, GomiItem, GomiResident
from gomi.reader import FILES, MAX_FILE_BYTES, DatasetError, read
from gomi.reminders import monthly_estimate

PAUSE_JA = {"skip": "休止期間は収集しない（多くの市町村）", "shift": "休止期間の週を1週ずらす（金沢市の方式）"}
TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")




def _today() -> date:
    now = local(utcnow())
    assert now is not None
    return now.date()


@blueprint.get("/gomi")
@requires("view")
def gomi_home() -> ResponseReturnValue:
    mid = current_municipality_id()
    settings = db().get(GomiCalendar, mid)
    cal = load(db(), mid)
    history = db().scalars(select(GomiImport).where(GomiImport.municipality_id == mid)
                           .order_by(GomiImport.id.desc()).limit(10)).all()
    per_area: Counter[str] = Counter()
    for area, chosen in db().execute(
            select(GomiResident.area, GomiResident.reminder_types).join(Follower, Follower.id == GomiResident.follower_id)
            .where(GomiResident.municipality_id == mid, Follower.status == "following")):
        if chosen:  # (a JSON list: compared here, not in SQL, the same on SQLite and PostgreSQL)
            per_area[area] += 1
    subscribers = per_area.most_common()
    residents = db().scalar(select(func.count(GomiResident.id)).where(GomiResident.municipality_id == mid)) or 0
    today = _today()
    estimate = monthly_estimate(db(), cal, today.year, today.month) if cal else 0
    return render_template("admin/gomi.html", settings=settings, cal=cal, history=history, subscribers=subscribers,
                           residents=residents, estimate=estimate, pause_ja=PAUSE_JA, today=today)


def _zip_of_uploads() -> bytes | None:
    """The upload as zip bytes: a zip as is, or the CSV files chosen one by one packed into one."""
    uploads = [f for f in request.files.getlist("files") if f and f.filename]
    if not uploads:
        return None
    if len(uploads) == 1 and uploads[0].filename and uploads[0].filename.lower().endswith(".zip"):
        return uploads[0].read(MAX_FILE_BYTES * 3 + 1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for upload in uploads:
            name = Path(upload.filename or "").name
            if name in FILES:
                archive.writestr(name, upload.read(MAX_FILE_BYTES + 1))
    return buffer.getvalue()


@blueprint.post("/gomi/import")
@requires("directory")
def gomi_import() -> ResponseReturnValue:
    """Step 1 reads the upload and lists every problem cell (nothing saved); step 2 (token) imports the same bytes,
    replacing the calendar in one transaction."""
    mid = current_municipality_id()
    sweep("gomi-*.zip", time.time())
    token = request.form.get("token", "")
    if token:
        if not TOKEN.fullmatch(token):
            abort(400)
        path = upload_dir() / f"gomi-{mid}-{token}.zip"
        if not path.exists():
            flash("アップロードの有効期限が切れました。もう一度選んでください。", "error")
            return redirect(url_for("admin.gomi_home"))
        data = path.read_bytes()
    else:
        uploaded = _zip_of_uploads()
        if not uploaded:
            flash("5374形式のzipファイル、またはCSVファイル（area_days.csv など）を選んでください。", "error")
            return redirect(url_for("admin.gomi_home"))
        data = uploaded
    try:
        dataset = read(data)
    except DatasetError as exc:
        flash(f"取り込めません（何も変更していません）：{exc}", "error")
        return redirect(url_for("admin.gomi_home"))
    if not token:
        token = secrets.token_hex(12)
        (upload_dir() / f"gomi-{mid}-{token}.zip").write_bytes(data)
        return render_template("admin/gomi_preview.html", data=dataset, token=token,
                               source=request.form.get("source", "")[:200])
    mode = request.form.get("pause_mode") or None
    record = import_dataset(db(), mid, dataset, source=request.form.get("source", "")[:200] or "console upload",
                            username=_username(), pause_mode=mode if mode in PAUSE_MODES else None)
    audit("gomi_import", "gomi_calendar", mid, None, {**record.counts, "import": record.id})
    db().commit()
    path.unlink(missing_ok=True)
    flash(f"収集カレンダーを取り込みました（地区 {record.counts['areas']}、種類 {record.counts['types']}、"
          f"品目 {record.counts['items']}、問題のあるセル {record.counts['problems']}）。", "ok")
    return redirect(url_for("admin.gomi_home"))


def _username() -> str:
    user = current_user()
    return user.username if user is not None else ""


@blueprint.get("/gomi/import/<int:import_id>")
@requires("view")
def gomi_import_show(import_id: int) -> ResponseReturnValue:
    record = db().scalar(select(GomiImport).where(GomiImport.id == import_id,
                                                  GomiImport.municipality_id == current_municipality_id()))
    if record is None:
        abort(404)
    return render_template("admin/gomi_import.html", record=record)


@blueprint.post("/gomi/settings")
@requires("directory")
def gomi_settings() -> ResponseReturnValue:
    mid = current_municipality_id()
    settings = db().get(GomiCalendar, mid)
    if settings is None:
        abort(404)
    before = {"pause_mode": settings.pause_mode, "evening_at": settings.evening_at, "morning_at": settings.morning_at,
              "reminders_enabled": settings.reminders_enabled}
    evening, morning = request.form.get("evening_at", settings.evening_at), request.form.get("morning_at",
                                                                                             settings.morning_at)
    if not TIME.fullmatch(evening) or not TIME.fullmatch(morning):
        flash("時刻は 19:00 のように24時間制で入力してください。", "error")
        return redirect(url_for("admin.gomi_home"))
    mode = request.form.get("pause_mode", settings.pause_mode)
    if mode not in PAUSE_MODES:
        abort(400)
    settings.pause_mode, settings.evening_at, settings.morning_at = mode, evening, morning
    settings.reminders_enabled = request.form.get("reminders_enabled") == "1"
    after = {"pause_mode": mode, "evening_at": evening, "morning_at": morning,
             "reminders_enabled": settings.reminders_enabled}
    audit("gomi_settings", "gomi_calendar", mid, before, after)
    db().commit()
    flash("ごみの設定を保存しました。" + ("通知を配信します。" if settings.reminders_enabled else "通知は止まっています。"), "ok")
    return redirect(url_for("admin.gomi_home"))


@blueprint.get("/gomi/calendar")
@requires("view")
def gomi_calendar() -> ResponseReturnValue:
    cal = load(db(), current_municipality_id())
    if cal is None:
        flash("まだ収集カレンダーが取り込まれていません。", "error")
        return redirect(url_for("admin.gomi_home"))
    today = _today()
    area = cal.area(request.args.get("area", "")) or next(iter(cal.areas.values()), None)
    if area is None:
        flash("地区がありません。", "error")
        return redirect(url_for("admin.gomi_home"))
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", request.args.get("month", ""))
    year, month = (int(match[1]), int(match[2])) if match and 1 <= int(match[2]) <= 12 and 2000 <= int(match[1]) <= 2100 \
        else (today.year, today.month)
    by_day = cal.month(area, year, month)
    weeks = month_calendar.Calendar(firstweekday=6).monthdatescalendar(year, month)
    prev_m = (year - 1, 12) if month == 1 else (year, month - 1)
    next_m = (year + 1, 1) if month == 12 else (year, month + 1)
    colours = {t.label: t.colour for t in cal.types}
    return render_template("admin/gomi_calendar.html", cal=cal, area=area, year=year, month=month, weeks=weeks,
                           by_day=by_day, today=today, prev_m=prev_m, next_m=next_m, colours=colours,
                           paused=lambda d: cal.paused(area, d) is not None)


@blueprint.get("/gomi/items")
@requires("view")
def gomi_items() -> ResponseReturnValue:
    mid = current_municipality_id()
    q = request.args.get("q", "").strip()[:100]
    query = select(GomiItem).where(GomiItem.municipality_id == mid)
    if q:
        like = f"%{q}%"
        query = query.where(or_(GomiItem.name.like(like), GomiItem.reading.like(like), GomiItem.type_label.like(like)))
    rows = db().scalars(query.order_by(GomiItem.id).limit(200)).all()
    total = db().scalar(select(func.count(GomiItem.id)).where(GomiItem.municipality_id == mid)) or 0
    cal = load(db(), mid)
    return render_template("admin/gomi_items.html", rows=rows, q=q, total=total,
                           labels=cal.labels if cal else [])


@blueprint.post("/gomi/items/<item_id>")
@requires("faq")
def gomi_item_save(item_id: str) -> ResponseReturnValue:
    number = whole_number(item_id)
    item = db().scalar(select(GomiItem).where(GomiItem.id == number, GomiItem.municipality_id ==
                                              current_municipality_id())) if number is not None else None
    if item is None:
        abort(404)
    before = {"type_label": item.type_label, "notice": item.notice}
    label = request.form.get("type_label", "").strip()[:120]
    if not label:
        abort(400)
    item.type_label, item.notice = label, request.form.get("notice", "").strip()[:2000]
    audit("gomi_item", "gomi_item", item.id, before, {"type_label": item.type_label, "notice": item.notice,
                                                      "name": item.name})
    # the bot's dictionary is rebuilt when the calendar's version changes
    settings = db().get(GomiCalendar, item.municipality_id)
    if settings is not None:
        settings.imported_at = utcnow()
    db().commit()
    flash(f"「{item.name}」を保存しました。", "ok")
    return redirect(url_for("admin.gomi_items", q=request.form.get("q", "")))


@blueprint.get("/gomi/items.csv")
@requires("view")
def gomi_items_csv() -> ResponseReturnValue:
    """The dictionary in 5374's target.csv columns (UTF-8 with BOM for Excel; cells made formula-safe)."""
    rows = db().scalars(select(GomiItem).where(GomiItem.municipality_id == current_municipality_id())
                        .order_by(GomiItem.id)).all()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["type", "name", "notice", "furigana"])
    for item in rows:
        writer.writerow([safe_cell(item.type_label), safe_cell(item.name), safe_cell(item.notice),
                         (item.reading or "")[:1]])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=target.csv"})
