"""Flex cards for procedures and facilities, and the shelter replies (LINE JSON as dicts)."""

from __future__ import annotations

from typing import Any

from core.tenancy import MunicipalityConfig
from directory.places import STATUS_JA, Nearby
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
    for label, value in (("対象", proc.eligibility), ("期限", proc.deadline), ("手数料", proc.fees),
                         ("窓口", " ".join(p for p in (proc.department, config.fill(proc.contact)) if p))):
        if value:
            rows.append(_labelled(label, value))
    buttons: list[dict[str, Any]] = []
    notes: list[str] = []
    for channel in proc.channels or []:
        method, url = channel.get("method", ""), _safe_uri(config, channel.get("url", ""))
        if url and method in ("mynaportal", "e_apply", "online"):
            buttons.append(_uri_button(METHODS[method], url, primary=not buttons))
        elif method == "konbini":
            notes.append("コンビニ：" + (channel.get("note") or "マイナンバーカードで取得できます"))
        elif method == "counter":
            notes.append(f"窓口：{proc.department or '市役所'}（{config.contact.hours}）" +
                         (f" {channel['note']}" if channel.get("note") else ""))
        elif method == "phone":
            notes.append("電話：" + config.fill(channel.get("note", config.contact.phone)))
    rows += [_text(note, size="sm", color="#555555") for note in notes]
    if proc.bring:
        buttons.append({"type": "button", "style": "link", "height": "sm", "action": {
            "type": "postback", "label": "必要なもの", "data": lm.postback_data("bring", id=proc.id),
            "displayText": f"{proc.name}に必要なもの"}})
    return [{"type": "flex", "altText": lm.clip(f"{proc.name}：{config.fill(proc.summary)}", 400),
             "contents": _bubble(proc.name, rows, buttons, "#1a5fb4")}]


def bring_list(config: MunicipalityConfig, proc: Any) -> list[lm.Message]:
    items = "\n".join(f"・{item}" for item in proc.bring) or "特にありません。"
    return [lm.text(f"{proc.name}に必要なもの\n{items}\n\n詳しくは{proc.department or config.contact.desk}"
                   f"（{config.fill(proc.contact) or config.contact.phone}）へお問い合わせください。")]


def map_url(lat: float, lon: float) -> str:
    return f"https://www.google.com/maps/search/?api=1&query={lat:.6f},{lon:.6f}"


def facility_bubble(config: MunicipalityConfig, place: Any, extra: str = "") -> dict[str, Any]:
    additions = place.additions or {}
    rows = []
    if extra:
        rows.append(_text(extra, size="sm", weight="bold"))
    for label, value in (("住所", place.address), ("時間", additions.get("hours") or place.hours),
                         ("電話", place.phone), ("部屋", "、".join(additions.get("rooms") or [])),
                         ("料金", additions.get("fees", ""))):
        if value:
            rows.append(_labelled(label, str(value)))
    if place.description:
        rows.append(_text(place.description, size="sm", color="#555555"))
    buttons = []
    reservation = _safe_uri(config, additions.get("reservation_url", ""))
    if reservation:
        buttons.append(_uri_button("予約する", reservation, primary=True))
    if place.phone and any(c.isdigit() for c in place.phone):
        buttons.append(_uri_button("電話する", "tel:" + "".join(c for c in place.phone if c.isdigit() or c == "+")))
    if place.lat is not None and place.lon is not None:
        buttons.append(_uri_button("地図を見る", map_url(place.lat, place.lon)))
    return _bubble(place.name, rows or [_text(" ")], buttons, "#26a269")


def facility_cards(config: MunicipalityConfig, places: list[Any]) -> list[lm.Message]:
    bubbles = [facility_bubble(config, p) for p in places[:10]]
    contents = bubbles[0] if len(bubbles) == 1 else {"type": "carousel", "contents": bubbles}
    return [{"type": "flex", "altText": lm.clip("施設のご案内：" + "、".join(p.name for p in places), 400),
             "contents": contents}]


def ask_location(text: str) -> lm.Message:
    return lm.text(text, [{"type": "action", "action": {"type": "location", "label": "位置情報を送る"}}])


def shelters_reply(config: MunicipalityConfig, found: list[Nearby], any_open: bool, disaster_type: str
                   ) -> list[lm.Message]:
    """Nearest shelters with distance, a card carousel and a location message for the first."""
    if not found:
        return [lm.text(f"近くの避難所が見つかりませんでした。{config.contact.desk}（{config.contact.phone}）に"
                       "お問い合わせください。")]
    if any_open:
        head = "近くの開設中の避難所です" + (f"（{disaster_type}に対応する避難所を優先）" if disaster_type else "") + "。"
    else:
        head = ("現在、開設中の避難所はありません。\n以下は指定避難所（近い順）です。開設状況は市からのお知らせで"
                "ご確認ください。危険を感じたら、ためらわずに安全な場所へ避難してください。")
    lines = [f"{i}. {n.place.name}（約{_distance(n.distance_m)}・{STATUS_JA.get(n.place.status, '')}）"
             + ("" if n.suitable else f" ※{disaster_type}には非対応")
             for i, n in enumerate(found, 1)]
    first = found[0].place
    bubbles = [facility_bubble(config, n.place, f"{STATUS_JA.get(n.place.status, '')}・約{_distance(n.distance_m)}")
               for n in found[:5]]
    return [
        lm.text(head + "\n" + "\n".join(lines)),
        {"type": "flex", "altText": lm.clip("避難所：" + "、".join(n.place.name for n in found), 400),
         "contents": {"type": "carousel", "contents": bubbles}},
        {"type": "location", "title": lm.clip(first.name, 100), "address": lm.clip(first.address or first.name, 100),
         "latitude": first.lat, "longitude": first.lon},
    ]


def _distance(meters: float) -> str:
    return f"{meters / 1000:.1f}km" if meters >= 1000 else f"{round(meters, -1):.0f}m"
