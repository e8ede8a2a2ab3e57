"""通報 screens: the list with filters and a map of open reports, one report (photos, place, possible duplicates
nearby, history), status changes pushed to the resident once, division assignment, notes, CSV export and the
categories. Viewers read; editors and admins work the reports; admins edit the categories."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from admin.auth import audit, current_municipality_id, current_municipality_slug, current_user, db, requires
from admin.blueprint import blueprint
from admin.runtime import runtime, tenant_of
from core.csvsafe import neutralise as safe_cell
from core.inputs import whole_number
from core.timeutil import local, local_str, parse_local, utcnow
from reports import notify
from reports import service as reports
from reports.models import STATUSES, Report, ReportCategory, ReportEvent, ReportPhoto

STATUS_JA = {"received": "受付", "in_progress": "対応中", "done": "完了", "rejected": "対応できません"}
PUSH_JA = {"none": "", "pending": "送信待ち", "sent": "送信済み", "failed": "送信失敗", "unreachable": "届けられません"}
KIND_JA = {"submitted": "受付", "status": "状態の変更", "assign": "担当課の変更", "note": "メモ"}
TILES = "https://cyberjapandata.gsi.go.jp"


def report_or_404(report_id: int) -> Report:
    report = reports.get(db(), current_municipality_id(), report_id)
    if report is None or report.status not in STATUSES:
        abort(404)
    return report


def _filters() -> reports.Filters:
    def day(name: str) -> datetime | None:
        value = request.args.get(name, "").strip()
        if not value:
            return None
        try:
            return parse_local(value)
        except ValueError:
            flash(f"日付は 2026-12-05 の形で入れてください（{value[:20]}）。", "error")
            return None
    until = day("until")
    return reports.Filters(status=request.args.get("status", "open"), category_id=whole_number(
        request.args.get("category", "")), district=request.args.get("district", "").strip()[:60],
        since=day("since"), until=until + timedelta(days=1) if until else None)


def script_json(value: Any) -> str:
    """JSON for a <script type="application/json"> block: ``<`` escaped, so no text can close the block."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")


def pushes_this_month(municipality_id: int) -> int:
    now = local(utcnow())
    assert now is not None
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return int(db().scalar(select(func.count()).select_from(ReportEvent).where(
        ReportEvent.municipality_id == municipality_id, ReportEvent.push == "sent",
        ReportEvent.created_at >= start)) or 0)


def _map_links(report: Report) -> dict[str, str]:
    if report.lat is None or report.lon is None:
        return {}
    return {"地理院地図": f"https://maps.gsi.go.jp/#17/{report.lat:.6f}/{report.lon:.6f}/",
            "OpenStreetMap": f"https://www.openstreetmap.org/?mlat={report.lat:.6f}&mlon={report.lon:.6f}#map=18/"
                             f"{report.lat:.6f}/{report.lon:.6f}"}


def _with_tiles(response: Response) -> Response:
    """The map pages may draw 地理院タイル (when MACHIMADO_MAP_TILES is on); nothing else from outside."""
    if runtime().settings.map_tiles:
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; img-src 'self' data: {TILES}; style-src 'self'; script-src 'self'")
    return response


@blueprint.get("/reports")
@requires("view")
def reports_home() -> ResponseReturnValue:
    mid = current_municipality_id()
    filters = _filters()
    rows = reports.listing(db(), mid, filters)
    cats = {c.id: c for c in reports.categories(db(), mid, active_only=False)}
    photo_counts = dict(db().execute(select(ReportPhoto.report_id, func.count()).where(
        ReportPhoto.report_id.in_([r.id for r in rows])).group_by(ReportPhoto.report_id)).all()) if rows else {}
    points = [{"id": r.id, "lat": r.lat, "lon": r.lon, "receipt": r.receipt, "status": STATUS_JA.get(r.status, ""),
               "category": cats[r.category_id].name if r.category_id in cats else "",
               "url": url_for("admin.report_detail", report_id=r.id)}
              for r in rows if r.lat is not None and r.lon is not None and r.status in ("received", "in_progress")]
    html = render_template("admin/reports.html", rows=rows, cats=cats, filters=filters, status_ja=STATUS_JA,
                           counts=reports.counts(db(), mid), photo_counts=photo_counts,
                           districts=tenant_of(current_municipality_slug()).config.districts,
                           points=script_json(points), tiles=runtime().settings.map_tiles,
                           pushes=pushes_this_month(mid), links=_map_links, args=request.args)
    return _with_tiles(Response(html))


