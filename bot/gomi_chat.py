"""ごみ in the chat: the resident's area, 「今日のごみ」「明日は何ごみ？」「次の燃えないごみはいつ？」「今週のごみ」,
「スプレー缶は何ごみ？」 and reminders — for municipalities that imported 5374 data (gomi/).

Routing is conservative: a message comes here only when it clearly asks about collection days (a day word with
ごみ, a type with いつ/何曜日) or names a thing in the sorting dictionary closely (「…は何ごみ」「…の捨て方」, or just
the thing's name); everything else — 「粗大ごみの出し方」 included, which the FAQ answers with the procedure — goes
on to the FAQ. A question that needs the area when none is set asks for it first and answers it right after.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import directory_chat as dchat
from bot.texts import label, t, words
from core import i18n
from core.models import Follower
from core.timeutil import local, utcnow
from gomi import areas as area_match
from gomi.calendar import AreaCalendar, Calendar
from gomi.dictionary import Match, comparable
from gomi.models import GomiCalendar, GomiResident
from line import messages as lm
from search.normalize import fold

PENDING = "gomi"  # pending_lookup "gomi:<what to answer once the area is known>"
AREA_WORDS = words("gomi_area")
REMIND_WORDS = words("gomi_remind")
TODAY_WORDS = words("gomi_today")
TOMORROW_WORDS = words("gomi_tomorrow")
WEEK_WORDS = words("gomi_week")

_GOMI = r"(ごみ|ゴミ|塵)"
_TODAY = re.compile(rf"^(今日|きょう|本日|ほんじつ)(は|の)?(何|なに|なん)?(の)?{_GOMI}")
_TOMORROW = re.compile(rf"^(明日|あした|あす)(は|の)?(何|なに|なん)?(の)?{_GOMI}")
_WEEK = re.compile(rf"^(今週|こんしゅう)(の)?{_GOMI}")
_WHEN = re.compile(r"^(次の|つぎの|今度の|こんどの)?(?P<what>.+?)(は|って|の日は|の日って|の日|を)?"
                   r"(いつ|何曜|なんよう|なに曜|何日|なんにち|出せる日|だせる日|回収日|収集日)")
_ITEM = re.compile(r"^(これ|この)?(?P<what>.+?)(は|って|の|を|も)?"
                   r"(何ごみ|何ゴミ|なにごみ|なんごみ|なにゴミ|何の?ごみ|どのごみ|捨て方|すてかた|出し方|だしかた|"
                   r"どうやって(捨て|すて|出し|だし)|捨てたい|すてたい|処分したい|処分方法|分別)")
# residents' words for the usual types, to compare with the municipality's labels
_TYPE_WORDS = (("燃やせない", "不燃"), ("燃やさない", "不燃"), ("燃えない", "不燃"), ("もやせない", "不燃"),
               ("もやさない", "不燃"), ("もえない", "不燃"), ("燃やせる", "可燃"), ("燃やす", "可燃"), ("燃える", "可燃"),
               ("もやせる", "可燃"), ("もやす", "可燃"), ("もえる", "可燃"), ("ぷら", "プラ"), ("ペット", "ペットボトル"),
               ("ボトルボトル", "ボトル"), ("瓶", "びん"), ("ビン", "びん"), ("カン", "缶"), ("かん", "缶"), ("しげん", "資源"),
               ("こし", "古紙"), ("そだい", "粗大"), ("ゴミ", "ごみ"))


def calendar_of(ctx: Any) -> Calendar | None:
    return ctx.runtime.gomi.get(ctx.session, ctx.tenant.id)


def resident_row(session: Session, follower: Follower | None) -> GomiResident | None:
    if follower is None or follower.id is None:
        return None
    return session.scalar(select(GomiResident).where(GomiResident.follower_id == follower.id))


def today() -> date:
    now = local(utcnow())
    assert now is not None
    return now.date()


def weekday_names() -> list[str]:
    names = t("gomi.weekdays")
    return str(names).split("|") if "|" in names else str(names).split()


def day_text(day: date) -> str:
    return t("gomi.date", month=day.month, day=day.day, weekday=weekday_names()[day.weekday()])


def short_day(day: date) -> str:
    return label("gomi.date", month=day.month, day=day.day, weekday=weekday_names()[day.weekday()])


def menu_items() -> list[dict[str, Any]]:
    return [lm.postback_item(label("gomi." + key), lm.postback_data("gomi", do=key), label("gomi." + key))
            for key in ("today", "tomorrow", "week", "remind", "change_area")]


# --- what the resident asks ---------------------------------------------------------------------------------------

def _type_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    for word, canonical in _TYPE_WORDS:
        text = text.replace(word, canonical)
    return comparable(text).replace("ごみ", "")


def find_type(calendar: Calendar, what: str) -> str | None:
    """The municipality's type label a resident's words name (「燃えないごみ」 → 燃やさないごみ, 「ペットボトル」 →
    びん・缶・ペットボトル), or None."""
    wanted = _type_key(what)
    if not wanted:
        return None
    for label_ in calendar.labels:
        if _type_key(label_) == wanted:
            return label_
    for label_ in calendar.labels:
        parts = [_type_key(p) for p in re.split(r"[・/／、,（）()]", label_) if p.strip()]
        if wanted in parts or any(len(wanted) >= 2 and p.startswith(wanted) for p in parts):
            return label_
    return None


def _compact(text: str) -> str:
    return re.sub(r"[\s？?！!。、,.]+", "", unicodedata.normalize("NFKC", text))


def intent(ctx: Any, calendar: Calendar, text: str) -> tuple[str, str] | None:
    """("day", "0"|"1") / ("week", "") / ("next", type) / ("item", words) / ("area", "") / ("remind", ""), or None for
    the FAQ."""
    word = fold(text).replace(" ", "")
    compact = _compact(text)
    if word in TODAY_WORDS or _TODAY.match(compact):
        return "day", "0"
    if word in TOMORROW_WORDS or _TOMORROW.match(compact):
        return "day", "1"
    if word in WEEK_WORDS or _WEEK.match(compact):
        return "week", ""
    if word in AREA_WORDS:
        return "area", ""
    if word in REMIND_WORDS:
        return "remind", ""
    if (found := _WHEN.match(compact)) is not None:
        if re.fullmatch(r"(うちの|家の|いえの)?(ごみ|ゴミ)(の|は|を)?(出す日|だす日)?(の|は)?", found["what"]):
            return "week", ""  # 「ごみの収集日を知りたい」「ごみはいつ」: their area's week
        label_ = find_type(calendar, found["what"])
        if label_ is not None:
            return "next", label_
        match = best_item(ctx, calendar, found["what"])
        if match is not None:
            return "item", found["what"]
    if (found := _ITEM.match(compact)) is not None:
        if best_item(ctx, calendar, found["what"]) is not None:
            return "item", found["what"]
        return None
    if len(compact) <= 12:  # just a thing's name: 「スプレー缶」「でんち」
        match = best_item(ctx, calendar, compact, bar=0.98)
        if match is not None:
            return "item", compact
    return None


def best_item(ctx: Any, calendar: Calendar, what: str, bar: float = 0.9) -> Match | None:
    found = ctx.runtime.gomi.dictionary(ctx.session, calendar).search(what, limit=3)
    return found[0] if found and found[0].score >= bar else None


# --- replies ------------------------------------------------------------------------------------------------------

def reply(ctx: Any, text: str, who: Callable[[], Follower | None]) -> lm.Reply | None:
    """The ごみ reply to a typed message, or None when it is not about ごみ (the FAQ answers it). ``who`` gives the
    resident (created on first contact) — only called once the message is known to be about ごみ, so nothing is
    written before the FAQ matches other questions."""
    calendar = calendar_of(ctx)
    if calendar is None:
        return None
    asked = intent(ctx, calendar, text)
    if asked is None:
        return None
    what, value = asked
    follower = who()
    if what == "item":
        return item_reply(ctx, calendar, value, follower)
    return answer(ctx, calendar, what, value, follower)


def answer(ctx: Any, calendar: Calendar, what: str, value: str, follower: Follower | None) -> lm.Reply:
    if follower is None:
        return [lm.text(t("gomi.one_to_one"))]
    row = resident_row(ctx.session, follower)
    area = calendar.area(row.area) if row is not None else None
    if what == "area" or area is None:
        gone = t("gomi.area_gone", area=row.area) + "\n\n" if row is not None and area is None else ""
        # remembered in 20 characters: a type by its place in the calendar (labels are longer: びん・缶・ペットボトル)
        kept = str(calendar.labels.index(value)) if what == "next" and value in calendar.labels else value
        dchat.remember(follower, f"{PENDING}:{what}:{kept}"[:20] if what != "area" else PENDING)
        return ask_area(calendar, gone)
    if what == "day":
        return day_reply(calendar, area, today() + timedelta(days=int(value or 0)))
    if what == "week":
        return week_reply(calendar, area, today())
    if what == "next":
        return next_reply(calendar, area, value)
    if what == "remind":
        return remind_reply(ctx, calendar, row)
    return day_reply(calendar, area, today())


def ask_area(calendar: Calendar, lead: str = "") -> lm.Reply:
    example = next(iter(calendar.areas.values())).name if calendar.areas else ""
    groups = area_match.districts(calendar)
    items = [lm.postback_item(g, lm.postback_data("gomi", do="district", name=g), g) for g in groups[:12]]
    return [lm.text(lead + t("gomi.ask_area", example=example), items or None)]


def area_choices(areas: list[AreaCalendar], lead: str = "") -> lm.Reply:
    items = [lm.postback_item(a.name, lm.postback_data("gomi", do="set", name=a.name), a.name) for a in areas[:13]]
    return [lm.text(lead + t("gomi.choose"), items)]


def take_area(ctx: Any, text: str, follower: Follower, pending: str) -> lm.Reply | None:
    """A message sent while the bot waits for the resident's 町名: the area (or a short list), or None when nothing
    here is called that — the message is then answered as any other."""
    calendar = calendar_of(ctx)
    if calendar is None:
        return None
    found = area_match.match(calendar, text)
    follower.pending_lookup = None
    if not found:  # not a place here: most likely another question (「粗大ごみの出し方」): it goes on to be answered
        return None
    if len(found) > 1:
        dchat.remember(follower, pending)
        return area_choices(found)
    return set_area(ctx, calendar, follower, found[0], pending)


def set_area(ctx: Any, calendar: Calendar, follower: Follower, area: AreaCalendar, pending: str) -> lm.Reply:
    row = resident_row(ctx.session, follower)
    if row is None:
        row = GomiResident(municipality_id=ctx.tenant.id, follower_id=follower.id, area=area.name, reminder_types=[])
        ctx.session.add(row)
    row.area = area.name
    follower.pending_lookup = None
    done = lm.text(t("gomi.area_set", area=area.name))
    _, what, value = (pending.split(":") + ["", "", ""])[:3]
    if what == "next":
        value = calendar.labels[int(value)] if value.isdigit() and int(value) < len(calendar.labels) else ""
        what = what if value else "week"
    if what in ("day", "week", "next", "remind"):
        return [done] + answer(ctx, calendar, what, value, follower)
    return [done] + week_reply(calendar, area, today())


def types_lines(calendar: Calendar, labels: list[str]) -> str:
    return "\n".join(f"・{label_}" for label_ in labels)


def day_reply(calendar: Calendar, area: AreaCalendar, day: date) -> lm.Reply:
    labels = calendar.types_on(area, day)
    if labels:
        body = t("gomi.day_some", date=day_text(day), area=area.name, types=types_lines(calendar, labels))
        infos = [calendar.type_info(x) for x in labels]
        notes = [info.description for info in infos if info is not None and info.description]
        if notes and i18n.current() == i18n.JA:  # the municipality's own descriptions are in Japanese
            body += "\n\n" + "\n".join(f"※{n}" for n in notes)
    else:
        paused = calendar.paused(area, day)
        body = t("gomi.paused", date=day_text(day), start=day_text(paused[0]), end=day_text(paused[1])) if paused \
            else t("gomi.day_none", date=day_text(day), area=area.name)
        for later in range(1, 32):  # and when the next collection is
            after = day + timedelta(days=later)
            kinds = calendar.types_on(area, after)
            if kinds:
                body += "\n" + t("gomi.next_day", date=day_text(after), types="・".join(kinds))
                break
    return [lm.text(body, menu_items())]


def week_reply(calendar: Calendar, area: AreaCalendar, start: date) -> lm.Reply:
    """The coming seven days as a card (each day's types in their colours; year-end pause days marked), with the
    same lines as its alt text so a screen reader or a notification shows the week too."""
    rows = []
    for day, labels in calendar.week(area, start):
        shown = "・".join(labels) if labels else t("gomi.week_none") + (" 🎍" if calendar.paused(area, day) else "")
        rows.append((day, shown, labels))
    lines = "\n".join(f"{short_day(day)}：{shown}" for day, shown, _ in rows)
    body = t("gomi.week_title", area=area.name, start=day_text(start), lines=lines)
    return [week_card(calendar, area, rows, body), lm.text(t("gomi.choose_more"), menu_items())]


def week_card(calendar: Calendar, area: AreaCalendar, rows: list[tuple[date, str, list[str]]],
              alt: str) -> lm.Message:
    contents = []
    for day, shown, labels in rows:
        info = calendar.type_info(labels[0]) if labels else None
        colour = info.colour if info is not None and re.fullmatch(r"#[0-9a-fA-F]{6}", info.colour or "") else \
            "#333333" if labels else "#999999"
        weekend = "#c0392b" if day.weekday() == 6 else "#2a6fdb" if day.weekday() == 5 else "#333333"
        contents.append({"type": "box", "layout": "baseline", "spacing": "md", "contents": [
            {"type": "text", "text": short_day(day), "size": "sm", "color": weekend, "flex": 3},
            {"type": "text", "text": lm.clip(shown, 200), "size": "sm", "wrap": True, "flex": 5, "color": colour,
             "weight": "bold" if labels else "regular"}]})
    return {"type": "flex", "altText": lm.clip(alt, 400), "contents": {
        "type": "bubble",
        "header": {"type": "box", "layout": "vertical", "contents": [
            {"type": "text", "text": lm.clip(area.name, 100), "weight": "bold", "size": "lg", "wrap": True},
            {"type": "text", "text": label("gomi.week"), "size": "sm", "color": "#888888"}]},
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": contents}}}


def next_reply(calendar: Calendar, area: AreaCalendar, type_label: str) -> lm.Reply:
    nxt = calendar.next_date(area, type_label, today())
    if nxt is None:
        return [lm.text(t("gomi.next_none", area=area.name, type=type_label), menu_items())]
    return [lm.text(t("gomi.next", area=area.name, type=type_label, date=day_text(nxt)), menu_items())]


def item_reply(ctx: Any, calendar: Calendar, what: str, follower: Follower | None) -> lm.Reply:
    matches = ctx.runtime.gomi.dictionary(ctx.session, calendar).search(what, limit=4)
    if not matches:
        return [lm.text(t("gomi.no_item", text=what[:30]))]
    top = matches[0]
    row = resident_row(ctx.session, follower)
    area = calendar.area(row.area) if row is not None else None
    lines: list[str] = []
    if top.several_types:
        lines.append(t("gomi.item_several", item=top.head))
        for entry in top.entries[:6]:
            lines.append(f"・{entry.name} → {entry.type_label}" + (f"（{entry.notice}）" if entry.notice else ""))
    else:
        entry = top.entries[0]
        in_calendar = entry.type_label in calendar.labels
        lines.append(t("gomi.item" if in_calendar else "gomi.item_outside", item=entry.name, type=entry.type_label))
        if entry.notice:
            lines.append(f"※{entry.notice}")
    for type_label in top.types:
        if type_label not in calendar.labels:
            continue
        if area is not None:
            nxt = calendar.next_date(area, type_label, today())
            if nxt is not None:
                lines.append(t("gomi.next", area=area.name, type=type_label, date=day_text(nxt)))
    items = []
    if area is None and any(x in calendar.labels for x in top.types) and follower is not None:
        lines.append(t("gomi.item_ask_area"))
        items.append(lm.postback_item(label("gomi.change_area"), lm.postback_data("gomi", do="change_area"),
                                      label("gomi.change_area")))
    others = [m for m in matches[1:] if m.score >= 0.7][:3]
    for other in others:  # もしかして: other things with close names
        items.append(lm.message_item(other.head, other.head + "は何ごみ"))
    return [lm.text("\n".join(lines), items or None)]


# --- reminders ----------------------------------------------------------------------------------------------------

def remind_reply(ctx: Any, calendar: Calendar, row: GomiResident | None, note: str = "") -> lm.Reply:
    if row is None:
        return ask_area(calendar)
    settings = ctx.session.get(GomiCalendar, ctx.tenant.id)
    timing_at = (settings.evening_at if row.reminder_timing == "evening" else settings.morning_at) if settings else ""
    chosen = [x for x in calendar.labels if x in (row.reminder_types or [])]
    summary = t("gomi.remind_summary", types="、".join(chosen) or t("gomi.nothing"),
                timing=t("gomi." + row.reminder_timing, time=timing_at))
    items = [lm.postback_item(("✓" if x in chosen else "") + x, lm.postback_data("gomi", do="rtype", name=x),
                              ("✓" if x in chosen else "") + x) for x in calendar.labels[:9]]
    items += [lm.postback_item(label("gomi.switch_timing"), lm.postback_data("gomi", do="rtiming"),
                               label("gomi.switch_timing")),
              lm.postback_item(label("gomi.remind_all"), lm.postback_data("gomi", do="rall"), label("gomi.remind_all")),
              lm.postback_item(label("gomi.remind_off"), lm.postback_data("gomi", do="roff"), label("gomi.remind_off"))]
    return [lm.text((note + "\n\n" if note else "") + summary, items)]


def postback(ctx: Any, params: Any, follower: Follower | None) -> lm.Reply:
    """action=gomi: menu buttons (today, tomorrow, week, remind, change_area), choosing an area, reminder toggles."""
    calendar = calendar_of(ctx)
    if calendar is None or follower is None:
        return [lm.text(t("gomi.one_to_one"))] if calendar is not None else []
    do, name = params.text("do"), params.text("name")
    if do in ("today", "tomorrow"):
        return answer(ctx, calendar, "day", "0" if do == "today" else "1", follower)
    if do in ("week", "remind"):
        return answer(ctx, calendar, do, "", follower)
    if do == "change_area":
        return answer(ctx, calendar, "area", "", follower)
    if do == "district":
        return area_choices(area_match.in_district(calendar, name)) if name else ask_area(calendar)
    if do == "set":
        area = calendar.area(name)
        pending = dchat.pending(follower)
        return set_area(ctx, calendar, follower, area, pending if pending.startswith(PENDING) else PENDING) \
            if area is not None else ask_area(calendar)
    row = resident_row(ctx.session, follower)
    if row is None or calendar.area(row.area) is None:
        return answer(ctx, calendar, "remind", "", follower)
    chosen = list(row.reminder_types or [])
    if do == "rtype" and name in calendar.labels:
        chosen = [x for x in chosen if x != name] if name in chosen else chosen + [name]
    elif do == "rall":
        chosen = list(calendar.labels)
    elif do == "roff":
        chosen = []
    elif do == "rtiming":
        row.reminder_timing = "morning" if row.reminder_timing == "evening" else "evening"
    row.reminder_types = [x for x in calendar.labels if x in chosen]
    return remind_reply(ctx, calendar, row, t("gomi.remind_toggled"))


def reminder_text(language: str | None, day: date, timing: str, types: list[str], area: str) -> str:
    """The reminder a resident receives, in their language (gomi.reminders.Wording)."""
    with i18n.using(language or i18n.JA):
        return t("gomi.reminder_" + timing, date=day_text(day), types="・".join(types), area=area)
