"""Dashboard: followers, questions, outcome mix, feedback, top questions; every chart as CSV too."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta

from flask import Response, abort, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import admin.wording as wording
from admin.auth import current_municipality_id, db, requires
from admin.blueprint import blueprint
from admin.charts import bar_chart, line_chart
from admin.stats import (
    answered_share_daily,
    coverage,
    feedback_rate,
    followers_daily,
    outcome_mix,
    questions_daily,
    top_entries,
    top_questions,
)
from core.csvsafe import neutralise
from core.models import AuditLog, InboundEvent
from core.timeutil import utcnow


@blueprint.get("/")
@requires("view")
def dashboard() -> ResponseReturnValue:
    municipality_id = current_municipality_id()
    followers = followers_daily(db(), municipality_id)
    questions = questions_daily(db(), municipality_id)
    labels = [r[0] for r in questions]
    charts = {
        "followers": line_chart("登録者数（友だち数・直近30日）", [r[0] for r in followers], [r[3] for r in followers]),
        "answered": line_chart("すぐに回答できた割合（％）", labels, answered_share_daily(questions), unit="%"),
        "follows": bar_chart("友だち追加・ブロック", [r[0] for r in followers],
                             [("追加", [r[1] for r in followers]), ("ブロック", [r[2] for r in followers])]),
        "questions": bar_chart("質問数と対応結果", labels, [("回答", [r[1] for r in questions]),
                                                      ("候補提示", [r[2] for r in questions]),
                                                      ("回答できず", [r[3] for r in questions])]),
    }
    mix = outcome_mix(db(), municipality_id)
    up, down = feedback_rate(db(), municipality_id)
    entries, phrasings = coverage(db(), municipality_id)
    recent = sum(r[1] + r[2] + r[3] for r in questions)
    return render_template("admin/dashboard.html", charts=charts, mix=mix, total=sum(mix.values()), up=up, down=down,
                           top=top_entries(db(), municipality_id),
                           unanswered=top_questions(db(), municipality_id, unanswered=True),
                           followers_now=followers[-1][3] if followers else 0,
                           followers_growth=(followers[-1][3] - followers[0][3]) if followers else 0,
                           entries=entries, phrasings=phrasings,
                           answered_recent=round(100 * sum(r[1] for r in questions) / recent) if recent else None,
                           late_pushes=late_pushes(municipality_id))


def late_pushes(municipality_id: int) -> int:
    """Answers of the last 7 days sent by push because the reply token had expired (bot/inbound.py): each one
    counts against the month's message quota; under normal load none."""
    return int(db().scalar(select(func.count(InboundEvent.id)).where(
        InboundEvent.municipality_id == municipality_id, InboundEvent.reply_mode == "push",
        InboundEvent.received_at >= utcnow() - timedelta(days=7))) or 0)


CSV_SOURCES: dict[str, tuple[tuple[str, ...], Callable[[Session, int], Iterable[Sequence[object]]]]] = {
    "followers": (("日付", "友だち追加", "ブロック", "友だち数"), followers_daily),
    "questions": (("日付", "回答", "候補提示", "回答できず"), questions_daily),
    "top": (("FAQ", "質問数", "すぐに回答"), lambda s, t: top_entries(s, t, limit=100)),
    "unanswered": (("質問", "件数"), lambda s, t: top_questions(s, t, unanswered=True, limit=100)),
}


@blueprint.get("/dashboard/<name>.csv")
@requires("view")
def dashboard_csv(name: str) -> ResponseReturnValue:
    if name not in CSV_SOURCES:
        abort(404)
    header, source = CSV_SOURCES[name]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([neutralise(v) for v in row] for row in source(db(), current_municipality_id()))
    return Response("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={name}.csv"})


@blueprint.get("/audit")
@requires("admin")
def audit_log() -> ResponseReturnValue:
    rows = db().scalars(select(AuditLog).where(AuditLog.municipality_id == current_municipality_id())
                        .order_by(AuditLog.id.desc()).limit(200)).all()
    return render_template("admin/audit.html", rows=rows, wording=wording)
