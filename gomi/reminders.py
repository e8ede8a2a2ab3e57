"""Reminders the evening before (or the morning of) a collection day, delivered exactly once as notices.

:func:`plan_due` runs in the notices worker's planning loop. For each municipality whose reminders are enabled,
once its reminder time has come it claims the round (municipality, collection day, evening|morning) with a unique
row — a second worker, or a restarted one, finds it taken — and writes, in the same transaction, one notice per
distinct message (an area's types that day in one language) with its multicast batches of at most 500 residents,
each with its own retry key. The notices worker then delivers them with pacing, retries and crash recovery, as any
notice. Nothing is planned for a day inside a pause (no collection) or for types a resident did not choose.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from broadcasts.audience import chunks
from broadcasts.delivery import MULTICAST_MAX
from broadcasts.models import Notice, NoticeBatch
from core.models import Follower
from core.timeutil import local, utcnow, zone
from gomi.calendar import Calendar, load
from gomi.models import GomiCalendar, GomiReminderRun, GomiResident
from line import messages as lm

log = logging.getLogger(__name__)
TIMINGS = ("evening", "morning")
# A round is still sent this long after its time (a worker that was down at 19:00 and is back at 20:30 sends it;
# one back the next morning does not send last evening's).
LATE_WINDOW = timedelta(hours=3)

# (language or None for Japanese, collection day, timing, type labels, area label) -> the reminder's text
Wording = Callable[[str | None, date, str, list[str], str], str]


@dataclass(frozen=True)
class Group:
    area: str
    language: str | None
    types: tuple[str, ...]


def clock(value: str) -> time:
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes or 0))


def due_rounds(settings: GomiCalendar, now_local: datetime) -> list[tuple[date, str]]:
    """The (collection day, timing) rounds whose time has come within the late window."""
    rounds = []
    for timing in TIMINGS:
        at = clock(settings.evening_at if timing == "evening" else settings.morning_at)
        sent_on = now_local.date()
        moment = datetime.combine(sent_on, at, tzinfo=now_local.tzinfo)
        if moment <= now_local <= moment + LATE_WINDOW:
            rounds.append((sent_on + timedelta(days=1) if timing == "evening" else sent_on, timing))
    return rounds


def groups_for(session: Session, calendar: Calendar, day: date, timing: str) -> dict[Group, list[str]]:
    """Residents to remind of ``day``, grouped by what their message says (area, language, types)."""
    rows = session.execute(
        select(GomiResident.area, GomiResident.reminder_types, Follower.line_user_id, Follower.language)
        .join(Follower, Follower.id == GomiResident.follower_id)
        .where(GomiResident.municipality_id == calendar.municipality_id, GomiResident.reminder_timing == timing,
               Follower.status == "following")
        .order_by(Follower.id)).all()
    collected: dict[str, list[str]] = {}
    groups: dict[Group, list[str]] = defaultdict(list)
    for area_name, chosen, user_id, language in rows:
        if not chosen:
            continue
        if area_name not in collected:
            area = calendar.area(area_name)
            collected[area_name] = calendar.types_on(area, day) if area is not None else []
        types = tuple(label for label in collected[area_name] if label in chosen)
        if types:
            groups[Group(area_name, language if language not in (None, "ja") else None, types)].append(user_id)
    return groups


def plan_round(session: Session, calendar: Calendar, day: date, timing: str, wording: Wording) -> GomiReminderRun:
    """Claim and write one round (the caller commits). Raises IntegrityError when the round was already taken."""
    run = GomiReminderRun(municipality_id=calendar.municipality_id, day=day, timing=timing)
    session.add(run)
    session.flush()  # the unique (municipality, day, timing) row: a second planner stops here
    total = 0
    notice_ids = []
    for group, users in groups_for(session, calendar, day, timing).items():
        body = wording(group.language, day, timing, list(group.types), group.area)
        notice = Notice(municipality_id=calendar.municipality_id, kind="gomi_reminder", title=body[:200],
                        body=body, category="ごみ", severity="normal", target={"gomi": {"area": group.area,
                                                                                       "day": day.isoformat()}},
                        messages=[lm.text(body)], status="sending", created_by="gomi reminders",
                        recipients_total=len(users), planned_at=utcnow(),
                        expires_at=datetime.combine(day, time(23, 59), tzinfo=zone()))
        session.add(notice)
        session.flush()
        for seq, members in enumerate(chunks(users, MULTICAST_MAX)):
            session.add(NoticeBatch(notice_id=notice.id, seq=seq, kind="multicast", recipients=members,
                                    recipient_count=len(members), retry_key=str(uuid.uuid4())))
        notice_ids.append(notice.id)
        total += len(users)
    run.notices, run.recipients = notice_ids, total
    return run


def plan_due(session_factory: Callable[[], Session], wording: Wording, now: datetime | None = None) -> list[int]:
    """Plan every round that is due, one transaction per round; returns the rounds' ids planned now."""
    now_local = local(now or utcnow())
    assert now_local is not None
    planned: list[int] = []
    with session_factory() as session:
        enabled = list(session.scalars(select(GomiCalendar).where(GomiCalendar.reminders_enabled.is_(True),
                                                                  GomiCalendar.imported_at.is_not(None))))
        for settings in enabled:
            session.expunge(settings)
    for settings in enabled:
        for day, timing in due_rounds(settings, now_local):
            session = session_factory()
            try:
                exists = session.scalar(select(GomiReminderRun.id).where(
                    GomiReminderRun.municipality_id == settings.municipality_id, GomiReminderRun.day == day,
                    GomiReminderRun.timing == timing))
                if exists is not None:
                    continue
                calendar = load(session, settings.municipality_id)
                if calendar is None:
                    continue
                run = plan_round(session, calendar, day, timing, wording)
                session.commit()
                planned.append(run.id)
                log.info("gomi reminders planned municipality=%s day=%s timing=%s recipients=%s notices=%s",
                         settings.municipality_id, day, timing, run.recipients, len(run.notices))
            except IntegrityError:
                session.rollback()  # another worker took this round first
            finally:
                session.close()
    return planned


def monthly_estimate(session: Session, calendar: Calendar, year: int, month: int) -> int:
    """How many messages a month of reminders would count against the LINE plan (one per resident per round
    that has something to say), from today's subscribers: staff see it before enabling."""
    count = 0
    day = date(year, month, 1)
    while day.month == month:
        for timing in TIMINGS:
            count += sum(len(users) for users in groups_for(session, calendar, day, timing).values())
        day += timedelta(days=1)
    return count
