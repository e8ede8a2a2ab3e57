"""What the bot does with each kind of webhook event. No Flask here: tests and tools call it directly.

Each handler gets the event and its transaction's session (``Context``) and returns the reply
messages; ``bot.dispatch`` claims, commits and sends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import cards
from bot import directory_chat as dchat
from bot import messages as m
from bot import preferences as prefs
from bot.runtime import Runtime, Tenant
from core.models import Follower
from directory.models import Procedure
from faq import service
from faq.models import FaqEntry, QuestionLog
from line import messages as lm
from line.events import InboundEvent
from search.normalize import fold

log = logging.getLogger(__name__)


@dataclass
class Context:
    runtime: Runtime
    tenant: Tenant
    event: InboundEvent
    session: Session

    @property
    def config(self):  # type: ignore[no-untyped-def]
        return self.tenant.config


def upsert_follower(session: Session, municipality_id: int, user_id: str, status: str | None = None) -> Follower:
    follower = session.scalar(select(Follower).where(Follower.municipality_id == municipality_id,
                                                     Follower.line_user_id == user_id))
    if follower is None:
        follower = Follower(municipality_id=municipality_id, line_user_id=user_id, status=status or "following")
        session.add(follower)
    elif status and follower.status != status:
        follower.status = status
        if status == "following":
            follower.followed_at = datetime.now(UTC)
        else:
            follower.unfollowed_at = datetime.now(UTC)
    session.flush()
    return follower


CONTACT_WORDS = {"問い合わせ", "問い合わせ先", "お問い合わせ", "連絡先", "電話番号"}
MENU_WORDS = {"メニュー", "めにゅー", "menu", "ヘルプ", "へるぷ", "help", "はじめから", "最初から", "使い方"}


def disaster_mode(ctx: Context) -> bool:
    from broadcasts.models import MunicipalityState

    state = ctx.session.get(MunicipalityState, ctx.tenant.id)
    return bool(state and state.disaster_mode)


def fallback(ctx: Context) -> lm.Reply:
    """In disaster mode the fallback leads with emergencies and open shelters."""
    lead = prefs.emergency_lead(ctx.session, ctx.tenant.id) + dchat.open_shelters_lead(ctx.session, ctx.tenant.id) \
        if disaster_mode(ctx) else []
    return lead + m.fallback(ctx.config)


def command_reply(ctx: Context, text: str) -> lm.Reply | None:
    """Fixed words: menu, notice settings, current notices."""
    word = fold(text).replace(" ", "")
    if word in MENU_WORDS:
        return m.welcome(ctx.config)
    if word in prefs.NOTICE_WORDS or word in prefs.EMERGENCY_WORDS:
        return prefs.notices_reply(ctx.session, ctx.tenant.id, ctx.config, word in prefs.EMERGENCY_WORDS)
    if word in dchat.SHELTER_WORDS:
        return dchat.shelter_question(ctx.session, ctx.tenant.id, ctx.config)
    if word in dchat.AED_WORDS:
        if ctx.event.user_id and not ctx.event.in_group:
            dchat.remember(upsert_follower(ctx.session, ctx.tenant.id, ctx.event.user_id), "aed")
        return [cards.ask_location("位置情報を送ると、近くのAEDをご案内します。\n緊急のときは、まず119番に通報してください。")]
    if word in CONTACT_WORDS:
        c = ctx.config.contact
        return [lm.text(f"お問い合わせは{c.desk}へお願いします。\n電話 {c.phone}（{c.hours}）" +
                       (f"\n{c.url}" if c.url else ""))]
    if word in prefs.SETTINGS_WORDS:
        if not ctx.event.user_id or ctx.event.in_group:
            return [lm.text("配信設定は、公式アカウントとの1対1のトークで行えます。")]
        return prefs.settings_reply(ctx.config, upsert_follower(ctx.session, ctx.tenant.id, ctx.event.user_id))
    return None


def answer_text(ctx: Context, text: str) -> lm.Reply:
    if not text.strip():
        return m.input_hint(ctx.config)
    fixed = command_reply(ctx, text)
    if fixed is not None:
        return fixed
    # Match before writing anything (see bot.dispatch: SQLite's write lock is held until the commit).
    result = ctx.runtime.matchers.get(ctx.session, ctx.tenant.id, ctx.config).match(text)
    follower_id = None
    if ctx.event.user_id and not ctx.event.in_group:
        follower_id = upsert_follower(ctx.session, ctx.tenant.id, ctx.event.user_id).id
    qlog = service.record_question(ctx.session, ctx.tenant.id, text, result, follower_id=follower_id)
    qlog.line_message_id = str(ctx.event.message.get("id", ""))[:40] or None
    if result.empty_query:
        return m.input_hint(ctx.config)
    facilities = dchat.facility_intent(ctx.session, ctx.tenant.id, result.analysis)
    if facilities:
        qlog.outcome = "answer"
        return [lm.text("施設のご案内です。「予約する」から空き状況の確認と予約ができます。")] + \
            cards.facility_cards(ctx.config, facilities)
    if result.outcome == "answer" and result.top:
        reply = dchat.render_candidate(ctx.session, ctx.tenant.id, ctx.config, result.top.kind,
                                       result.top.entry_id, qlog.id)
        if reply is not None:
            return reply
    if result.outcome in ("answer", "suggest"):
        return m.suggestions(result.candidates[:3], qlog.id)
    return fallback(ctx)


def on_message(ctx: Context) -> lm.Reply:
    event = ctx.event
    if event.in_group and (ctx.config.group_policy == "silent" or not event.mentions_bot):
        return []
    if event.message_type == "text":
        return answer_text(ctx, str(event.message.get("text", "")))
    if event.message_type == "location":
        follower = upsert_follower(ctx.session, ctx.tenant.id, event.user_id) \
            if event.user_id and not event.in_group else None
        return dchat.on_location(ctx.session, ctx.tenant.id, ctx.config, follower, event.message)
    return m.non_text_hint(ctx.config, event.message_type)


def on_follow(ctx: Context) -> lm.Reply:
    if ctx.event.user_id:
        upsert_follower(ctx.session, ctx.tenant.id, ctx.event.user_id, "following")
    return prefs.emergency_lead(ctx.session, ctx.tenant.id) + m.welcome(ctx.config)


def on_unfollow(ctx: Context) -> lm.Reply:
    if ctx.event.user_id:
        upsert_follower(ctx.session, ctx.tenant.id, ctx.event.user_id, "blocked")
    return []


def _int(params: dict[str, list[str]], name: str) -> int | None:
    value = (params.get(name) or [""])[0]
    return int(value) if value.isdigit() else None


def on_postback(ctx: Context) -> lm.Reply:
    params = parse_qs(ctx.event.postback_data)
    action = (params.get("action") or [""])[0]
    tid = ctx.tenant.id
    if action == "answer":
        kind = (params.get("kind") or ["faq"])[0]
        reply = dchat.render_candidate(ctx.session, tid, ctx.config, kind, _int(params, "entry") or 0,
                                       _int(params, "q"))
        return reply if reply is not None else fallback(ctx)
    if action == "bring":
        proc = ctx.session.scalar(select(Procedure).where(Procedure.id == (_int(params, "id") or 0),
                                                          Procedure.municipality_id == tid))
        return cards.bring_list(ctx.config, proc) if proc else fallback(ctx)
    if action == "feedback":
        helpful = (params.get("v") or ["0"])[0] == "1"
        service.record_feedback(ctx.session, tid, _int(params, "q"), _int(params, "entry"), helpful)
        return m.thanks(helpful)
    if action == "category":
        name = (params.get("name") or [""])[0]
        entries = ctx.session.scalars(select(FaqEntry).where(
            FaqEntry.municipality_id == tid, FaqEntry.category == name, FaqEntry.active.is_(True))
            .order_by(FaqEntry.id).limit(12)).all()
        return m.category_questions(ctx.config, name, list(entries))
    if action == "none":
        qlog = service.get_question(ctx.session, tid, _int(params, "q") or 0)
        if qlog is not None:
            qlog.outcome = "fallback"
        return fallback(ctx)
    if action in ("prefs", "topic", "districts", "district") and ctx.event.user_id and not ctx.event.in_group:
        follower = upsert_follower(ctx.session, tid, ctx.event.user_id)
        name = (params.get("name") or [""])[0]
        if action == "districts":
            return prefs.district_choices(ctx.config)
        note = ""
        if action == "topic":
            note = prefs.toggle_topic(ctx.config, follower, name)
        elif action == "district":
            note = prefs.set_district(ctx.config, follower, name)
        return prefs.settings_reply(ctx.config, follower, note)
    if action == "notices":
        return prefs.notices_reply(ctx.session, tid, ctx.config, (params.get("emergency") or ["0"])[0] == "1")
    log.info("postback with unknown action ignored")
    return []


def on_join(ctx: Context) -> lm.Reply:
    return m.group_intro(ctx.config) if ctx.config.group_policy != "silent" else []


def on_unsend(ctx: Context) -> lm.Reply:
    """The resident took the message back: forget its text (personal data) but keep the statistics."""
    message_id = ctx.event.raw.get("unsend", {}).get("messageId") if isinstance(ctx.event.raw.get("unsend"),
                                                                                dict) else None
    if message_id:
        for qlog in ctx.session.scalars(select(QuestionLog).where(QuestionLog.municipality_id == ctx.tenant.id,
                                                                  QuestionLog.line_message_id == str(message_id))):
            qlog.text = ""
            qlog.normalized = ""
    return []


def on_acknowledge(ctx: Context) -> lm.Reply:
    """Known events the bot has nothing to say to (leave, beacon, member changes, …)."""
    return []


HANDLERS: dict[str, Callable[[Context], lm.Reply]] = {
    "message": on_message,
    "follow": on_follow,
    "unfollow": on_unfollow,
    "postback": on_postback,
    "join": on_join,
    "unsend": on_unsend,
    **{t: on_acknowledge for t in ("leave", "memberJoined", "memberLeft", "beacon", "accountLink",
                                   "videoPlayComplete", "messageEdited", "things", "membership",
                                   "activated", "deactivated", "botSuspended", "botResumed")},
}
