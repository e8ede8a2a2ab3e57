"""通報 in the chat: a resident reports a problem in the street in under a minute.

「通報する」 (rich menu, or typed; 「道路に穴があいてる」「街灯が切れてる」 start it with the category chosen) → category
(quick reply) → photos (camera / camera roll, up to 3; 「写真なしで次へ」) → place (LINE's location picker, or 「住所を
入力」) → an optional comment (「なし」) → a confirmation card → 受付番号. 「やめる」 cancels at any step; a draft left
for up to 30 minutes is offered again (続ける / 最初から); a photo sent outside the flow asks 「通報ですか？」.

The draft is a :class:`reports.models.Report` with status ``draft``; the step the bot waits for is the resident's
``pending_lookup`` (``report:<step>``), kept for the draft's 30 minutes (longer than other lookups' 15).
"""

from __future__ import annotations

import re
from typing import Any

from bot import directory_chat as dchat
from bot.texts import label, t, words
from core import i18n
from core.models import Follower
from line import messages as lm
from reports import intake
from reports import service as reports
from reports.models import Report, ReportCategory
from reports.notify import category_name
from search.normalize import fold

PENDING = "report"
STEPS = ("ask", "cat", "photo", "place", "addr", "note", "ok")
START_WORDS = words("report")
CANCEL_WORDS = words("report_cancel")
SKIP_WORDS = words("report_skip")
SEND_WORDS = words("report_send")
# What residents write about something broken, lost or left in the street; with a category's keyword it is a
# report (「街灯が切れてる」), without one it is a question for the FAQ (「街灯を設置してほしい」 has none of these).
PROBLEM = re.compile(r"穴|あな|壊れ|こわれ|切れ|きれて|割れ|われて|点かない|つかない|ついてない|消えて|消えた|捨てられ|"
                     r"投棄|ポイ捨て|放置|倒れ|傾い|陥没|危ない|あぶない|破損|故障|へこ|凹|曲が|外れ|剥が|はがれ|ひび|"
                     r"汚れ|見えない|暗い")


def step_of(follower: Follower | None) -> str:
    """The report step the bot waits for (within the draft's 30 minutes), or ""."""
    kind, _, step = dchat.pending(follower, reports.DRAFT_TTL).partition(":")
    return step if kind == PENDING and step in STEPS else ""


def wait_for(follower: Follower, step: str, draft: Report | None = None) -> None:
    dchat.remember(follower, f"{PENDING}:{step}")
    if draft is not None:
        reports.touch(draft)


def stop_waiting(follower: Follower) -> None:
    if (follower.pending_lookup or "").startswith(PENDING + ":"):
        follower.pending_lookup = None


def _draft(ctx: Any, follower: Follower) -> Report | None:
    return reports.draft_of(ctx.session, ctx.tenant.id, follower.id)


def _item(key: str, do: str, **params: object) -> dict[str, Any]:
    return lm.postback_item(label(key), lm.postback_data("report", do=do, **params), label(key))


def _cancel_item() -> dict[str, Any]:
    return _item("report.cancel", "cancel")


def _categories(ctx: Any) -> list[ReportCategory]:
    return reports.categories(ctx.session, ctx.tenant.id)


def offered(ctx: Any) -> bool:
    """Does this municipality take reports in the chat (it has active categories)?"""
    return bool(_categories(ctx))


# ---------------------------------------------------------------- routing

def wants_to_report(ctx: Any, text: str) -> tuple[bool, ReportCategory | None]:
    """「通報」 (and its words in every language), or a problem in the street named with a category's keyword."""
    word = fold(text).replace(" ", "")
    if word in START_WORDS:
        return True, None
    if not PROBLEM.search(text):
        return False, None
    for category in _categories(ctx):
        if any(k and k in text for k in category.keywords or []):
            return True, category
    return False, None


