"""Telling a resident what became of their report: each status change staff make is pushed once, in the resident's
language, with a LINE retry key.

The event is saved ``pending`` with its key before the push (reports.service.change_status); :func:`push` sends it
after the caller committed and records the result. A push that failed (LINE away) or whose process died between
sending and recording is sent again by :func:`push_waiting` (the notices worker runs it) under the *same* key: LINE
answers 409 to a key it has accepted, which counts as delivered — the resident gets it once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core import i18n
from core.models import Follower
from core.timeutil import as_utc, utcnow
from line import messages as lm
from line.client import LineClient
from reports.models import Report, ReportCategory, ReportEvent
from reports.rounds import each_waiting_town

GIVE_UP_AFTER = timedelta(days=2)  # LINE keeps a retry key for 24 hours; after two days staff see it failed
RETRY_AFTER = timedelta(seconds=20)  # a pending push younger than this may still be in its request

STATUS_NAMES: dict[str, dict[str, str]] = {
    "ja": {"received": "受付", "in_progress": "対応中", "done": "対応完了", "rejected": "対応できません"},
    "ja-easy": {"received": "うけつけ", "in_progress": "なおしている ところ", "done": "おわりました",
                "rejected": "できません"},
    "en": {"received": "Received", "in_progress": "In progress", "done": "Done", "rejected": "Cannot be handled"},
    "zh-Hans": {"received": "已受理", "in_progress": "处理中", "done": "已处理完毕", "rejected": "无法处理"},
    "zh-Hant": {"received": "已受理", "in_progress": "處理中", "done": "已處理完畢", "rejected": "無法處理"},
    "ko": {"received": "접수", "in_progress": "처리 중", "done": "처리 완료", "rejected": "처리할 수 없음"},
    "vi": {"received": "Đã tiếp nhận", "in_progress": "Đang xử lý", "done": "Đã xử lý xong",
           "rejected": "Không thể xử lý"},
    "pt": {"received": "Recebido", "in_progress": "Em andamento", "done": "Concluído",
           "rejected": "Não pode ser atendido"},
    "tl": {"received": "Natanggap", "in_progress": "Inaasikaso", "done": "Tapos na", "rejected": "Hindi maaasikaso"},
    "ne": {"received": "प्राप्त भयो", "in_progress": "काम हुँदैछ", "done": "सम्पन्न", "rejected": "गर्न सकिँदैन"},
    "id": {"received": "Diterima", "in_progress": "Sedang ditangani", "done": "Selesai",
           "rejected": "Tidak dapat ditangani"},
}
HEADS = {
    "ja": "【通報 {receipt}】\n{category}の通報は「{status}」になりました。",
    "ja-easy": "【つうほう {receipt}】\n{category}の つうほうは「{status}」に なりました。",
    "en": "[Report {receipt}]\nYour report ({category}) is now: {status}.",
    "zh-Hans": "【报告 {receipt}】\n您的报告（{category}）状态：{status}。",
    "zh-Hant": "【通報 {receipt}】\n您的通報（{category}）狀態：{status}。",
    "ko": "【신고 {receipt}】\n신고하신 내용({category})의 상태: {status}",
    "vi": "[Báo cáo {receipt}]\nBáo cáo của bạn ({category}): {status}.",
    "pt": "[Relato {receipt}]\nSeu relato ({category}) agora está: {status}.",
    "tl": "[Ulat {receipt}]\nAng iyong ulat ({category}) ay: {status}.",
    "ne": "[उजुरी {receipt}]\nतपाईंको उजुरी ({category}) को अवस्था: {status}",
    "id": "[Laporan {receipt}]\nLaporan Anda ({category}) sekarang: {status}.",
}
NOTE_HEADS = {"ja": "市から：", "ja-easy": "市から：", "en": "From the city (in Japanese):",
              "zh-Hans": "市政府留言（日语）：", "zh-Hant": "市政府留言（日語）：", "ko": "시청에서 (일본어):",
              "vi": "Lời nhắn của thành phố (tiếng Nhật):", "pt": "Da prefeitura (em japonês):",
              "tl": "Mula sa lungsod (sa Japanese):", "ne": "नगरबाट (जापानीमा):", "id": "Dari kota (bahasa Jepang):"}


def status_name(status: str, language: str | None = None) -> str:
    code = i18n.best(language, STATUS_NAMES) or i18n.JA
    return STATUS_NAMES[code].get(status, status)


def category_name(category: ReportCategory | None, language: str | None) -> str:
    if category is None:
        return "—"
    code = i18n.best(language, category.names or {}) if language not in (None, i18n.JA) else None
    return (category.names or {}).get(code or "", "") or category.name


def messages_for(report: Report, category: ReportCategory | None, event: ReportEvent,
                 language: str | None) -> list[dict]:
    code = i18n.best(language, HEADS) or i18n.JA
    text = HEADS[code].format(receipt=report.receipt or "", category=category_name(category, code),
                              status=status_name(event.status, code))
    if event.message:
        text += f"\n\n{NOTE_HEADS[code]}\n{event.message}"
    return [lm.text(text)]


def push(session: Session, client: LineClient, event: ReportEvent) -> bool:
    """Send one pending (or failed) status push and record the outcome; the caller commits."""
    report = session.get(Report, event.report_id)
    follower = session.get(Follower, report.follower_id) if report and report.follower_id else None
    event.push_attempts += 1
    if report is None or follower is None or follower.status != "following":
        event.push, event.push_error = "unreachable", "友だち登録が解除されているため、お知らせできません。"
        return False
    category = session.get(ReportCategory, report.category_id) if report.category_id else None
    result = client.push(follower.line_user_id, messages_for(report, category, event, follower.language),
                         retry_key=event.retry_key)
    if result.delivered:
        event.push, event.push_error = "sent", ""
        return True
    event.push = "failed"
    event.push_error = f"LINEへの送信に失敗しました（{result.status or '接続できません'}）。{result.error}"[:300]
    return False


def push_waiting(session: Session, municipality_id: int, client: LineClient, limit: int = 50) -> int:
    """Push the municipality's pending pushes older than RETRY_AFTER and the failed ones younger than
    GIVE_UP_AFTER (one whose resident blocked the account is ``unreachable`` and not tried again). Returns how many were sent."""
    now = utcnow()
    rows = session.scalars(select(ReportEvent).where(
        ReportEvent.municipality_id == municipality_id, ReportEvent.push.in_(("pending", "failed")),
        ReportEvent.created_at >= now - GIVE_UP_AFTER).order_by(ReportEvent.id).limit(limit)
        .with_for_update(skip_locked=True)).all()
    sent = 0
    for event in rows:
        if event.push == "pending" and now - as_utc(event.created_at) < RETRY_AFTER:
            continue
        sent += push(session, client, event)
    return sent


def waiting_planner(sessions: sessionmaker[Session], client_for: Callable[[str], LineClient]) -> Callable[[], int]:
    """For the notices worker's ``planners``: one round of :func:`push_waiting` over every municipality with a
    push waiting (one query when there is none: the worker calls this every second)."""
    def plan() -> int:
        return each_waiting_town(
            sessions, select(ReportEvent.municipality_id).where(ReportEvent.push.in_(("pending", "failed"))),
            lambda session, municipality_id, slug: push_waiting(session, municipality_id, client_for(slug)),
            "report pushes")
    return plan
