"""What the bot does with each kind of webhook event. No Flask here: tests and tools call it directly.

Each handler gets the event and its transaction's session (``Context``) and returns the reply
messages; ``bot.dispatch`` claims, commits and sends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import cards, consultation, conversation, gomi_chat, report_chat
from bot import directory_chat as dchat
from bot import messages as m
from bot import preferences as prefs
from bot.runtime import Runtime
from bot.texts import label, t, words
from broadcasts.richmenu import current_disaster, link_resident
from core import i18n
from core.db import insert_for
from core.inputs import whole_number
from core.models import Follower
from core.tenancy import MunicipalityConfig, Tenant
from core.timeutil import utcnow
from directory.models import Procedure
from faq import learning, service
from faq.models import FaqEntry, QuestionLog
from line import messages as lm
from line.events import InboundEvent
from search.language import written_in
from search.normalize import fold

log = logging.getLogger(__name__)


@dataclass
class Context:
    runtime: Runtime
    tenant: Tenant
    event: InboundEvent
    session: Session
    known: Follower | None = None  # the resident's follower row, read once per event (see follower_row)
    looked_up: bool = False

    @property
    def config(self) -> MunicipalityConfig:
        return self.tenant.config

    def follower_row(self) -> Follower | None:
        """The follower writing in their own chat (None in groups or before their first contact), read once per
        event: handlers ask for it several times (consultation, language, feedback, preferences)."""
        if not self.looked_up:
            self.looked_up = True
            if self.event.user_id and not self.event.in_group:
                self.known = find_follower(self.session, self.tenant.id, self.event.user_id)
        return self.known


def upsert_follower(session: Session, municipality_id: int, user_id: str, status: str | None = None) -> Follower:
    """The follower row, created on first contact. A new resident's first events can arrive at the same moment
    (a question and a postback, on two workers): the row is inserted with ON CONFLICT DO NOTHING and read back, so
    the second one uses the first one's row instead of failing on the unique key (#25)."""
    query = select(Follower).where(Follower.municipality_id == municipality_id, Follower.line_user_id == user_id)
    follower = session.scalar(query)
    if follower is None:
        insert = insert_for(session)
        session.execute(insert(Follower).values(municipality_id=municipality_id, line_user_id=user_id,
                                                status=status or "following")
                        .on_conflict_do_nothing(index_elements=["municipality_id", "line_user_id"]))
        follower = session.scalar(query.execution_options(populate_existing=True))
        assert follower is not None
    if status and follower.status != status:
        follower.status = status
        if status == "following":
            follower.followed_at = utcnow()
        else:
            follower.unfollowed_at = utcnow()
    session.flush()
    return follower


def find_follower(session: Session, municipality_id: int, user_id: str | None) -> Follower | None:
    """The follower row, read only (no write before matching; see bot.dispatch)."""
    if not user_id:
        return None
    return session.scalar(select(Follower).where(Follower.municipality_id == municipality_id,
                                                 Follower.line_user_id == user_id))


CONTACT_WORDS = words("contact")
# The rich menu's よくある質問 and the words residents use for the same: the category list (not the welcome).
MENU_WORDS = words("menu")
LANGUAGE_WORDS = words("language")
LARGE_MENU_WORDS = words("large")
NORMAL_MENU_WORDS = words("normal_menu")


def disaster_lead(ctx: Context) -> lm.Reply:
    """What leads a reply in disaster mode: the emergency and open shelters in full the first time this resident
    is answered during it, a one-line pointer after that (bot.preferences.emergency_lead)."""
    lead = prefs.emergency_lead(ctx.session, ctx.tenant.id, resident(ctx))
    if lead and lead[0].get("text") == prefs.emergency_pointer():
        return lead
    return lead + dchat.open_shelters_lead(ctx.session, ctx.tenant.id)


def in_disaster(ctx: Context) -> bool:
    return current_disaster(ctx.session, ctx.tenant.id) is not None


def one_to_one(ctx: Context) -> bool:
    return bool(ctx.event.user_id) and not ctx.event.in_group


def resident(ctx: Context) -> Follower | None:
    """The follower writing in their own chat with the account (created on first contact); None in groups."""
    user_id = ctx.event.user_id
    if not user_id or ctx.event.in_group:
        return None
    known = ctx.follower_row()
    if known is None:
        known = ctx.known = upsert_follower(ctx.session, ctx.tenant.id, user_id)
    return known


