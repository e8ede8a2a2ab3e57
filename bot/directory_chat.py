"""Chat around the directory: procedure and facility answers, reservations, shelters, AEDs, locations.

Kept apart from bot/handlers.py (which dispatches) so each module stays small; the lookups themselves
live in directory/ and are shared with the CLI.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import cards
from bot import messages as m
from bot.texts import label, t, words
from broadcasts.richmenu import current_disaster
from core.models import Follower
from core.tenancy import MunicipalityConfig
from core.timeutil import as_utc, utcnow
from directory.models import Place, Procedure
from directory.places import nearest, open_shelters
from faq import service
from line import messages as lm
from search.normalize import Analysis, fold

RESERVE_WORDS = {"予約", "借りる", "貸す", "貸し出し", "空き", "レンタル", "申し込む", "申込"}
SHELTER_WORDS = words("shelter")
AED_WORDS = words("aed")
PENDING_TTL = timedelta(minutes=15)


def render_candidate(session: Session, municipality_id: int, config: MunicipalityConfig, kind: str, row_id: int,
                     log_id: int | None, ask: bool = True) -> lm.Reply | None:
    """The answer for one ranked item, whatever its kind (with 解決しましたか？ when ``ask``); None when it no
    longer exists."""
    if kind == "procedure":
        proc = session.scalar(select(Procedure).where(Procedure.id == row_id, Procedure.municipality_id == municipality_id))
        if proc is None:
            return None
        return cards.procedure_card(config, proc) + ([m.feedback_question(0, log_id)] if ask else [])
    if kind == "facility":
        place = session.scalar(select(Place).where(Place.id == row_id, Place.municipality_id == municipality_id))
        return cards.facility_cards(config, [place]) if place else None
    entry = service.get_entry(session, municipality_id, row_id)
    return m.answer(config, entry, log_id, ask) if entry else None


def facility_intent(session: Session, municipality_id: int, query: Analysis) -> list[Place]:
    """"体育館を予約したい": facilities whose names contain a word of the question, when it is about booking."""
    words = set(query.words)
    if not words & RESERVE_WORDS and not any(w in query.folded for w in ("予約", "借り", "空き")):
        return []
    places = session.scalars(select(Place).where(Place.municipality_id == municipality_id, Place.kind == "facilities")
                             .order_by(Place.id)).all()
    nouns = [w for w in words if len(w) >= 2 and w not in RESERVE_WORDS]
    hits = [p for p in places if any(w in fold(p.name) for w in nouns)]
    return sorted(hits, key=lambda p: not (p.additions or {}).get("reservation_url"))[:10]


def shelters_near(session: Session, municipality_id: int, config: MunicipalityConfig, lat: float, lon: float) -> lm.Reply:
    kind_of_disaster = current_disaster(session, municipality_id) or ""
    found = nearest(session, municipality_id, "shelters", lat, lon, limit=5, open_only=True,
                    disaster_type=kind_of_disaster)
    any_open = bool(found)
    if not found:
        designated = [n for n in nearest(session, municipality_id, "shelters", lat, lon, limit=20,
                                         disaster_type=kind_of_disaster)
                      if (n.place.attributes or {}).get("designated_shelter")]
        found = designated[:5]
    return cards.shelters_reply(config, found, any_open, kind_of_disaster)


# Words that may stand beside 避難所 in a question that only asks where to go (今開いている避難所はどこですか).
SHELTER_CONTEXT = frozenset({"開く", "開ける", "開設", "近く", "近い", "最寄り", "場所", "今", "現在", "探す", "行く",
                             "一番", "何処", "所", "地図", "一覧", "指定"})


def asks_for_open_shelters(session: Session, municipality_id: int, query: Analysis) -> bool:
    """A typed question about where the shelters are, while at least one is open (in any mode): the live list
    answers it, not the static FAQ about the hazard map. 避難所に持っていくもの or ペットと避難所 stay FAQ questions."""
    words = set(query.words)
    return "避難" in words and words - {"避難"} <= SHELTER_CONTEXT and bool(open_shelters(session, municipality_id))


def shelter_question(session: Session, municipality_id: int, config: MunicipalityConfig) -> lm.Reply:
    opened = open_shelters(session, municipality_id)
    if opened:
        lines = "\n".join(f"・{p.name}（{p.address}）" for p in opened[:10])
        return [cards.ask_location(t("shelters.open_list", lines=lines))]
    return [cards.ask_location(t("shelters.none_open"))]


def open_shelters_lead(session: Session, municipality_id: int) -> lm.Reply:
    opened = open_shelters(session, municipality_id)
    if not opened:
        return []
    lines = "\n".join(f"・{p.name}（{p.address}）" for p in opened[:8])
    return [lm.text(t("shelters.lead", lines=lines))]


# A question about using a smartphone, LINE or a computer (スマホの使い方がわからない, LINEを教えてほしい) is answered
# with the city's smartphone classes and digital-help sessions, from the events open data (kind "events").
DEVICES = frozenset({"スマホ", "スマートフォン", "携帯", "ケータイ", "line", "ライン", "パソコン", "タブレット", "アプリ"})
LEARNING = frozenset({"使い方", "使う", "教室", "教える", "習う", "分かる", "操作", "相談", "講座", "苦手", "覚える",
                      "始める", "できる", "困る"})
EVENT_WORDS = re.compile(r"スマホ|スマートフォン|携帯|LINE|パソコン|タブレット|デジタル")


def smartphone_events(session: Session, municipality_id: int, query: Analysis) -> lm.Reply:
    """The smartphone classes and digital-help sessions (up to three) for a resident asking how to use a
    smartphone or LINE; nothing for other questions (スマホで住民票 is about a certificate, not about phones)."""
    words = {w.lower() for w in query.words}
    if not words & DEVICES or not (words & LEARNING or "使い方" in query.folded):
        return []
    events = [p for p in session.scalars(select(Place).where(Place.municipality_id == municipality_id,
                                                             Place.kind == "events").order_by(Place.id))
              if EVENT_WORDS.search(f"{p.name} {p.description}")][:3]
    if not events:
        return []
    lines = "\n\n".join(
        f"・{p.name}\n  {(p.attributes or {}).get('date', '')} {p.hours}".rstrip()
        + (f"\n  {p.address}" if p.address else "")
        + (f"\n  {(p.attributes or {}).get('department', '')} {p.phone}".rstrip() if p.phone else "")
        for p in events)
    return [lm.text(t("events.smartphone", lines=lines))]


def remember(follower: Follower | None, lookup: str) -> None:
    if follower is not None:
        follower.pending_lookup, follower.pending_at = lookup, utcnow()


def pending(follower: Follower | None, ttl: timedelta = PENDING_TTL) -> str:
    """What the resident's next message answers (``remember``ed within ``ttl``), or ""."""
    if follower is None or not follower.pending_lookup or follower.pending_at is None:
        return ""
    return follower.pending_lookup if utcnow() - as_utc(follower.pending_at) <= ttl else ""


