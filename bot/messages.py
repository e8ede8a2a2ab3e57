"""The bot's own replies in its words: welcome, answer, もしかして, fallback, hints (LINE JSON as dicts).

Built with the generic builders of line/messages.py, which keep LINE's limits; a reply is at most five
messages. Kept as data so tests assert on exactly what residents see.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot.texts import japanese, label, t
from core import i18n
from core.tenancy import MunicipalityConfig
from line.messages import Message, link_buttons, postback_data, postback_item, text


def category_menu(config: MunicipalityConfig) -> list[dict[str, Any]]:
    return [postback_item(c, postback_data("category", name=c), label("category.display", category=c))
            for c in config.main_categories]


def language_item() -> dict[str, Any]:
    """「Language / 言語」: the same words in every language, so a resident can always find it."""
    return postback_item(label("language.menu"), postback_data("language"), label("language.menu"))


def large_item() -> dict[str, Any]:
    """The large-button menu, offered where residents look (elderly residents did not find it, #26)."""
    return postback_item(label("buttons.large_label"), postback_data("large", on=1), label("buttons.large_label"))


def menu_items(config: MunicipalityConfig) -> list[dict[str, Any]]:
    """The fields to browse, 文字を大きく and 「Language / 言語」 (LINE shows at most 13 quick replies)."""
    return [*category_menu(config)[:11], large_item(), language_item()]


def welcome(config: MunicipalityConfig) -> list[Message]:
    """The municipality's own greeting in Japanese; the catalog's in other languages (with what works best)."""
    greeting = config.greeting if japanese() else t("welcome.greeting", city=config.name)
    body = greeting
    for more in (t("welcome.more"), t("welcome.language_hint")):
        body = body + "\n\n" + more if more else body
    return [text(body, menu_items(config))]


def categories(config: MunicipalityConfig) -> list[Message]:
    """よくある質問 / メニュー: the fields to browse (the welcome is for following, not for every tap)."""
    return [text(t("categories"), menu_items(config))]


def feedback_items(entry_id: int, log_id: int | None) -> list[dict[str, Any]]:
    return [
        postback_item(label("feedback.yes_label"), postback_data("feedback", v=1, entry=entry_id, q=log_id),
                      label("feedback.yes_display")),
        postback_item(label("feedback.no_label"), postback_data("feedback", v=0, entry=entry_id, q=log_id),
                      label("feedback.no_display")),
    ]


def feedback_question(entry_id: int, log_id: int | None) -> Message:
    return text(t("feedback.question"), feedback_items(entry_id, log_id))


def translation(entry: Any) -> dict[str, str] | None:
    """The entry's question and answer in the reply's language, when the knowledge base has them."""
    found = getattr(entry, "translations", None) or {}
    offered = {k for k, v in found.items() if isinstance(v, dict) and v.get("answer")}
    code = next((c for c in i18n.content_chain(i18n.current()) if c in offered), None)
    return found[code] if code else None


def question_of(entry: Any) -> str:
    """The entry's question as the resident reads it: translated when it can be, else the Japanese."""
    found = translation(entry)
    return (found or {}).get("question") or entry.question


# What fits one phone screen, in display columns (a kanji or kana is two, a Latin letter one): about 250 Japanese
# characters. A longer answer is shown a screen at a time with 「続きを読む」, so nobody scrolls through a wall of text.
SCREEN = 500
SENTENCE_END = re.compile(r"(?<=[。！？!?\n])|(?<=\. )")


def columns(value: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in value)


def screens(body: str, limit: int = SCREEN) -> list[str]:
    """``body`` cut into screens at sentence ends (a sentence longer than a screen is cut where it must)."""
    parts: list[str] = []
    current = ""
    for sentence in (p for p in SENTENCE_END.split(body) if p):
        while columns(sentence) > limit:
            cut = next(i for i in range(len(sentence), 0, -1) if columns(sentence[:i]) <= limit)
            if current.strip():
                parts.append(current.strip())
                current = ""
            parts.append(sentence[:cut].strip())
            sentence = sentence[cut:]
        if current and columns(current + sentence) > limit:
            parts.append(current.strip())
            current = ""
        current += sentence
    if current.strip():
        parts.append(current.strip())
    return parts or [body]


def answer(config: MunicipalityConfig, entry: Any, log_id: int | None, ask: bool = True, part: int = 0
           ) -> list[Message]:
    """The answer, link buttons when the entry has links, then (when ``ask``) 解決しましたか？ with 👍/👎.

    In another language: the entry's translation when it has one; otherwise the Japanese answer and a line in
    the resident's language saying so, with the desk to call. A long answer comes one screen (``part``) at a time:
    「続きを読む」 brings the next; the links and the question come with the last."""
    found = translation(entry)
    body = config.fill(found["answer"] if found else entry.answer)
    contact = " ".join(p for p in (entry.department, config.fill(entry.contact)) if p)
    if contact:
        body += "\n\n" + t("answer.contact", contact=contact)
    if found is None and not japanese():
        body += "\n\n" + t("answer.japanese_only", desk=config.contact.desk, phone=config.contact.phone)
    pages = screens(body)
    part = max(0, min(part, len(pages) - 1))
    if part < len(pages) - 1:
        more = postback_item(label("answer.more"), postback_data("more", entry=entry.id, part=part + 1, q=log_id,
                                                                  ask=int(ask)), label("answer.more"))
        return [text(f"{pages[part]}\n\n（{part + 1}/{len(pages)}）", [more])]
    messages: list[Message] = [text(pages[part] if len(pages) == 1 else f"{pages[part]}\n\n（{part + 1}/{len(pages)}）")]
    links = filled_links(config, entry.links or [])
    if links:
        messages.append(link_buttons(label("answer.links"), question_of(entry), links))
    if ask:
        messages.append(feedback_question(entry.id, log_id))
    return messages


def filled_links(config: MunicipalityConfig, links: list[dict[str, str]]) -> list[dict[str, str]]:
    """Links with the municipality's placeholders ({city_url}, …) filled in; a link whose URL is not http(s) or
    tel once filled (a placeholder this municipality has no value for) is left out."""
    filled = [{**link, "url": config.fill(link["url"])} for link in links]
    return [link for link in filled if link["url"].startswith(("https://", "http://", "tel:"))]


def suggestions(candidates: list[Any], log_id: int | None, questions: dict[int, str] | None = None
                ) -> list[Message]:
    """もしかして: the candidates' questions (``questions``: FAQ entry id -> the question in the resident's
    language, where the knowledge base has it)."""
    shown = [(questions or {}).get(c.entry_id, c.question) if c.kind == "faq" else c.question for c in candidates]
    lines = "\n".join(f"{i}. {q}" for i, q in enumerate(shown, 1))
    items = [postback_item(f"{i}. {q}", postback_data(
        "answer", entry=c.entry_id, q=log_id, kind=None if c.kind == "faq" else c.kind), q)
        for i, (c, q) in enumerate(zip(candidates, shown, strict=True), 1)]
    items.append(postback_item(label("suggest.none"), postback_data("none", q=log_id), label("suggest.none")))
    return [text(t("suggest.body", lines=lines), items)]


def fallback(config: MunicipalityConfig) -> list[Message]:
    c = config.contact
    return [text(t("fallback.body", desk=c.desk, phone=c.phone, hours=c.hours), category_menu(config))]


def input_hint(config: MunicipalityConfig) -> list[Message]:
    return [text(t("hint.input"), category_menu(config))]


KINDS = ("sticker", "image", "video", "audio", "file", "location")


def non_text_hint(config: MunicipalityConfig, kind: str) -> list[Message]:
    if kind == "sticker":  # a sticker is a greeting, not a question the bot failed (#26)
        return [text(t("hint.sticker"), menu_items(config))]
    what = t(f"kind.{kind}" if kind in KINDS else "kind.other")
    return [text(t("hint.non_text", what=what), category_menu(config))]


def category_questions(config: MunicipalityConfig, category: str, entries: list[Any]) -> list[Message]:
    if not entries:
        return fallback(config)
    shown = [question_of(e) for e in entries[:12]]
    items = [postback_item(q, postback_data("answer", entry=e.id), q) for e, q in zip(entries, shown, strict=False)]
    lines = "\n".join(f"・{q}" for q in shown)
    return [text(t("category.intro", category=category, lines=lines), items)]


def solved() -> list[Message]:
    return [text(t("feedback.thanks"))]


def group_intro(config: MunicipalityConfig) -> list[Message]:
    return [text(t("group_intro", city=config.name))]


def language_choices() -> list[Message]:
    """The languages the bot speaks, each named in itself."""
    items = [postback_item(name, postback_data("language", code=code), name)
             for code, name in i18n.LANGUAGES.items()]
    return [text(label("language.menu") + "\n" + t("language.ask"), items)]
