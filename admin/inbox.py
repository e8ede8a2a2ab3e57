"""The growth loop: group unanswered questions (fallbacks and 👎) by similarity, most frequent first; the
answers residents said did not solve their question (👎), per FAQ entry; and the もしかして choices they confirmed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.inputs import whole_number
from core.timeutil import utcnow
from faq.models import FaqEntry, Feedback, QuestionLog
from search.normalize import fold

SIMILAR = 72  # rapidfuzz token_set_ratio on normalized words


@dataclass
class Group:
    representative: str
    normalized: str
    logs: list[QuestionLog] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.logs)

    @property
    def newest(self) -> datetime:
        return max(log.created_at for log in self.logs)

    @property
    def texts(self) -> list[str]:
        return list(dict.fromkeys(log.text for log in self.logs))

    @property
    def ids(self) -> str:
        return ",".join(str(log.id) for log in self.logs)

    @property
    def languages(self) -> list[str]:
        """The languages these questions were asked in, other than Japanese (QuestionLog.language)."""
        return sorted({log.language for log in self.logs if log.language})

    @property
    def candidate_ids(self) -> list[int]:
        """FAQ entries the bot itself proposed for these questions, best first (summed scores): the
        "attach to" choice starts there, not at the alphabetically first entry."""
        scores: dict[int, float] = {}
        for log in self.logs:
            for c in log.candidates or []:
                if c.get("kind", "faq") == "faq" and isinstance(c.get("id"), int):
                    scores[c["id"]] = scores.get(c["id"], 0.0) + float(c.get("score") or 0.0)
        return sorted(scores, key=lambda i: -scores[i])[:5]


@dataclass
class Confirmed:
    """Questions residents answered themselves by tapping this entry among the もしかして choices."""

    entry: FaqEntry
    phrasings: dict[str, set[int]] = field(default_factory=dict)  # question text -> residents (follower ids)
    logs: list[QuestionLog] = field(default_factory=list)

    @property
    def ids(self) -> str:
        return ",".join(str(log.id) for log in self.logs)

    @property
    def ranked(self) -> list[tuple[str, int]]:
        """(text, how many different residents chose this entry for it), most confirmed first."""
        return sorted(((t, len(r)) for t, r in self.phrasings.items()), key=lambda x: (-x[1], x[0]))


def confirmed_phrasings(session: Session, municipality_id: int, days: int = 180) -> list[Confirmed]:
    """Per FAQ entry, residents' questions that it answered by their own choice and that are not yet among
    its phrasings (the inbox offers them, pre-selected, for one-click attaching)."""
    since = utcnow() - timedelta(days=days)
    logs = session.scalars(select(QuestionLog).where(
        QuestionLog.municipality_id == municipality_id, QuestionLog.chosen_entry_id.is_not(None),
        QuestionLog.handled.is_(False), QuestionLog.text != "", QuestionLog.created_at >= since)
        .order_by(QuestionLog.created_at.desc()).limit(3000)).all()
    found: dict[int, Confirmed] = {}
    for log in logs:
        assert log.chosen_entry_id is not None
        item = found.get(log.chosen_entry_id)
        if item is None:
            entry = session.get(FaqEntry, log.chosen_entry_id)
            if entry is None or entry.municipality_id != municipality_id:
                continue
            item = found[entry.id] = Confirmed(entry)
        text = log.text.strip()[:200]
        known = {fold(p).replace(" ", "") for p in [item.entry.question, *(item.entry.alt_questions or [])]}
        if fold(text).replace(" ", "") in known:
            continue
        item.phrasings.setdefault(text, set()).add(log.follower_id or -log.id)
        item.logs.append(log)
    return sorted((c for c in found.values() if c.phrasings),
                  key=lambda c: -sum(len(r) for r in c.phrasings.values()))


@dataclass
class Disliked:
    """An answer residents said did not solve their question (👎 to 解決しましたか？), with those questions."""

    entry: FaqEntry
    logs: list[QuestionLog] = field(default_factory=list)

    @property
    def ids(self) -> str:
        return ",".join(str(log.id) for log in self.logs)

    @property
    def texts(self) -> list[str]:
        return list(dict.fromkeys(log.text for log in self.logs))


def disliked_answers(session: Session, municipality_id: int, days: int = 90) -> list[Disliked]:
    """Per FAQ entry, the not yet handled questions whose answer got 👎, entries with most 👎 first."""
    since = utcnow() - timedelta(days=days)
    rows = session.execute(select(Feedback.entry_id, QuestionLog).join(
        QuestionLog, QuestionLog.id == Feedback.question_log_id).where(
        Feedback.municipality_id == municipality_id, Feedback.helpful.is_(False), QuestionLog.handled.is_(False),
        QuestionLog.text != "", Feedback.created_at >= since).order_by(Feedback.id.desc()).limit(2000)).all()
    found: dict[int, Disliked] = {}
    for entry_id, log in rows:
        entry_id = entry_id or log.chosen_entry_id or log.top_entry_id
        if entry_id is None:
            continue
        item = found.get(entry_id)
        if item is None:
            entry = session.get(FaqEntry, entry_id)
            if entry is None or entry.municipality_id != municipality_id:
                continue
            item = found[entry_id] = Disliked(entry)
        if log not in item.logs:
            item.logs.append(log)
    return sorted(found.values(), key=lambda d: -len(d.logs))


def unanswered(session: Session, municipality_id: int, days: int = 90, limit: int = 3000) -> list[QuestionLog]:
    """Questions the bot could not answer (👎 answers are listed per entry by :func:`disliked_answers`)."""
    since = utcnow() - timedelta(days=days)
    return list(session.scalars(
        select(QuestionLog).where(QuestionLog.municipality_id == municipality_id, QuestionLog.handled.is_(False),
                                  QuestionLog.text != "", QuestionLog.created_at >= since,
                                  QuestionLog.outcome == "fallback")
        .order_by(QuestionLog.created_at.desc()).limit(limit)))


def group_questions(logs: list[QuestionLog]) -> list[Group]:
    groups: list[Group] = []
    for log in logs:
        key = log.normalized or log.text
        for group in groups:
            if fuzz.token_set_ratio(key, group.normalized) >= SIMILAR or \
                    fuzz.ratio(log.text, group.representative) >= 85:
                group.logs.append(log)
                break
        else:
            groups.append(Group(log.text, key, [log]))
    groups.sort(key=lambda g: (-g.count, -g.newest.timestamp()))
    return groups


def logs_by_ids(session: Session, municipality_id: int, ids: str) -> list[QuestionLog]:
    wanted = [n for n in (whole_number(i.strip()) for i in ids.split(",")[:500]) if n is not None]
    return list(session.scalars(select(QuestionLog).where(QuestionLog.municipality_id == municipality_id,
                                                          QuestionLog.id.in_(wanted))))