def fallback(ctx: Context, repeated: bool = False) -> lm.Reply:
    """In disaster mode the fallback leads with emergencies and open shelters. A second miss in a row
    (``repeated``) gives the desk and, where enabled, the 相談 button instead of "try again"."""
    disaster = in_disaster(ctx)
    lead = disaster_lead(ctx) if disaster else []
    if repeated:
        return lead + consultation.with_offer(conversation.repeated_fallback_reply(ctx.config, disaster),
                                              ctx.config, one_to_one(ctx))
    return lead + m.fallback(ctx.config)


def command_reply(ctx: Context, text: str) -> lm.Reply | None:
    """Fixed words: menu, notice settings, current notices."""
    folded = fold(text)
    word = folded.replace(" ", "")
    if word in MENU_WORDS:
        return m.categories(ctx.config)
    if word in LANGUAGE_WORDS or word == fold(label("language.menu")).replace(" ", ""):
        return m.language_choices()
    if (word in LARGE_MENU_WORDS or word in NORMAL_MENU_WORDS) and one_to_one(ctx):
        return large_menu(ctx, word in LARGE_MENU_WORDS)
    if conversation.is_greeting(folded):
        return conversation.greeting_reply(ctx.config)
    if conversation.is_thanks(folded):
        return conversation.thanks_reply()
    if conversation.wants_a_person(folded):
        return consultation.with_offer(conversation.person_reply(ctx.config, in_disaster(ctx)), ctx.config,
                                       one_to_one(ctx))
    if word in prefs.NOTICE_WORDS or word in prefs.EMERGENCY_WORDS:
        return prefs.notices_reply(ctx.session, ctx.tenant.id, ctx.config, word in prefs.EMERGENCY_WORDS,
                                   ctx.follower_row())
    if word in dchat.SHELTER_WORDS:
        return dchat.shelter_question(ctx.session, ctx.tenant.id, ctx.config)
    if word in dchat.AED_WORDS:
        if ctx.event.user_id and not ctx.event.in_group:
            dchat.remember(resident(ctx), "aed")
        return [cards.ask_location(t("aed.ask"))]
    if word in CONTACT_WORDS:
        return consultation.with_offer(conversation.contact_reply(ctx.config, in_disaster(ctx)), ctx.config,
                                       one_to_one(ctx))
    if word in prefs.SETTINGS_WORDS:
        if not ctx.event.user_id or ctx.event.in_group:
            return [lm.text(t("settings.one_to_one"))]
        follower = resident(ctx)
        assert follower is not None
        return prefs.settings_reply(ctx.config, follower)
    return None


def answer_text(ctx: Context, text: str) -> lm.Reply:
    if not text.strip():
        return m.input_hint(ctx.config)
    if fold(text).replace(" ", "") in MENU_WORDS:
        return m.categories(ctx.config)
    if one_to_one(ctx) and ctx.config.consultation:
        known = ctx.follower_row()
        taken = consultation.take_message(ctx.session, ctx.tenant.id, ctx.config, known, text, dchat.pending(known))
        if taken is not None:
            return taken
    known = ctx.follower_row() if one_to_one(ctx) else None
    if known is not None:
        taken = report_chat.take_text(ctx, known, text)
        if taken is not None:
            return taken
    fixed = command_reply(ctx, text)
    if fixed is not None:
        return fixed
    if conversation.is_distress(text) and in_disaster(ctx):
        return distress(ctx)
    report = report_reply(ctx, text)
    if report is not None:
        return report
    gomi = gomi_reply(ctx, text)
    if gomi is not None:
        return gomi
    # Match before writing anything (see bot.dispatch: SQLite's write lock is held until the commit).
    result = ctx.runtime.matchers.get(ctx.session, ctx.tenant.id, ctx.config).match(text, hint=i18n.current())
    follower = resident(ctx)
    qlog = service.record_question(ctx.session, ctx.tenant.id, text, result,
                                   follower_id=follower.id if follower else None)
    qlog.line_message_id = str(ctx.event.message.get("id", ""))[:40] or None
    qlog.language = question_language(result.language)
    if i18n.current() != i18n.JA:  # the answer's translation is chosen in the language they wrote in first
        i18n.note_written(written_in(text, result.language))
    if result.empty_query:
        return m.input_hint(ctx.config)
    if dchat.asks_for_open_shelters(ctx.session, ctx.tenant.id, result.analysis):
        qlog.outcome = "answer"
        return dchat.shelter_question(ctx.session, ctx.tenant.id, ctx.config)
    facilities = dchat.facility_intent(ctx.session, ctx.tenant.id, result.analysis)
    if facilities:
        qlog.outcome = "answer"
        return [lm.text(t("facilities.intro"))] + \
            cards.facility_cards(ctx.config, facilities)
    events = dchat.smartphone_events(ctx.session, ctx.tenant.id, result.analysis)
    if result.outcome == "answer" and result.top:
        reply = dchat.render_candidate(ctx.session, ctx.tenant.id, ctx.config, result.top.kind,
                                       result.top.entry_id, qlog.id, conversation.ask_feedback(follower) and not events)
        if reply is not None:
            return (reply + events)[:5]
    if result.outcome in ("answer", "suggest"):
        return events + m.suggestions(result.candidates[:3], qlog.id, translated_questions(ctx, result.candidates[:3]))
    if events:  # nothing in the knowledge base, but the city's smartphone classes answer it
        qlog.outcome = "answer"
        return events
    return fallback(ctx, repeated=service.fallbacks_before(ctx.session, ctx.tenant.id, qlog) >= 1)