@blueprint.get("/reports/<int:report_id>")
@requires("view")
def report_detail(report_id: int) -> ResponseReturnValue:
    report = report_or_404(report_id)
    mid = current_municipality_id()
    category = reports.category(db(), mid, report.category_id)
    photos = [p for p in reports.photos_of(db(), report)]
    point = {"lat": report.lat, "lon": report.lon, "receipt": report.receipt} if report.lat is not None else None
    html = render_template("admin/report.html", r=report, category=category, photos=photos,
                           nearby=reports.nearby(db(), report), history=reports.history(db(), report),
                           status_ja=STATUS_JA, push_ja=PUSH_JA, kind_ja=KIND_JA,
                           next_statuses=reports.TRANSITIONS.get(report.status, ()),
                           categories=reports.categories(db(), mid, active_only=False),
                           districts=tenant_of(current_municipality_slug()).config.districts,
                           links=_map_links(report), point=script_json(point), tiles=runtime().settings.map_tiles,
                           pushes=pushes_this_month(mid))
    return _with_tiles(Response(html))


@blueprint.get("/reports/<int:report_id>/photos/<int:photo_id>")
@requires("view")
def report_photo(report_id: int, photo_id: int) -> ResponseReturnValue:
    report = report_or_404(report_id)
    photo = db().scalar(select(ReportPhoto).where(ReportPhoto.id == photo_id, ReportPhoto.report_id == report.id))
    if photo is None or photo.state != "stored":
        abort(404)
    key = photo.thumb_key if request.args.get("size") == "thumb" else photo.key
    data = runtime().photo_store.get(current_municipality_id(), key)
    if data is None:
        abort(404)
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _signed_name() -> str:
    user = current_user()
    assert user is not None
    return user.display_name or user.username


@blueprint.post("/reports/<int:report_id>/status")
@requires("reports")
def report_status(report_id: int) -> ResponseReturnValue:
    """The change and its push are committed before the push is sent; the push's result after (reports.notify)."""
    report = report_or_404(report_id)
    status, message = request.form.get("status", ""), request.form.get("message", "")
    before = report.status
    try:
        event = reports.change_status(db(), report, status, _signed_name(), message, request.form.get("note", ""))
    except reports.ReportError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.report_detail", report_id=report.id))
    audit("report.status", "report", report.id, {"status": before}, {"status": status})
    db().commit()
    if event.push == "pending":
        sent = notify.push(db(), runtime().line_client(current_municipality_slug()), event)
        db().commit()
        flash(f"「{STATUS_JA[status]}」にしました。" + ("住民にLINEでお知らせしました。" if sent else
              f"住民へのお知らせは送れませんでした（{event.push_error}）。自動で再送します。"), "ok" if sent else "error")
    else:
        flash(f"「{STATUS_JA[status]}」にしました（住民にはお知らせできません）。", "ok")
    return redirect(url_for("admin.report_detail", report_id=report.id))


@blueprint.post("/reports/<int:report_id>/push/<int:event_id>")
@requires("reports")
def report_push_again(report_id: int, event_id: int) -> ResponseReturnValue:
    report = report_or_404(report_id)
    event = db().scalar(select(ReportEvent).where(ReportEvent.id == event_id, ReportEvent.report_id == report.id))
    if event is None or event.push not in ("pending", "failed"):
        abort(404)
    sent = notify.push(db(), runtime().line_client(current_municipality_slug()), event)  # same retry key: once
    db().commit()
    flash("再送しました。" if sent else f"送れませんでした（{event.push_error}）。", "ok" if sent else "error")
    return redirect(url_for("admin.report_detail", report_id=report.id))


@blueprint.post("/reports/<int:report_id>/assign")
@requires("reports")
def report_assign(report_id: int) -> ResponseReturnValue:
    report = report_or_404(report_id)
    before = {"division": report.division, "district": report.district, "category_id": report.category_id}
    chosen = reports.category(db(), current_municipality_id(), whole_number(request.form.get("category", "")))
    if chosen is not None:
        report.category_id = chosen.id
    district = request.form.get("district", "").strip()
    if district in tenant_of(current_municipality_slug()).config.districts or district == "":
        report.district = district
    reports.assign(db(), report, request.form.get("division", report.division), _signed_name())
    audit("report.assign", "report", report.id, before,
          {"division": report.division, "district": report.district, "category_id": report.category_id})
    db().commit()
    flash("担当を変えました。", "ok")
    return redirect(url_for("admin.report_detail", report_id=report.id))


