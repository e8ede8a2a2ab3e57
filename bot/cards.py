"""Flex cards for procedures and facilities, and the shelter replies (LINE JSON as dicts)."""

from __future__ import annotations

from typing import Any

from bot.texts import label, t
from core.tenancy import MunicipalityConfig
from directory.places import Nearby
from directory.procedures import METHODS
from line import messages as lm


def _text(value: str, **style: Any) -> dict[str, Any]:
    return {"type": "text", "text": lm.clip(value, 2000) or " ", "wrap": True, **style}


def _uri_button(label: str, uri: str, primary: bool = False) -> dict[str, Any]:
    return {"type": "button", "style": "primary" if primary else "link", "height": "sm",
            "action": {"type": "uri", "label": lm.clip(label, lm.MAX_LABEL), "uri": uri}}


def _bubble(title: str, rows: list[dict[str, Any]], buttons: list[dict[str, Any]], color: str) -> dict[str, Any]:
    bubble: dict[str, Any] = {
        "type": "bubble",
        "header": {"type": "box", "layout": "vertical", "contents": [_text(title, weight="bold", size="lg",
                                                                           color=color)]},
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": rows},
    }
    if buttons:
        bubble["footer"] = {"type": "box", "layout": "vertical", "spacing": "sm", "contents": buttons[:4]}
    return bubble


def _labelled(label: str, value: str) -> dict[str, Any]:
    return {"type": "box", "layout": "baseline", "spacing": "sm", "contents": [
        {"type": "text", "text": label, "size": "sm", "color": "#888888", "flex": 2},
        {"type": "text", "text": lm.clip(value, 500) or "—", "size": "sm", "wrap": True, "flex": 5}]}


def _safe_uri(config: MunicipalityConfig, url: str) -> str | None:
    filled = config.fill(url)
    return filled if filled.startswith(("https://", "http://", "tel:")) else None


def procedure_card(config: MunicipalityConfig, proc: Any) -> list[lm.Message]:
    rows = [_text(config.fill(proc.summary), size="sm")]
    for name, value in (("card.eligibility", proc.eligibility), ("card.deadline", proc.deadline),
                        ("card.fees", proc.fees),
                        ("card.desk", " ".join(p for p in (proc.department, config.fill(proc.contact)) if p))):
        if value:
            rows.append(_labelled(label(name), value))
    buttons: list[dict[str, Any]] = []
    notes: list[str] = []
    for channel in proc.channels or []:
        method, url = channel.get("method", ""), _safe_uri(config, channel.get("url", ""))
        if url and method in ("mynaportal", "e_apply", "online"):
            buttons.append(_uri_button(label(f"method.{method}") if method in METHODS else method, url,
                                       primary=not buttons))
        elif method == "konbini":
            notes.append(t("card.konbini", note=channel.get("note") or t("card.konbini_default")))
        elif method == "counter":
            notes.append(t("card.counter", desk=proc.department or t("card.city_hall"), hours=config.contact.hours)
                         + (f" {channel['note']}" if channel.get("note") else ""))
        elif method == "phone":
            notes.append(t("card.phone", note=config.fill(channel.get("note", config.contact.phone))))
    rows += [_text(note, size="sm", color="#555555") for note in notes]
    if proc.bring:
        buttons.append({"type": "button", "style": "link", "height": "sm", "action": {
            "type": "postback", "label": label("card.bring"), "data": lm.postback_data("bring", id=proc.id),
            "displayText": lm.clip(label("card.bring_display", name=proc.name), 300)}})
    return [{"type": "flex", "altText": lm.clip(f"{proc.name}：{config.fill(proc.summary)}", 400),
             "contents": _bubble(proc.name, rows, buttons, "#1a5fb4")}]