def distress(ctx: Context) -> lm.Reply:
    """A resident in danger while a disaster is on: the emergency first, then 119 and the disaster desk, then the
    open shelters with the button that finds the nearest — never a closed desk or もしかして (#26)."""
    lead = prefs.emergency_lead(ctx.session, ctx.tenant.id, resident(ctx))
    return (lead + conversation.distress_reply(ctx.config) +
            dchat.shelter_question(ctx.session, ctx.tenant.id, ctx.config))[:5]


def report_reply(ctx: Context, text: str) -> lm.Reply | None:
    """通報 (bot.report_chat): 「通報する」, or a problem in the street (「街灯が切れてる」); None for the others."""
    wanted, category = report_chat.wants_to_report(ctx, text)
    if not wanted:
        return None
    if not one_to_one(ctx):
        return [lm.text(t("report.one_to_one"))] if category is None else None
    follower = resident(ctx)
    qlog = service.record_answered_elsewhere(ctx.session, ctx.tenant.id, text, "通報",
                                             follower_id=follower.id if follower else None,
                                             language=i18n.current() if i18n.current() != i18n.JA else None)
    qlog.line_message_id = str(ctx.event.message.get("id", ""))[:40] or None
    return report_chat.start(ctx, follower, category)


def postback_report(ctx: Context, params: Params) -> lm.Reply:
    return report_chat.postback(ctx, params, resident(ctx) if one_to_one(ctx) else None)


def gomi_reply(ctx: Context, text: str) -> lm.Reply | None:
    """ごみ (bot.gomi_chat): the 町名 the bot asked for, or a collection-day / 何ごみ question; None for the FAQ."""
    if one_to_one(ctx):
        known = ctx.follower_row()
        waiting = dchat.pending(known)
        if known is not None and waiting.startswith(gomi_chat.PENDING):
            taken = gomi_chat.take_area(ctx, text, known, waiting)
            if taken is not None:
                return taken
    reply = gomi_chat.reply(ctx, text, lambda: resident(ctx) if one_to_one(ctx) else None)
    if reply is not None:
        follower = ctx.follower_row() if one_to_one(ctx) else None
        qlog = service.record_answered_elsewhere(ctx.session, ctx.tenant.id, text, "ごみ",
                                                 follower_id=follower.id if follower else None,
                                                 language=i18n.current() if i18n.current() != i18n.JA else None)
        qlog.line_message_id = str(ctx.event.message.get("id", ""))[:40] or None
    return reply


def postback_gomi(ctx: Context, params: Params) -> lm.Reply:
    return gomi_chat.postback(ctx, params, resident(ctx) if one_to_one(ctx) else None)


def question_language(script: str) -> str | None:
    """What the inbox shows as a question's language: the resident's when they chose one and wrote in another
    script than Japanese, else the script (ko, zh, latin…); None for Japanese."""
    if script == "ja":
        return None
    resident_lang = i18n.current()
    return resident_lang if resident_lang not in (i18n.JA, i18n.EASY) else script


def translated_questions(ctx: Context, candidates: list) -> dict[int, str]:
    """The もしかして questions in the resident's language, where the entries have them (Japanese: none)."""
    if i18n.current() == i18n.JA:
        return {}
    ids = [c.entry_id for c in candidates if c.kind == "faq"]
    entries = ctx.session.scalars(select(FaqEntry).where(FaqEntry.municipality_id == ctx.tenant.id,
                                                         FaqEntry.id.in_(ids))).all() if ids else []
    return {e.id: m.question_of(e) for e in entries}


