"""A photo a resident sent, from LINE's content endpoint to the photo store.

Fetched while the webhook event is handled (a resident expects 「受け取りました」 or to hear what was wrong), before
anything is written (see bot.dispatch). When LINE cannot be reached, the message id is kept as a *waiting* photo and
:func:`fetch_waiting` (run by the notices worker) fetches it later: nothing the resident sent is lost to an outage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from line.client import Content, LineClient
from reports import photos
from reports.models import Report, ReportPhoto
from reports.rounds import each_waiting_town
from reports.storage import PhotoStore

MAX_ATTEMPTS = 30  # a waiting photo is tried for about as long (the worker tries each one every ~minute)


@dataclass(frozen=True)
class Fetched:
    """The outcome of fetching one photo: ``photo`` (cleaned) or ``problem`` (too_large / not_image / broken /
    gone), or neither when LINE could not be reached (``waiting``)."""

    photo: photos.CleanPhoto | None = None
    problem: str = ""

    @property
    def waiting(self) -> bool:
        return self.photo is None and not self.problem


def fetch(client: LineClient, message_id: str) -> Fetched:
    content: Content = client.content(message_id)
    if content.gone:
        return Fetched(problem="gone")
    if not content.ok:
        return Fetched()
    try:
        return Fetched(photo=photos.clean(content.data))
    except photos.PhotoError as exc:
        return Fetched(problem=exc.reason)


def key_of(report: Report, name: str, thumb: bool = False) -> str:
    return f"{report.municipality_id}/{report.id}/{name}{'-thumb' if thumb else ''}.jpg"


def keep(session: Session, store: PhotoStore, report: Report, fetched: Fetched, message_id: str) -> ReportPhoto:
    """Record the photo on the report: stored (files written first) or waiting for LINE."""
    row = ReportPhoto(municipality_id=report.municipality_id, report_id=report.id)
    if fetched.photo is not None:
        store_clean(store, report, row, fetched.photo)
    else:
        row.state, row.line_message_id = "waiting", message_id[:40]
    session.add(row)
    session.flush()
    return row


def store_clean(store: PhotoStore, report: Report, row: ReportPhoto, photo: photos.CleanPhoto) -> None:
    row.key, row.thumb_key = key_of(report, photo.name), key_of(report, photo.name, thumb=True)
    store.put(row.key, photo.data)
    store.put(row.thumb_key, photo.thumb)
    row.state, row.line_message_id = "stored", None
    row.width, row.height, row.size = photo.width, photo.height, len(photo.data)


def fetch_waiting(session: Session, municipality_id: int, client: LineClient, store: PhotoStore,
                  limit: int = 20) -> int:
    """Fetch the municipality's waiting photos; a photo LINE no longer has (or that is not an image) is marked
    ``lost`` for staff to see. Returns how many were stored."""
    stored = 0
    rows = session.scalars(select(ReportPhoto).where(ReportPhoto.municipality_id == municipality_id,
                                                     ReportPhoto.state == "waiting")
                           .order_by(ReportPhoto.id).limit(limit).with_for_update(skip_locked=True)).all()
    for row in rows:
        report = session.get(Report, row.report_id)
        if report is None or not row.line_message_id:
            continue
        fetched = fetch(client, row.line_message_id)
        row.attempts += 1
        if fetched.photo is not None:
            store_clean(store, report, row, fetched.photo)
            stored += 1
        elif fetched.problem or row.attempts >= MAX_ATTEMPTS:
            row.state = "lost"
    return stored


def waiting_planner(sessions: sessionmaker[Session], client_for: Callable[[str], LineClient],
                    store: PhotoStore, every: int = 60) -> Callable[[], int]:
    """For the notices worker's ``planners`` (called about every second): every ``every``-th call, fetch the
    waiting photos of every municipality that has some."""
    calls = [0]

    def plan() -> int:
        calls[0] += 1
        if calls[0] % every != 1 and every > 1:
            return 0
        return each_waiting_town(
            sessions, select(ReportPhoto.municipality_id).where(ReportPhoto.state == "waiting"),
            lambda session, municipality_id, slug: fetch_waiting(session, municipality_id, client_for(slug), store),
            "waiting photos")
    return plan