def bring_list(config: MunicipalityConfig, proc: Any) -> list[lm.Message]:
    items = "\n".join(f"・{item}" for item in proc.bring) or t("card.bring_nothing")
    return [lm.text(t("card.bring_list", name=proc.name, items=items, desk=proc.department or config.contact.desk,
                      phone=config.fill(proc.contact) or config.contact.phone))]


def map_url(lat: float, lon: float) -> str:
    return f"https://www.google.com/maps/search/?api=1&query={lat:.6f},{lon:.6f}"


def facility_bubble(config: MunicipalityConfig, place: Any, extra: str = "") -> dict[str, Any]:
    additions = place.additions or {}
    rows = []
    if extra:
        rows.append(_text(extra, size="sm", weight="bold"))
    for name, value in (("card.address", place.address), ("card.hours", additions.get("hours") or place.hours),
                        ("card.tel", place.phone), ("card.rooms", "、".join(additions.get("rooms") or [])),
                        ("card.charge", additions.get("fees", ""))):
        if value:
            rows.append(_labelled(label(name), str(value)))
    if place.description:
        rows.append(_text(place.description, size="sm", color="#555555"))
    buttons = []
    reservation = _safe_uri(config, additions.get("reservation_url", ""))
    if reservation:
        buttons.append(_uri_button(label("card.reserve"), reservation, primary=True))
    if place.phone and any(c.isdigit() for c in place.phone):
        buttons.append(_uri_button(label("card.call"), "tel:" + "".join(c for c in place.phone if c.isdigit() or c == "+")))
    if place.lat is not None and place.lon is not None:
        buttons.append(_uri_button(label("card.map"), map_url(place.lat, place.lon)))
    return _bubble(place.name, rows or [_text(" ")], buttons, "#26a269")


def facility_cards(config: MunicipalityConfig, places: list[Any]) -> list[lm.Message]:
    bubbles = [facility_bubble(config, p) for p in places[:10]]
    contents = bubbles[0] if len(bubbles) == 1 else {"type": "carousel", "contents": bubbles}
    return [{"type": "flex", "altText": lm.clip(label("facilities.alt", names="、".join(p.name for p in places)), 400),
             "contents": contents}]


def ask_location(text: str) -> lm.Message:
    return lm.text(text, [{"type": "action", "action": {"type": "location", "label": label("location.send")}}])


def shelters_reply(config: MunicipalityConfig, found: list[Nearby], any_open: bool, disaster_type: str
                   ) -> list[lm.Message]:
    """Nearest shelters with distance, a card carousel and a location message for the first."""
    if not found:
        return [lm.text(t("shelters.not_found", desk=config.contact.desk, phone=config.contact.phone))]
    if any_open:
        head = t("shelters.near_open_for", disaster=disaster_type) if disaster_type else t("shelters.near_open")
    else:
        head = t("shelters.designated")
    lines = [label("shelters.line", n=i, name=n.place.name, distance=_distance(n.distance_m),
                   status=status(n.place.status))
             + ("" if n.suitable else label("shelters.unsuitable", disaster=disaster_type))
             for i, n in enumerate(found, 1)]
    first = found[0].place
    bubbles = [facility_bubble(config, n.place, label("shelters.card_extra", status=status(n.place.status),
                                                      distance=_distance(n.distance_m)))
               for n in found[:5]]
    return [
        lm.text(head + "\n" + "\n".join(lines)),
        {"type": "flex", "altText": lm.clip(label("shelters.alt", names="、".join(n.place.name for n in found)), 400),
         "contents": {"type": "carousel", "contents": bubbles}},
        {"type": "location", "title": lm.clip(first.name, 100), "address": lm.clip(first.address or first.name, 100),
         "latitude": first.lat, "longitude": first.lon},
    ]


def status(code: str) -> str:
    """A shelter's status (open, closed, full) in the resident's language."""
    return label(f"status.{code}") if code in ("open", "closed", "full") else ""


def _distance(meters: float) -> str:
    return f"{meters / 1000:.1f}km" if meters >= 1000 else f"{round(meters, -1):.0f}m"