def on_message(ctx: Context) -> lm.Reply:
    event = ctx.event
    if event.in_group and (ctx.config.group_policy == "silent" or not event.mentions_bot):
        return []
    if event.message_type == "text":
        return answer_text(ctx, str(event.message.get("text", "")))
    if event.message_type == "image" and one_to_one(ctx) and report_chat.offered(ctx):
        return report_chat.take_photo(ctx, ctx.follower_row() or resident(ctx), event.message)
    if event.message_type == "location":
        follower = resident(ctx)
        taken = report_chat.take_location(ctx, follower, event.message)
        if taken is not None:
            return taken
        return dchat.on_location(ctx.session, ctx.tenant.id, ctx.config, follower, event.message)
    return m.non_text_hint(ctx.config, event.message_type)


def on_follow(ctx: Context) -> lm.Reply:
    """Welcome in the resident's language: one they chose earlier, else their LINE profile's (asked once per
    follow; LINE leaves it out without the user's consent, and then it is Japanese)."""
    known = ctx.follower_row()
    profile = None
    if one_to_one(ctx) and (known is None or known.language_source != "chosen"):
        profile = ctx.runtime.line_client(ctx.config.slug).profile_language(str(ctx.event.user_id))
    if ctx.event.user_id:
        followed = upsert_follower(ctx.session, ctx.tenant.id, ctx.event.user_id, "following")
        ctx.known = followed if one_to_one(ctx) else None
    follower = resident(ctx)
    if follower is not None:
        follower.emergency_seen_id = None  # a new (or returning) friend reads the emergency in full
        if profile is not None:
            follower.language, follower.language_source = i18n.resolve(profile), "profile"
    before = known.language if known is not None else None
    if follower is not None and (follower.language not in (None, i18n.JA) or follower.menu == "large"
                                 or before not in (None, i18n.JA)):  # (back to Japanese: the default menu again)
        show_menu(ctx, follower)
    with i18n.using(follower.language if follower is not None else None):
        return prefs.emergency_lead(ctx.session, ctx.tenant.id, follower) + m.welcome(ctx.config)


def show_menu(ctx: Context, follower: Follower) -> None:
    """Link the rich menu in the resident's language (or with large buttons) to them."""
    link_resident(ctx.session, ctx.tenant.id, ctx.runtime.line_client(ctx.config.slug), follower.line_user_id,
                  follower.language, follower.menu == "large")


def large_menu(ctx: Context, on: bool) -> lm.Reply:
    """「大きな文字」: the large-button menu (4 big buttons, the main desk's phone among them), or back."""
    follower = resident(ctx)
    if follower is None:
        return []
    follower.menu = "large" if on else None
    show_menu(ctx, follower)
    return [lm.text(t("buttons.large_on" if on else "buttons.large_off"))]


def on_unfollow(ctx: Context) -> lm.Reply:
    if ctx.event.user_id:
        upsert_follower(ctx.session, ctx.tenant.id, ctx.event.user_id, "blocked")
    return []


class Params:
    """A postback's query string (``action=answer&entry=12&q=34``), read leniently: a missing or odd value is
    the default, never an exception."""

    def __init__(self, data: str) -> None:
        self._params = parse_qs(data)

    def text(self, name: str, default: str = "") -> str:
        return (self._params.get(name) or [default])[0]

    def number(self, name: str) -> int | None:
        return whole_number(self.text(name))


def postback_answer(ctx: Context, params: Params) -> lm.Reply:
    """A もしかして choice or a category list item: show that entry's answer (or card). A choice made for the
    resident's own question is remembered as a confirmed pair (faq.service.record_choice)."""
    kind, entry_id, log_id = params.text("kind", "faq"), params.number("entry") or 0, params.number("q")
    follower = resident(ctx)
    reply = dchat.render_candidate(ctx.session, ctx.tenant.id, ctx.config, kind, entry_id, log_id,
                                   conversation.ask_feedback(follower))
    if reply is None:
        return fallback(ctx)
    if kind == "faq" and log_id and follower is not None:
        qlog = service.record_choice(ctx.session, ctx.tenant.id, log_id, entry_id, follower.id)
        if qlog is not None and learning.learn_from_choice(ctx.session, ctx.tenant.id, qlog,
                                                           ctx.config.auto_attach_after):
            log.info("phrasing learned from residents' choices entry=%s", entry_id)
    return reply


def postback_more(ctx: Context, params: Params) -> lm.Reply:
    """「続きを読む」: the next screen of a long answer (the links and 解決しましたか？ come with the last)."""
    entry = service.get_entry(ctx.session, ctx.tenant.id, params.number("entry") or 0)
    if entry is None:
        return fallback(ctx)
    # whether to ask 解決しましたか？ was decided (and remembered) when the answer's first screen was shown
    return m.answer(ctx.config, entry, params.number("q"), params.text("ask") == "1", part=params.number("part") or 0)