def coordinates(message: dict[str, Any]) -> tuple[float, float] | None:
    """A location message's latitude and longitude, or None when they are not a place on Earth."""
    try:
        lat, lon = float(message["latitude"]), float(message["longitude"])
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def aed_near(session: Session, municipality_id: int, config: MunicipalityConfig, lat: float, lon: float) -> lm.Reply:
    found = nearest(session, municipality_id, "aed", lat, lon, limit=3)
    if not found:
        return [lm.text(t("aed.none"))]
    lines = "\n".join(label("aed.line", n=i, name=n.place.name, distance=f"{round(n.distance_m, -1):.0f}m")
                      + (label("aed.position", position=n.place.attributes["position"])
                         if n.place.attributes.get("position") else "")
                      for i, n in enumerate(found, 1))
    first = found[0].place
    return [lm.text(t("aed.list", lines=lines)),
            {"type": "location", "title": lm.clip(label("aed.title", name=first.name), 100),
             "address": lm.clip(first.address or first.name, 100), "latitude": first.lat, "longitude": first.lon}]


def on_location(session: Session, municipality_id: int, config: MunicipalityConfig, follower: Follower | None,
                message: dict[str, Any]) -> lm.Reply:
    place = coordinates(message)
    if place is None:
        return m.non_text_hint(config, "location")
    lat, lon = place
    lookup = pending(follower)
    if follower is not None:
        follower.pending_lookup = None
    if lookup == "aed":
        return aed_near(session, municipality_id, config, lat, lon)
    return shelters_near(session, municipality_id, config, lat, lon)
