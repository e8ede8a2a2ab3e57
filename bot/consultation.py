"""相談 in the chat: offering it, taking the request, and what a resident in an open consultation sees.

A resident who wants a person (「人と話したい」, two questions in a row the bot could not answer, or
「解決しなかった」 after an answer) is given the desk — and, where the municipality enables it
(``consultation: true``), a 「相談する」 button. Tapping it asks for the request in one message; that
message opens a consultation (desk/service.py) that staff answer by push from the console. While it is
open, what the resident writes goes to staff, not to the knowledge base, until they end it or it lapses.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot import conversation
from bot.texts import label, t
from core.models import Follower
from core.tenancy import MunicipalityConfig
from desk import service as desk
from line import messages as lm

PENDING = "consult"


def offer_items(config: MunicipalityConfig, one_to_one: bool) -> list[dict[str, Any]]:
    """The 「相談する」 quick reply, where consultations are on and the chat is with one resident."""
    if not config.consultation or not one_to_one:
        return []
    return [lm.postback_item(label("consult.offer_label"), lm.postback_data("consult"), label("consult.offer_display"))]


def with_offer(reply: lm.Reply, config: MunicipalityConfig, one_to_one: bool) -> lm.Reply:
    """``reply`` with the 相談 button added to its last text message's quick replies."""
    items = offer_items(config, one_to_one)
    if not items or not reply or reply[-1].get("type") != "text":
        return reply
    last = dict(reply[-1])
    existing = list((last.get("quickReply") or {}).get("items", []))
    last["quickReply"] = {"items": (existing + items)[:13]}
    return [*reply[:-1], last]


def ask_for_request(config: MunicipalityConfig, in_disaster: bool) -> lm.Reply:
    contact = conversation.desk_for(config, in_disaster)
    return [lm.text(t("consult.ask", hours=contact.hours, desk=contact.desk, phone=contact.phone),
                    [lm.postback_item(label("consult.cancel_label"), lm.postback_data("consult", cancel=1),
                                      label("consult.cancel_display"))])]


def received(config: MunicipalityConfig, consultation_id: int, first: bool) -> lm.Reply:
    end = [lm.postback_item(label("consult.end_label"), lm.postback_data("consult", end=1), label("consult.end_label"))]
    if first:
        return [lm.text(t("consult.received_first", number=consultation_id), end)]
    return [lm.text(t("consult.received_more"), end)]


def ended() -> lm.Reply:
    return [lm.text(t("consult.ended"))]


def cancelled() -> lm.Reply:
    return [lm.text(t("consult.cancelled"))]


def take_message(session: Session, municipality_id: int, config: MunicipalityConfig, follower: Follower | None,
                 text: str, pending: str) -> lm.Reply | None:
    """A text that belongs to a consultation (the request the bot asked for, or a message while one is open):
    the reply; None when the text is a question for the bot."""
    if follower is None or not config.consultation:
        return None
    open_one = desk.active_for(session, municipality_id, follower.id)
    if open_one is None and pending != PENDING:
        return None
    if pending == PENDING:
        follower.pending_lookup = None
    consultation = desk.add_resident_message(session, municipality_id, follower.id, text)
    return received(config, consultation.id, first=open_one is None)


def end(session: Session, municipality_id: int, follower: Follower) -> lm.Reply:
    consultation = desk.active_for(session, municipality_id, follower.id)
    if consultation is not None:
        desk.close(consultation, "住民")
    return ended()