def postback_bring(ctx: Context, params: Params) -> lm.Reply:
    proc = ctx.session.scalar(select(Procedure).where(Procedure.id == (params.number("id") or 0),
                                                      Procedure.municipality_id == ctx.tenant.id))
    return cards.bring_list(ctx.config, proc) if proc else fallback(ctx)


def postback_feedback(ctx: Context, params: Params) -> lm.Reply:
    helpful = params.text("v", "0") == "1"
    follower = ctx.follower_row()
    service.record_feedback(ctx.session, ctx.tenant.id, params.number("q"), params.number("entry"), helpful,
                            follower.id if follower else None)
    if helpful:
        return m.solved()
    return consultation.with_offer(conversation.not_solved_reply(ctx.config, in_disaster(ctx)), ctx.config,
                                   one_to_one(ctx))


def postback_consult(ctx: Context, params: Params) -> lm.Reply:
    """相談する / やめる / 相談を終える (one resident's own chat, where the municipality offers it)."""
    follower = resident(ctx) if ctx.config.consultation else None
    if follower is None:
        return []
    if params.text("cancel") == "1":
        if dchat.pending(follower) == consultation.PENDING:
            follower.pending_lookup = None
        return consultation.cancelled()
    if params.text("end") == "1":
        return consultation.end(ctx.session, ctx.tenant.id, follower)
    dchat.remember(follower, consultation.PENDING)
    return consultation.ask_for_request(ctx.config, in_disaster(ctx))


def postback_category(ctx: Context, params: Params) -> lm.Reply:
    name = params.text("name")
    entries = ctx.session.scalars(select(FaqEntry).where(
        FaqEntry.municipality_id == ctx.tenant.id, FaqEntry.category == name, FaqEntry.active.is_(True))
        .order_by(FaqEntry.id).limit(12)).all()
    return m.category_questions(ctx.config, name, list(entries))


def postback_none(ctx: Context, params: Params) -> lm.Reply:
    """どれも違う: the question was not answered after all."""
    qlog = service.get_question(ctx.session, ctx.tenant.id, params.number("q") or 0)
    if qlog is not None:
        qlog.outcome = "fallback"
    return fallback(ctx)


def postback_preferences(ctx: Context, params: Params) -> lm.Reply:
    """配信設定: show them, choose a district, toggle a topic, set the district (one resident, not a group)."""
    if not ctx.event.user_id or ctx.event.in_group:
        return []
    follower = resident(ctx)
    assert follower is not None
    action, name = params.text("action"), params.text("name")
    if action == "districts":
        return prefs.district_choices(ctx.config)
    note = ""
    if action == "topic":
        note = prefs.toggle_topic(ctx.config, follower, name)
    elif action == "district":
        note = prefs.set_district(ctx.config, follower, name)
    return prefs.settings_reply(ctx.config, follower, note)


def postback_language(ctx: Context, params: Params) -> lm.Reply:
    """「Language / 言語」: the languages to choose from; a choice is kept (never overwritten by the profile) and
    answered in the new language."""
    code = params.text("code")
    if not code or code not in i18n.LANGUAGES:
        return m.language_choices()
    follower = resident(ctx)
    if follower is None:
        return []
    follower.language, follower.language_source = code, "chosen"
    show_menu(ctx, follower)
    with i18n.using(code):
        return [lm.text(t("language.set"), m.menu_items(ctx.config))]


def postback_notices(ctx: Context, params: Params) -> lm.Reply:
    return prefs.notices_reply(ctx.session, ctx.tenant.id, ctx.config, params.text("emergency", "0") == "1",
                               ctx.follower_row(), params.number("part") or 0)


POSTBACKS: dict[str, Callable[[Context, Params], lm.Reply]] = {
    "answer": postback_answer,
    "bring": postback_bring,
    "more": postback_more,
    "feedback": postback_feedback,
    "consult": postback_consult,
    "category": postback_category,
    "none": postback_none,
    **dict.fromkeys(("prefs", "topic", "districts", "district"), postback_preferences),
    "notices": postback_notices,
    "language": postback_language,
    "gomi": postback_gomi,
    "report": postback_report,
    "large": lambda ctx, params: large_menu(ctx, params.text("on", "1") == "1"),
}


def on_postback(ctx: Context) -> lm.Reply:
    params = Params(ctx.event.postback_data)
    handler = POSTBACKS.get(params.text("action"))
    if handler is None:
        log.info("postback with unknown action ignored")
        return []
    return handler(ctx, params)


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
