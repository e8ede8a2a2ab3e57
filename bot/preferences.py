"""Residents' notice settings (配信設定) and asking for current notices, in chat.

Topics come from the municipality config; 防災 emergencies are always delivered, so the resident is
told so. ``topics = None`` means "every topic" (the default for a new follower).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot import messages as m
from broadcasts.audience import Target, wants
from broadcasts.notices import current_notices
from core.models import Follower
from core.tenancy import EMERGENCY_TOPIC, MunicipalityConfig
from core.timeutil import local_str
from line import messages as lm

SETTINGS_WORDS = {"配信設定", "通知設定", "お知らせ設定", "受信設定"}
NOTICE_WORDS = {"最新のお知らせ", "お知らせ", "新着情報", "市からのお知らせ"}
EMERGENCY_WORDS = {"緊急情報", "災害情報", "防災情報", "避難情報"}


def summary(config: MunicipalityConfig, follower: Follower) -> str:
    topics = "すべて" if follower.topics is None else ("、".join(follower.topics) or "なし")
    district = follower.district or "未設定（地区ごとのお知らせは届きません。緊急情報は届きます）"
    return (f"現在の配信設定\n・{EMERGENCY_TOPIC}（緊急情報）：常にお届けします\n・分野：{topics}\n・地区：{district}\n\n"
            "下のボタンで変更できます（✓は受け取り中）。")


def settings_reply(config: MunicipalityConfig, follower: Follower, note: str = "") -> list[dict[str, Any]]:
    chosen = set(config.topics if follower.topics is None else follower.topics)
    items = [lm.postback_item(("✓" if t in chosen else "") + t, lm.postback_data("topic", name=t),
                             f"{t}の受け取りを切り替え") for t in config.topics]
    if config.districts:
        items.append(lm.postback_item("地区を選ぶ", lm.postback_data("districts"), "地区を選ぶ"))
    items.append(lm.postback_item("すべて受け取る", lm.postback_data("topic", name="*"), "すべて受け取る"))
    return [lm.text((note + "\n\n" if note else "") + summary(config, follower), items)]


def toggle_topic(config: MunicipalityConfig, follower: Follower, topic: str) -> str:
    if topic == "*":
        follower.topics = None
        return "すべての分野のお知らせを受け取ります。"
    if topic not in config.topics:
        return "その分野は選べません。"
    current = list(config.topics if follower.topics is None else follower.topics)
    if topic in current:
        current.remove(topic)
        note = f"「{topic}」のお知らせを止めました。"
    else:
        current.append(topic)
        note = f"「{topic}」のお知らせを受け取ります。"
    follower.topics = [t for t in config.topics if t in current]
    return note


def district_choices(config: MunicipalityConfig) -> list[dict[str, Any]]:
    items = [lm.postback_item(d, lm.postback_data("district", name=d), f"地区：{d}") for d in config.districts[:12]]
    items.append(lm.postback_item("設定しない", lm.postback_data("district", name=""), "地区を設定しない"))
    return [lm.text("お住まいの地区を選んでください。", items)]


def set_district(config: MunicipalityConfig, follower: Follower, name: str) -> str:
    if name and name not in config.districts:
        return "その地区は選べません。"
    follower.district = name or None
    return f"地区を「{name}」に設定しました。" if name else "地区の設定を外しました。"


def notices_reply(session: Session, municipality_id: int, config: MunicipalityConfig,
                  emergency_only: bool, follower: Follower | None) -> list[dict[str, Any]]:
    """The current notices meant for this resident: their district and topics, as delivery chose them
    (broadcasts.audience.wants); in a group, those meant for everyone."""
    topics, district = (follower.topics, follower.district) if follower is not None else (None, None)
    notices = [n for n in current_notices(session, municipality_id, emergency_only, limit=50)
               if wants(topics, district, Target.of(n))][:5]
    if not notices:
        what = "緊急情報" if emergency_only else "お知らせ"
        return [lm.text(f"現在、掲載中の{what}はありません。", m.category_menu(config))]
    return [notices_text(notices, "緊急情報" if emergency_only else "最新のお知らせ")]


def notices_text(notices: list[Any], heading: str) -> dict[str, Any]:
    lines = []
    for notice in notices:
        mark = "【緊急】" if notice.emergency else "・"
        when = local_str(notice.scheduled_at, "%m/%d %H:%M")
        lines.append(f"{mark}{notice.title}（{when}）\n{lm.clip(notice.body, 300)}")
    return lm.text(f"{heading}\n\n" + "\n\n".join(lines))


EMERGENCY_POINTER = "⚠ 緊急情報が出ています。「緊急情報」と送ると全文を、「避難所」と送ると開設中の避難所を表示します。"


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
        return [lm.text(EMERGENCY_POINTER)]
    if follower is not None:
        follower.emergency_seen_id = newest
    return [notices_text(notices, "⚠ 現在の緊急情報")]