def start(ctx: Any, follower: Follower | None, category: ReportCategory | None = None,
          resume_offer: bool = True) -> lm.Reply:
    if follower is None:
        return [lm.text(t("report.one_to_one"))]
    cats = _categories(ctx)
    if not cats:
        return [lm.text(t("report.not_offered", desk=ctx.config.contact.desk, phone=ctx.config.contact.phone))]
    draft = _draft(ctx, follower)
    # a draft with a photo or a place is worth offering again; one with only a category is simply replaced
    if resume_offer and draft is not None and (draft.lat is not None or draft.address
                                               or reports.photo_count(ctx.session, draft)):
        wait_for(follower, step_of(follower) or "cat", draft)
        return [lm.text(t("report.resume"), [_item("report.resume_continue", "resume"),
                                             _item("report.resume_new", "new"), _cancel_item()])]
    draft = reports.start_draft(ctx.session, ctx.tenant.id, follower.id, follower.language)
    if category is not None:
        return choose_category(ctx, follower, draft, category)
    wait_for(follower, "cat", draft)
    return [ask_category(cats)]


def ask_category(cats: list[ReportCategory], lead: str = "") -> lm.Message:
    items = [lm.postback_item(category_name(c, i18n.current()), lm.postback_data("report", do="cat", id=c.id),
                              category_name(c, i18n.current())) for c in cats[:12]]
    return lm.text(lead + t("report.start"), items + [_cancel_item()])


def choose_category(ctx: Any, follower: Follower, draft: Report, category: ReportCategory) -> lm.Reply:
    draft.category_id = category.id
    lead = t("report.category_set", category=category_name(category, i18n.current())) + "\n"
    if reports.photo_count(ctx.session, draft):
        return ask_place(follower, draft, lead)
    return ask_photo(follower, draft, lead)


def ask_photo(follower: Follower, draft: Report, lead: str = "") -> lm.Reply:
    wait_for(follower, "photo", draft)
    return [lm.text(lead + t("report.ask_photo"), photo_items(first=True))]


def photo_items(first: bool) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [
        {"type": "action", "action": {"type": "camera", "label": label("report.camera")}},
        {"type": "action", "action": {"type": "cameraRoll", "label": label("report.camera_roll")}}]
    if first:
        items.append(_item("report.no_photo", "skip"))
    return items + [_cancel_item()]


def place_items() -> list[dict[str, Any]]:
    return [{"type": "action", "action": {"type": "location", "label": label("report.send_place")}},
            _item("report.type_address", "addr"), _cancel_item()]


def ask_place(follower: Follower, draft: Report, lead: str = "") -> lm.Reply:
    wait_for(follower, "place", draft)
    return [lm.text(lead + t("report.ask_place"), place_items())]


def ask_note(follower: Follower, draft: Report, lead: str = "") -> lm.Reply:
    wait_for(follower, "note", draft)
    return [lm.text(lead + t("report.ask_comment"), [_item("report.no_comment", "skip"), _cancel_item()])]


# ---------------------------------------------------------------- messages while a step waits

def take_text(ctx: Any, follower: Follower, text: str) -> lm.Reply | None:
    """A text while a report step waits: the step's answer, 「やめる」, or None (not for the report: the FAQ)."""
    step = step_of(follower)
    if not step:
        return None
    word = fold(text).replace(" ", "")
    draft = _draft(ctx, follower)
    if draft is None:
        stop_waiting(follower)
        return None
    if word in CANCEL_WORDS:
        return cancel(ctx, follower)
    if word in START_WORDS:
        return start(ctx, follower)
    if step in ("cat", "photo", "ok") and wants_to_report(ctx, text)[0]:
        return None  # a new problem typed out (「街灯が切れてる」): started by bot.handlers.report_reply
    if step == "cat":
        chosen = [c for c in _categories(ctx) if word in (fold(c.name).replace(" ", ""),
                                                          fold(category_name(c, i18n.current())).replace(" ", ""))]
        return choose_category(ctx, follower, draft, chosen[0]) if chosen else None
    if step == "photo":
        if word in SKIP_WORDS:
            return ask_place(follower, draft)
        return [lm.text(t("report.remind_photo"), photo_items(first=not reports.photo_count(ctx.session, draft)))]
    if step in ("place", "addr"):
        if word in SKIP_WORDS and step == "place":
            return ask_place(follower, draft)
        reports.set_place(ctx.session, draft, None, None, text)
        return ask_note(follower, draft)
    if step == "note":
        draft.comment = "" if word in SKIP_WORDS else text.strip()[:reports.MAX_COMMENT]
        return confirm(ctx, follower, draft)
    if step == "ok":
        if word in SEND_WORDS:
            return submit(ctx, follower, draft)
        return [lm.text(t("report.remind_confirm"))] + confirm(ctx, follower, draft)
    if step == "ask":
        return None
    return None


