"""Composing notices: validation, the exact LINE messages, audience preview, cancel, current notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcasts.audience import Target, follower_count, recipients
from broadcasts.delivery import by_language
from broadcasts.models import Notice, NoticeBatch
from broadcasts.templates import heads
from core.tenancy import EMERGENCY_TOPIC, MunicipalityConfig
from core.timeutil import as_utc, utcnow
from line import messages as m

MAX_BODY = 4000
SEVERITIES = ("emergency", "normal")


class NoticeError(ValueError):
    """The notice cannot be saved as given; the message says why (shown to staff)."""


@dataclass(frozen=True)
class Preview:
    messages: list[dict[str, Any]]
    audience: int
    followers: int
    method: str  # broadcast | multicast | by_language


def render(config: MunicipalityConfig, title: str, body: str, severity: str,
           links: list[dict[str, str]] | None = None, location: dict[str, Any] | None = None,
           lang: str = "ja") -> list[dict[str, Any]]:
    """The LINE messages residents will see (1–3 messages: text, link buttons, location), in ``lang``."""
    words = heads().get(lang) or heads()["ja"]
    head = words["emergency"] if severity == "emergency" else words["notice"]
    messages = [m.text(f"{head}{title}\n\n{body}\n\n{config.name}")]
    if links:
        messages.append(m.link_buttons(words["links"], title,
                                        [{**link, "url": config.fill(link["url"])} for link in links]))
    if location:
        messages.append({"type": "location", "title": m.clip(str(location.get("title") or title), 100),
                         "address": m.clip(str(location.get("address") or config.name), 100),
                         "latitude": float(location["latitude"]), "longitude": float(location["longitude"])})
    return messages


def _checked(config: MunicipalityConfig, title: str, body: str, category: str, severity: str,
             districts: list[str] | None, location: dict[str, Any] | None, scheduled_at: datetime | None,
             expires_at: datetime | None) -> tuple[str, str, datetime | None, datetime | None]:
    """Validate a notice's fields (NoticeError says what is wrong, in staff's words)."""
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise NoticeError("件名と本文を入力してください。")
    if len(body) > MAX_BODY or len(title) > 100:
        raise NoticeError(f"件名は100文字、本文は{MAX_BODY}文字までです。")
    if severity not in SEVERITIES:
        raise NoticeError(f"severity must be one of {', '.join(SEVERITIES)}")
    if category not in (EMERGENCY_TOPIC, *config.topics):
        raise NoticeError(f"分野「{category}」は設定されていません（{EMERGENCY_TOPIC}, {', '.join(config.topics)}）。")
    unknown = sorted(set(districts or ()) - set(config.districts))
    if unknown:
        raise NoticeError(f"地区「{'、'.join(unknown)}」は設定されていません。")
    scheduled_at = as_utc(scheduled_at) if scheduled_at else None
    expires_at = as_utc(expires_at) if expires_at else None
    if expires_at and expires_at <= (scheduled_at or utcnow()):
        raise NoticeError("掲載期限は配信日時より後にしてください。")
    if location is not None and not (-90 <= float(location.get("latitude", 999)) <= 90
                                     and -180 <= float(location.get("longitude", 999)) <= 180):
        raise NoticeError("位置情報の緯度・経度が正しくありません。")
    return title, body, scheduled_at, expires_at


def create_notice(session: Session, municipality_id: int, config: MunicipalityConfig, *, title: str, body: str,
                  category: str, severity: str = "normal", districts: list[str] | None = None,
                  links: list[dict[str, str]] | None = None, location: dict[str, Any] | None = None,
                  scheduled_at: datetime | None = None, expires_at: datetime | None = None,
                  created_by: str = "", draft: bool = False,
                  translations: dict[str, dict[str, str]] | None = None) -> Notice:
    """``translations``: language -> {title, body} (from a template); residents who chose one of these languages
    receive it instead of the Japanese."""
    title, body, scheduled_at, expires_at = _checked(config, title, body, category, severity, districts, location,
                                                     scheduled_at, expires_at)
    notice = Notice(municipality_id=municipality_id, title=title, body=body, category=category,
                    severity=severity, target={"districts": list(districts or [])}, links=list(links or []),
                    location=location, messages=render(config, title, body, severity, links, location),
                    status="draft" if draft else "scheduled",
                    scheduled_at=scheduled_at or utcnow(), expires_at=expires_at, created_by=created_by,
                    translations=rendered_translations(config, translations, severity, links, location))
    session.add(notice)
    session.flush()
    return notice


def rendered_translations(config: MunicipalityConfig, translations: dict[str, dict[str, str]] | None, severity: str,
                          links: list[dict[str, str]] | None, location: dict[str, Any] | None
                          ) -> dict[str, dict[str, Any]] | None:
    if not translations:
        return None
    return {lang: {"title": t["title"], "body": t["body"],
                   "messages": render(config, t["title"], t["body"], severity, links, location, lang)}
            for lang, t in translations.items() if t.get("title") and t.get("body")} or None


def update_draft(notice: Notice, config: MunicipalityConfig, *, title: str, body: str, category: str,
                 severity: str = "normal", districts: list[str] | None = None,
                 links: list[dict[str, str]] | None = None, scheduled_at: datetime | None = None,
                 expires_at: datetime | None = None) -> None:
    """Change a draft (nothing has been sent); its LINE messages are rendered again."""
    if notice.status != "draft":
        raise NoticeError("送信の手続きが済んだお知らせは直せません。取り消してから作り直してください。")
    title, body, scheduled_at, expires_at = _checked(config, title, body, category, severity, districts,
                                                     notice.location, scheduled_at, expires_at)
    if notice.translations and (title, body) != (notice.title, notice.body):
        notice.translations = None  # staff changed the Japanese: the template's translations no longer say the same
    elif notice.translations:
        notice.translations = rendered_translations(config, {k: {"title": v["title"], "body": v["body"]}
                                                             for k, v in notice.translations.items()},
                                                    severity, links, notice.location)
    notice.title, notice.body, notice.category, notice.severity = title, body, category, severity
    notice.target, notice.links = {"districts": list(districts or [])}, list(links or [])
    notice.messages = render(config, title, body, severity, links, notice.location)
    notice.scheduled_at, notice.expires_at = scheduled_at or utcnow(), expires_at


def preview(session: Session, municipality_id: int, notice: Notice) -> Preview:
    audience = recipients(session, municipality_id, Target.of(notice))
    followers = follower_count(session, municipality_id)
    method = "broadcast" if audience and len(audience) == followers else "multicast"
    if set(by_language(session, notice, audience)) - {None}:
        method = "by_language"  # as delivery plans it: one list per language, each in its own
    return Preview(notice.messages, len(audience), followers, method)


def get_notice(session: Session, municipality_id: int, notice_id: int) -> Notice | None:
    return session.scalar(select(Notice).where(Notice.id == notice_id, Notice.municipality_id == municipality_id))


def cancel(session: Session, notice: Notice) -> bool:
    """Cancel a notice none of whose batches has started; False when it is too late."""
    if notice.status in ("draft", "scheduled"):
        notice.status = "cancelled"
        return True
    if notice.status == "sending":
        batches = session.scalars(select(NoticeBatch).where(NoticeBatch.notice_id == notice.id)).all()
        if all(b.status == "pending" and b.attempts == 0 for b in batches):
            for batch in batches:
                batch.status = "cancelled"
            notice.status = "cancelled"
            return True
    return False


def current_notices(session: Session, municipality_id: int, emergency_only: bool = False,
                    limit: int = 5) -> list[Notice]:
    """Sent notices that have not expired, newest first (what residents ask for in chat)."""
    now = utcnow()
    query = (select(Notice).where(Notice.municipality_id == municipality_id,
                                  Notice.status.in_(("sending", "sent", "partially_failed")))
             .order_by(Notice.scheduled_at.desc()).limit(50))
    if emergency_only:
        query = query.where(Notice.severity == "emergency")
    return [n for n in session.scalars(query) if n.expires_at is None or as_utc(n.expires_at) > now][:limit]