@blueprint.post("/reports/<int:report_id>/note")
@requires("reports")
def report_note(report_id: int) -> ResponseReturnValue:
    report = report_or_404(report_id)
    note = request.form.get("note", "").strip()
    if note:
        reports.add_note(db(), report, note, _signed_name())
        audit("report.note", "report", report.id)
        db().commit()
        flash("メモを残しました。", "ok")
    return redirect(url_for("admin.report_detail", report_id=report.id))


@blueprint.post("/reports/<int:report_id>/publish")
@requires("reports")
def report_publish(report_id: int) -> ResponseReturnValue:
    """Whether the resident's comment is shown in the open data (Open311 ``description``): staff read it first."""
    report = report_or_404(report_id)
    report.comment_public = request.form.get("public") == "1"
    audit("report.publish", "report", report.id, None, {"comment_public": report.comment_public})
    db().commit()
    flash("コメントをオープンデータに公開します。" if report.comment_public else "コメントを非公開にしました。", "ok")
    return redirect(url_for("admin.report_detail", report_id=report.id))


CSV_COLUMNS = ["受付番号", "受付日時", "状態", "種類", "担当課", "地区", "緯度", "経度", "場所", "コメント", "写真枚数",
               "区域外の可能性", "更新日時"]


@blueprint.get("/reports.csv")
@requires("view")
def reports_csv() -> ResponseReturnValue:
    """The filtered list for a spreadsheet (UTF-8 with BOM; cells made formula-safe). Residents' LINE ids never."""
    mid = current_municipality_id()
    rows = reports.listing(db(), mid, _filters(), limit=100_000)
    cats = {c.id: c.name for c in reports.categories(db(), mid, active_only=False)}
    counts = dict(db().execute(select(ReportPhoto.report_id, func.count()).where(
        ReportPhoto.municipality_id == mid).group_by(ReportPhoto.report_id)).all())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow([safe_cell(v) for v in (
            r.receipt, local_str(r.submitted_at), STATUS_JA.get(r.status, r.status), cats.get(r.category_id or 0, ""),
            r.division, r.district, "" if r.lat is None else f"{r.lat:.6f}", "" if r.lon is None else f"{r.lon:.6f}",
            r.address, r.comment, counts.get(r.id, 0), "はい" if r.outside else "", local_str(r.updated_at))])
    audit("report.export", "report", "", None, {"rows": len(rows)})
    db().commit()
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=reports.csv"})


@blueprint.route("/reports/categories", methods=["GET", "POST"])
@requires("admin")
def report_categories() -> ResponseReturnValue:
    mid = current_municipality_id()
    cats = reports.categories(db(), mid, active_only=False)
    if request.method == "POST":
        changed: list[dict[str, Any]] = []
        for c in cats:
            name = request.form.get(f"name-{c.id}", c.name).strip()[:60]
            if not name:
                flash("種類の名前は空にできません。", "error")
                return redirect(url_for("admin.report_categories"))
            values = {"name": name, "division": request.form.get(f"division-{c.id}", c.division).strip()[:80],
                      "phone": request.form.get(f"phone-{c.id}", c.phone).strip()[:40],
                      "active": request.form.get(f"active-{c.id}") == "1",
                      "keywords": [k.strip()[:20] for k in request.form.get(f"keywords-{c.id}", "").split("、")
                                   if k.strip()][:30]}
            if any(getattr(c, k) != v for k, v in values.items()):
                changed.append({"id": c.id, **values})
                for k, v in values.items():
                    setattr(c, k, v)
        new_name = request.form.get("new-name", "").strip()[:60]
        if new_name:
            code = f"c{len(cats) + 1}"
            while any(c.code == code for c in cats):
                code += "x"
            db().add(ReportCategory(municipality_id=mid, code=code, name=new_name, position=len(cats),
                                    division=request.form.get("new-division", "").strip()[:80]))
            changed.append({"new": new_name})
        if changed:
            audit("report.categories", "report_category", "", None, {"changed": changed})
        db().commit()
        flash("通報の種類を保存しました。", "ok")
        return redirect(url_for("admin.report_categories"))
    return render_template("admin/report_categories.html", cats=cats)