def take_location(ctx: Any, follower: Follower | None, message: dict[str, Any]) -> lm.Reply | None:
    """A location while the bot waits for the report's place; None otherwise (shelters, AEDs)."""
    if follower is None or step_of(follower) not in ("place", "addr", "photo"):
        return None
    draft = _draft(ctx, follower)
    if draft is None:
        return None
    place = dchat.coordinates(message)
    if place is None:
        return [lm.text(t("report.ask_place"), place_items())]
    lat, lon = place
    reports.set_place(ctx.session, draft, lat, lon, str(message.get("address") or message.get("title") or ""))
    lead = t("report.outside", city=ctx.config.name) + "\n" if draft.outside else ""
    return ask_note(follower, draft, lead)


def take_photo(ctx: Any, follower: Follower | None, message: dict[str, Any]) -> lm.Reply:
    """A photo: added to the draft (fetched from LINE, cleaned, stored), or the question 「通報ですか？」."""
    if follower is None:
        return []
    message_id = str(message.get("id", ""))[:40]
    provider = message.get("contentProvider") if isinstance(message.get("contentProvider"), dict) else {}
    if not message_id or (provider or {}).get("type", "line") != "line":
        return [lm.text(t("report.photo_gone"))]
    step = step_of(follower)
    draft = _draft(ctx, follower) if step else None
    count = reports.photo_count(ctx.session, draft) if draft is not None else 0
    if draft is not None and count >= reports.MAX_PHOTOS:
        return [lm.text(t("report.too_many"), place_items())] if step in ("photo", "place") else []
    # fetched before anything is written (bot.dispatch: SQLite's write lock is held until the commit)
    fetched = intake.fetch(ctx.runtime.line_client(ctx.config.slug), message_id)
    if fetched.problem:
        return [lm.text(t(f"report.photo_{fetched.problem}"),
                        photo_items(first=not count) if step in ("photo", "") else None)]
    last_of_set = _last_of_set(message)
    if draft is None:
        draft = reports.start_draft(ctx.session, ctx.tenant.id, follower.id, follower.language)
        intake.keep(ctx.session, ctx.runtime.photo_store, draft, fetched, message_id)
        wait_for(follower, "ask", draft)
        return [lm.text(t("report.is_report"), [_item("report.yes_report", "yes"),
                                                _item("report.not_report", "no")])] if last_of_set else []
    intake.keep(ctx.session, ctx.runtime.photo_store, draft, fetched, message_id)
    count += 1
    if step == "ask" or not last_of_set:
        reports.touch(draft)
        return []
    got = t("report.photo_waiting" if fetched.waiting else "report.photo_got", n=count) + "\n"
    if step in ("photo", "cat") and draft.category_id is not None:
        return ask_place(follower, draft, got)
    if step == "cat":
        return [lm.text(got), ask_category(_categories(ctx))]
    if step in ("note", "ok"):
        return confirm(ctx, follower, draft, got) if step == "ok" else ask_note(follower, draft, got)
    return ask_place(follower, draft, got)


def _last_of_set(message: dict[str, Any]) -> bool:
    """Several photos sent at once come as one event each (``imageSet``): answer the last one only."""
    image_set = message.get("imageSet")
    if not isinstance(image_set, dict):
        return True
    index, total = image_set.get("index"), image_set.get("total")
    return not (isinstance(index, int) and isinstance(total, int)) or index >= total


# ---------------------------------------------------------------- confirmation and submission

