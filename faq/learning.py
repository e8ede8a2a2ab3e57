"""Phrasings residents teach the bot: when the switch is on, a question that N different residents answered
for themselves by tapping the same もしかして choice becomes a phrasing of that entry, so the next resident is
answered outright.

Staff stay in control: the switch is per municipality (``auto_attach_after`` in its configuration; 0 = off,
then the inbox offers the same phrasings for one-click attaching), each attachment is a new revision of the
entry (the console's history can revert it) and an audit-log entry.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import AuditLog
from faq.models import FaqEntry, QuestionLog
from faq.packs import save_entry
from search.normalize import fold

AUTHOR = "住民の選択（自動）"


def _same(a: str, b: str) -> bool:
    return fold(a).replace(" ", "") == fold(b).replace(" ", "")


def learn_from_choice(session: Session, municipality_id: int, log: QuestionLog, residents_needed: int
                      ) -> FaqEntry | None:
    """After ``log`` got a resident's choice: attach its question to the chosen entry once enough different
    residents chose that entry for the same question. Returns the entry when it learned the phrasing."""
    if residents_needed <= 0 or log.chosen_entry_id is None or not log.text.strip():
        return None
    entry = session.get(FaqEntry, log.chosen_entry_id)
    text = log.text.strip()[:200]
    if entry is None or entry.municipality_id != municipality_id or \
            any(_same(text, p) for p in [entry.question, *(entry.alt_questions or [])]):
        return None
    same = [other for other in session.scalars(select(QuestionLog).where(
        QuestionLog.municipality_id == municipality_id, QuestionLog.chosen_entry_id == entry.id,
        QuestionLog.handled.is_(False), QuestionLog.follower_id.is_not(None),
        func.length(QuestionLog.text) == len(log.text))) if _same(other.text, log.text)]
    residents = {other.follower_id for other in same}
    if len(residents) < residents_needed:
        return None
    before = entry.snapshot()
    save_entry(session, municipality_id, {**before, "alt_questions": [*(entry.alt_questions or []), text]}, AUTHOR,
               entry)
    for other in same:
        other.handled = True
    session.add(AuditLog(municipality_id=municipality_id, username=AUTHOR, action="faq_phrasing_learned",
                         object_type="faq_entry", object_id=str(entry.id), before=before,
                         after={**entry.snapshot(), "residents": len(residents)}))
    return entry
