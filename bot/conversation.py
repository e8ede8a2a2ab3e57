"""Conversation basics: greetings and thanks get a short friendly reply, and a resident who wants a person
is given the desk (name, phone, hours — and whether it is open now).

These are not questions for the knowledge base: they are answered before matching, so they never reach the
unanswered inbox. A message counts as a greeting or thanks only when it is nothing else (こんにちは、住民票を
取りたい is a question and goes to the knowledge base).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot import messages as m
from bot.texts import t, words
from core.models import Follower
from core.tenancy import Contact, MunicipalityConfig
from core.timeutil import as_utc, local, utcnow
from line import messages as lm
from search.normalize import fold

GREETING = re.compile(r"(こんにちは|こんにちわ|こんばんは|こんばんわ|おはよう(ございます)?|はじめまして|よろしく(おねがいします|お願いします)?"
                      r"|どうも|やあ|hello|hi|hey|你好|您好|안녕하세요|안녕|xinchào|chào|olá|ola|oi|kumusta|halo|namaste)+"
                      r"(です|ございます)?[ーっ!！]*")
THANKS = re.compile(r"((どうも)?ありがと(う|ー)?(ございます|ございました)?|助かりました|助かった|たすかりました|たすかった"
                    r"|感謝(します|しています)?|お世話になりました|thanks?|thankyou|サンキュー|さんきゅー|谢谢|謝謝|감사합니다|고마워요"
                    r"|cảmơn|obrigad[oa]|salamat|terimakasih)+[ーっ!！]*(です)?")
PERSON = re.compile(r"(人|ひと|職員(さん)?|担当(者|の方)?|オペレーター|窓口の?人|誰か)(と|に)(話|はな|相談|そうだん|つないで|代わって)"
                    r"|電話(したい|で(聞|き|相談|そうだん|話))|でんわ(したい|で)|直接(聞|話|相談)|有人")
HOURS = re.compile(r"(平日|毎日|月[〜~-]金)?\s*(\d{1,2}):(\d{2})\s*[〜~-]\s*(\d{1,2}):(\d{2})")


def _only(pattern: re.Pattern[str], folded: str) -> bool:
    return bool(folded) and pattern.fullmatch(folded.replace(" ", "")) is not None


def is_greeting(folded: str) -> bool:
    return _only(GREETING, folded)


def is_thanks(folded: str) -> bool:
    return _only(THANKS, folded)


def wants_a_person(folded: str) -> bool:
    return PERSON.search(folded.replace(" ", "")) is not None and len(folded) <= 40


# Danger and distress while a disaster is on (「家に水が入ってきた どうしよう」「こわい、今すぐ逃げたほうがいい？」): these are
# answered with what to do now — 119, the disaster desk, open shelters — never with a closed desk or もしかして (#26).
DISTRESS = re.compile(
    r"水が入|水がはい|浸水|しんすい|水があふれ|川があふれ|氾濫|はんらん|冠水|逃げ|にげ|避難した方|避難したほう|避難すべき|"
    r"避難しなきゃ|こわい|怖い|恐い|助けて|たすけて|火事|燃えて|土砂|崩れ|くずれ|崖|流され|閉じ込め|とじこめ|"
    r"けがをし|けがした|ケガ|怪我|動けない|うごけない|津波|つなみ|倒れた|埋まっ")
DISTRESS_WORDS = words("distress")


def is_distress(text: str) -> bool:
    folded = fold(text)
    return DISTRESS.search(folded.replace(" ", "")) is not None or \
        any(word in f" {folded} " for word in (f" {w} " for w in DISTRESS_WORDS))


def distress_reply(config: MunicipalityConfig) -> lm.Reply:
    """In disaster mode, a resident in danger: call 119 when life is at risk, the disaster desk (24 hours), and
    the open shelters with the button that finds the nearest (the handler adds them)."""
    return [lm.text(t("distress.body", desk=desk_text(desk_for(config, True))))]


def intent_of(text: str) -> str | None:
    """greeting / thanks / person for conversation the bot answers itself, None for a question (the eval's
    conversation cases in eval/demo_paraphrases.yaml run through this, as the webhook does)."""
    folded = fold(text)
    if is_greeting(folded):
        return "greeting"
    if is_thanks(folded):
        return "thanks"
    if wants_a_person(folded):
        return "person"
    return None


def open_now(hours: str, now: datetime | None = None) -> bool | None:
    """Whether a desk with these hours (平日 8:30〜17:15, 毎日 9:00〜17:00, 24時間) is open now, in the
    deployment's time zone; None when the hours are written in a way this does not understand."""
    if "24時間" in hours:
        return True
    match = HOURS.search(hours)
    if match is None:
        return None
    shown = local(now or utcnow())
    assert shown is not None
    weekdays_only = match.group(1) in ("平日", "月〜金", "月~金", "月-金")
    if weekdays_only and shown.weekday() >= 5:
        return False
    start = int(match.group(2)) * 60 + int(match.group(3))
    end = int(match.group(4)) * 60 + int(match.group(5))
    return start <= shown.hour * 60 + shown.minute < end


def greeting_reply(config: MunicipalityConfig) -> lm.Reply:
    return [lm.text(t("greeting", city=config.name), m.menu_items(config))]


def thanks_reply() -> lm.Reply:
    return [lm.text(t("thanks"))]


def desk_text(contact: Contact, now: datetime | None = None) -> str:
    """The desk with its phone and hours, and whether it answers the phone right now."""
    text = t("desk.phone", desk=contact.desk, phone=contact.phone, hours=contact.hours)
    if open_now(contact.hours, now) is False:
        text += "\n\n" + t("desk.closed_now")
    if contact.url:
        text += f"\n{contact.url}"
    return text


def desk_for(config: MunicipalityConfig, in_disaster: bool) -> Contact:
    """The desk residents are sent to: the disaster desk while disaster mode is on, if there is one."""
    return config.disaster_contact if in_disaster and config.disaster_contact else config.contact


def person_reply(config: MunicipalityConfig, in_disaster: bool = False) -> lm.Reply:
    return [lm.text(t("desk.person", desk=desk_text(desk_for(config, in_disaster))))]


def contact_reply(config: MunicipalityConfig, in_disaster: bool = False) -> lm.Reply:
    return [lm.text(t("desk.contact", desk=desk_text(desk_for(config, in_disaster))))]


# 解決しましたか？ is asked after an answer at most once in this long per resident: a resident reading
# through several answers is asked once, not after every message.
ASK_FEEDBACK_EVERY = timedelta(minutes=30)


def ask_feedback(follower: Follower | None, now: datetime | None = None) -> bool:
    """Whether to ask 解決しましたか？ after this answer (never in groups, where there is no follower); asking
    is remembered on the follower."""
    if follower is None:
        return False
    now = now or utcnow()
    if follower.feedback_asked_at is not None and now - as_utc(follower.feedback_asked_at) < ASK_FEEDBACK_EVERY:
        return False
    follower.feedback_asked_at = now
    return True


def not_solved_reply(config: MunicipalityConfig, in_disaster: bool = False) -> lm.Reply:
    """👎 after an answer: sorry, try other words, or the desk."""
    return [lm.text(t("feedback.not_solved", desk=desk_text(desk_for(config, in_disaster))))]


def repeated_fallback_reply(config: MunicipalityConfig, in_disaster: bool = False) -> lm.Reply:
    """The second question in a row the bot cannot answer: stop guessing and give the right desk."""
    return [lm.text(t("fallback.repeated", desk=desk_text(desk_for(config, in_disaster))), m.category_menu(config))]
