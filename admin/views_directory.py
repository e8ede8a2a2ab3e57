"""Directory screens: shelter status (big buttons for tablets), procedures, facilities, imports with preview."""

from __future__ import annotations

import secrets
import time

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from admin.auth import audit, current_municipality_id, db, requires
from admin.blueprint import blueprint
from admin.uploads import TOKEN, sweep, upload_dir
from directory.csvfile import CsvError
from directory.importer import import_places
from directory.models import KINDS, Place, Procedure
from directory.places import STATUS_JA, set_status

KIND_JA = {"facilities": "公共施設", "shelters": "避難所", "aed": "AED", "childcare": "子育て施設", "hospitals": "医療機関",
           "events": "イベント"}


@blueprint.get("/shelters")
@requires("view")
def shelters() -> ResponseReturnValue:
    rows = db().scalars(select(Place).where(Place.municipality_id == current_municipality_id(), Place.kind == "shelters")
                        .order_by(Place.name)).all()
    counts = {s: sum(1 for r in rows if r.status == s) for s in STATUS_JA}
    return render_template("admin/shelters.html", rows=rows, counts=counts, labels=STATUS_JA)


@blueprint.post("/shelters/<int:place_id>/status")
@requires("shelters")
def shelter_set(place_id: int) -> ResponseReturnValue:
    place = db().scalar(select(Place).where(Place.id == place_id, Place.municipality_id == current_municipality_id(),
                                            Place.kind == "shelters"))
    if place is None:
        abort(404)
    before = place.status
    try:
        set_status(place, request.form.get("status", ""))
    except ValueError:
        abort(400)
    audit("shelter_status", "place", place.id, {"status": before}, {"status": place.status, "name": place.name})
    db().commit()
    flash(f"{place.name}を「{STATUS_JA[place.status]}」にしました。", "ok")
    return redirect(url_for("admin.shelters") + f"#shelter-{place.id}")


@blueprint.get("/directory")
@requires("view")
def directory_home() -> ResponseReturnValue:
    procedures = db().scalars(select(Procedure).where(Procedure.municipality_id == current_municipality_id())
                              .order_by(Procedure.category, Procedure.id)).all()
    kind = request.args.get("kind", "facilities")
    if kind not in KINDS:
        abort(404)
    places = db().scalars(select(Place).where(Place.municipality_id == current_municipality_id(), Place.kind == kind)
                          .order_by(Place.name).limit(500)).all()
    return render_template("admin/directory.html", procedures=procedures, places=places, kind=kind, kinds=KIND_JA)






@blueprint.post("/directory/import")
@requires("directory")
def directory_import() -> ResponseReturnValue:
    """Step 1 uploads and shows what would change (dry run); step 2 (token) imports the same bytes."""
    kind = request.form.get("kind", "")
    if kind not in KINDS:
        abort(400)
    token = request.form.get("token", "")
    sweep("*.csv", time.time())
    if token:
        if not TOKEN.fullmatch(token):
            abort(400)
        path = upload_dir() / f"{current_municipality_id()}-{token}.csv"
        if not path.exists():
            flash("アップロードの有効期限が切れました。もう一度選んでください。", "error")
            return redirect(url_for("admin.directory_home", kind=kind))
        data = path.read_bytes()
    else:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash("CSVファイルを選んでください。", "error")
            return redirect(url_for("admin.directory_home", kind=kind))
        data = upload.read()
    try:
        report = import_places(db(), current_municipality_id(), kind, data)
    except CsvError as exc:
        db().rollback()
        flash(f"取り込めません（何も変更していません）：{exc}", "error")
        return redirect(url_for("admin.directory_home", kind=kind))
    if token:
        audit("directory_import", "places", kind, None, {"created": report.created, "updated": report.updated})
        db().commit()
        path.unlink(missing_ok=True)
        flash("取り込みました：" + report.summary(), "ok")
        return redirect(url_for("admin.directory_home", kind=kind))
    db().rollback()  # preview only
    token = secrets.token_hex(12)
    (upload_dir() / f"{current_municipality_id()}-{token}.csv").write_bytes(data)
    return render_template("admin/directory_preview.html", report=report, kind=kind, token=token, kinds=KIND_JA)
