"""Residents' notice settings (配信設定) and asking for current notices, in chat.

Topics come from the municipality config; 防災 emergencies are always delivered, so the resident is
told so. ``topics = None`` means "every topic" (the default for a new follower).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot import messages as m
from bot.texts import label, t, words
from broadcasts.audience import Target, wants
from broadcasts.notices import current_notices
from core import i18n
from core.models import Follower
from core.tenancy import EMERGENCY_TOPIC, MunicipalityConfig
from core.timeutil import full_date
from line import messages as lm

SETTINGS_WORDS = words("settings")
NOTICE_WORDS = words("notices")
EMERGENCY_WORDS = words("emergency")


def summary(config: MunicipalityConfig, follower: Follower) -> str:
    topics = t("settings.all") if follower.topics is None else ("、".join(follower.topics) or t("settings.nothing"))
    district = follower.district or t("settings.no_district")
    return t("settings.summary", emergency=EMERGENCY_TOPIC, topics=topics, district=district)


def settings_reply(config: MunicipalityConfig, follower: Follower, note: str = "") -> list[dict[str, Any]]:
    chosen = set(config.topics if follower.topics is None else follower.topics)
    items = [lm.postback_item(("✓" if topic in chosen else "") + topic, lm.postback_data("topic", name=topic),
                             label("settings.toggle_display", topic=topic)) for topic in config.topics]
    if config.districts:
        items.append(lm.postback_item(label("settings.choose_district"), lm.postback_data("districts"),
                                      label("settings.choose_district")))
    items.append(lm.postback_item(label("settings.all_topics"), lm.postback_data("topic", name="*"),
                                  label("settings.all_topics")))
    return [lm.text((note + "\n\n" if note else "") + summary(config, follower), items)]


def toggle_topic(config: MunicipalityConfig, follower: Follower, topic: str) -> str:
    if topic == "*":
        follower.topics = None
        return t("settings.all_on")
    if topic not in config.topics:
        return t("settings.bad_topic")
    current = list(config.topics if follower.topics is None else follower.topics)
    if topic in current:
        current.remove(topic)
        note = t("settings.topic_off", topic=topic)
    else:
        current.append(topic)
        note = t("settings.topic_on", topic=topic)
    follower.topics = [name for name in config.topics if name in current]
    return note


def district_choices(config: MunicipalityConfig) -> list[dict[str, Any]]:
    items = [lm.postback_item(d, lm.postback_data("district", name=d), label("settings.district_display", district=d))
             for d in config.districts[:12]]
    items.append(lm.postback_item(label("settings.no_district_label"), lm.postback_data("district", name=""),
                                  label("settings.no_district_display")))
    return [lm.text(t("settings.district_question"), items)]


def set_district(config: MunicipalityConfig, follower: Follower, name: str) -> str:
    if name and name not in config.districts:
        return t("settings.bad_district")
    follower.district = name or None
    return t("settings.district_set", district=name) if name else t("settings.district_unset")


def notices_reply(session: Session, municipality_id: int, config: MunicipalityConfig,
                  emergency_only: bool, follower: Follower | None, part: int = 0) -> list[dict[str, Any]]:
    """The current notices meant for this resident: their district and topics, as delivery chose them
    (broadcasts.audience.wants); in a group, those meant for everyone. One screen at a time (``part``), with
    「続きを読む」 for the next."""
    topics, district = (follower.topics, follower.district) if follower is not None else (None, None)
    notices = [n for n in current_notices(session, municipality_id, emergency_only, limit=50)
               if wants(topics, district, Target.of(n))][:5]
    if not notices:
        return [lm.text(t("notices.none_emergency" if emergency_only else "notices.none"), m.category_menu(config))]
    full = notices_text(notices, t("notices.heading_emergency" if emergency_only else "notices.heading"))["text"]
    pages = m.screens(full)
    part = max(0, min(part, len(pages) - 1))
    if len(pages) == 1:
        return [lm.text(full)]
    shown = f"{pages[part]}\n\n（{part + 1}/{len(pages)}）"
    if part == len(pages) - 1:
        return [lm.text(shown)]
    more = lm.postback_item(label("answer.more"), lm.postback_data("notices", emergency=int(emergency_only),
                                                                   part=part + 1), label("answer.more"))
    return [lm.text(shown, [more])]


def notices_text(notices: list[Any], heading: str) -> dict[str, Any]:
    lines = []
    for notice in notices:
        mark = label("notices.emergency_mark") if notice.emergency else "・"
        when = full_date(notice.scheduled_at, japanese=i18n.current() in (i18n.JA, i18n.EASY))
        title, body = localized_notice(notice)
        lines.append(f"{mark}{title}（{when}）\n{lm.clip(body, 300)}")
    return lm.text(heading + "\n\n" + "\n\n".join(lines))


def localized_notice(notice: Any) -> tuple[str, str]:
    """A notice's title and body in the resident's language when it was written from a template that has that
    language (broadcasts.templates), else as staff wrote it."""
    found = getattr(notice, "translations", None) or {}
    code = i18n.best(i18n.current(), (k for k, v in found.items() if isinstance(v, dict)))
    if code is None:
        return notice.title, notice.body
    return found[code].get("title") or notice.title, found[code].get("body") or notice.body


def emergency_pointer() -> str:
    return t("notices.pointer")


def emergency_lead(session: Session, municipality_id: int, follower: Follower | None = None
                   ) -> list[dict[str, Any]]:
    """Active emergency notices, to put first in the welcome and, in disaster mode, before a fallback.

    Shown in full once per resident per emergency (``follower.emergency_seen_id``); after that a one-line
    pointer, so a resident asking about other things is not handed the whole text before every reply."""
    notices = current_notices(session, municipality_id, emergency_only=True, limit=3)
    if not notices:
        return []
    newest = max(n.id for n in notices)
    if follower is not None and (follower.emergency_seen_id or 0) >= newest:
        return [lm.text(emergency_pointer())]
    if follower is not None:
        follower.emergency_seen_id = newest
    return [notices_text(notices, t("notices.heading_current_emergency"))]