def confirm(ctx: Any, follower: Follower, draft: Report, lead: str = "") -> lm.Reply:
    wait_for(follower, "ok", draft)
    category = reports.category(ctx.session, ctx.tenant.id, draft.category_id)
    photos = reports.photo_count(ctx.session, draft)
    if draft.lat is not None and draft.lon is not None:
        place = draft.address or f"{draft.lat:.5f}, {draft.lon:.5f}"
    else:
        place = draft.address or label("report.none")
    rows = [(label("report.kind"), category_name(category, i18n.current()) if category else label("report.none")),
            (label("report.photos"), label("report.photo_count", n=photos) if photos else label("report.none")),
            (label("report.place"), place), (label("report.comment"), draft.comment or label("report.none"))]
    body: list[dict[str, Any]] = [{"type": "text", "text": label("report.confirm_title"), "weight": "bold",
                                   "size": "md", "color": "#1DB446"}]
    for name, value in rows:
        body.append({"type": "box", "layout": "vertical", "margin": "md", "contents": [
            {"type": "text", "text": name, "size": "xs", "color": "#666666"},
            {"type": "text", "text": lm.clip(value, 300), "size": "sm", "wrap": True}]})
    buttons = [{"type": "button", "style": "primary", "height": "sm",
                "action": {"type": "postback", "label": label("report.send"),
                           "data": lm.postback_data("report", do="send"), "displayText": label("report.send")}},
               {"type": "button", "style": "link", "height": "sm",
                "action": {"type": "postback", "label": label("report.cancel"),
                           "data": lm.postback_data("report", do="cancel"), "displayText": label("report.cancel")}}]
    card = {"type": "flex", "altText": lm.clip(label("report.confirm_title"), 400), "contents": {
        "type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": body},
        "footer": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": buttons}}}
    return ([lm.text(lead.strip())] if lead.strip() else []) + [card]


def submit(ctx: Any, follower: Follower, draft: Report) -> lm.Reply:
    if draft.category_id is None:
        return [ask_category(_categories(ctx))]
    receipt = reports.submit(ctx.session, draft)
    stop_waiting(follower)
    category = reports.category(ctx.session, ctx.tenant.id, draft.category_id)
    division = (category.division if category else "") or ctx.config.contact.desk
    phone = (category.phone if category else "") or ctx.config.contact.phone
    return [lm.text(t("report.received", receipt=receipt, division=division, phone=phone))]


def cancel(ctx: Any, follower: Follower) -> lm.Reply:
    draft = reports.draft_of(ctx.session, ctx.tenant.id, follower.id, fresh_only=False)
    if draft is not None:
        draft.status = "abandoned"  # the retention purge removes it and its photos
    stop_waiting(follower)
    return [lm.text(t("report.cancelled"))]


def postback(ctx: Any, params: Any, follower: Follower | None) -> lm.Reply:
    """report&do=start|resume|new|cat&id=|skip|addr|send|cancel|yes|no."""
    if follower is None:
        return [lm.text(t("report.one_to_one"))]
    do = params.text("do", "start")
    if do in ("start", ""):
        return start(ctx, follower)
    if do == "new":
        return start(ctx, follower, resume_offer=False)
    if do == "cancel":
        return cancel(ctx, follower)
    draft = _draft(ctx, follower)
    if draft is None:
        stop_waiting(follower)
        return [lm.text(t("report.expired"))] + start(ctx, follower, resume_offer=False)
    if do == "no":
        draft.status = "abandoned"
        stop_waiting(follower)
        return [lm.text(t("report.not_report_reply"))]
    if do == "yes":
        wait_for(follower, "cat", draft)
        return [ask_category(_categories(ctx))]
    if do == "cat":
        chosen = reports.category(ctx.session, ctx.tenant.id, params.number("id"))
        return choose_category(ctx, follower, draft, chosen) if chosen else [ask_category(_categories(ctx))]
    if do == "resume":
        return resume(ctx, follower, draft)
    if do == "addr":
        wait_for(follower, "addr", draft)
        return [lm.text(t("report.ask_address"), [_cancel_item()])]
    if do == "skip":
        step = step_of(follower)
        if step == "photo":
            return ask_place(follower, draft)
        if step == "note":
            draft.comment = ""
            return confirm(ctx, follower, draft)
        return resume(ctx, follower, draft)
    if do == "send":
        if draft.category_id is None or step_of(follower) != "ok":
            return resume(ctx, follower, draft)
        return submit(ctx, follower, draft)
    return resume(ctx, follower, draft)


def resume(ctx: Any, follower: Follower, draft: Report) -> lm.Reply:
    """Back to the first thing the draft lacks."""
    if draft.category_id is None:
        wait_for(follower, "cat", draft)
        return [ask_category(_categories(ctx))]
    if not reports.photo_count(ctx.session, draft) and step_of(follower) in ("", "cat", "photo", "ask"):
        return ask_photo(follower, draft)
    if draft.lat is None and not draft.address:
        return ask_place(follower, draft)
    return confirm(ctx, follower, draft)
