"""Knowledge-base imports as background jobs, with progress staff can watch.

A 2 MB pack takes minutes to encode; done inside the console's request it held the request (and, before the
import encoded first, SQLite's write lock) for all that time. The console validates the file at once (errors
are shown before anything starts), saves it as an :class:`ImportJob` and starts :func:`run_job` in a thread;
it waits a few seconds, so a small import still reads as done, and otherwise shows the job's page.

The job keeps the validated entries (JSON), not the file: it does not parse twice. The import itself is one
transaction (all or nothing). Progress is written from separate short transactions
while the texts are encoded, when the import holds no write lock. A job whose process died stays "running"
without progress; after ``STALE_AFTER`` the console offers to run it again (the entries are kept until the
job ends, in the database, so any app instance can).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import timedelta
from types import TracebackType
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from core.models import AuditLog
from core.timeutil import as_utc, utcnow
from faq.csvpack import from_csv
from faq.models import ImportJob
from faq.packs import PackError, import_entries, parse_pack, validate_entry

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=10)
FAILED = "取り込み中に問題が起きたため、何も変更していません。もう一度お試しください。"


def parse_upload(data: bytes, filename: str) -> list[dict[str, Any]]:
    """A CSV or YAML pack, validated (:class:`PackError` / UnicodeDecodeError list what is wrong)."""
    if filename.lower().endswith(".csv"):
        return from_csv(data, filename)
    return parse_pack(data.decode("utf-8-sig"), filename)


def create_job(session: Session, municipality_id: int, filename: str, entries: list[dict[str, Any]],
               author: str) -> ImportJob:
    """A queued job for entries already validated by :func:`parse_upload` (kept as JSON: the job does not parse
    the file a second time)."""
    data = json.dumps(entries, ensure_ascii=False).encode()
    job = ImportJob(municipality_id=municipality_id, filename=filename[:200], data=data, author=author[:120])
    session.add(job)
    session.flush()
    return job


def stalled(job: ImportJob) -> bool:
    return job.status == "running" and utcnow() - as_utc(job.updated_at) > STALE_AFTER


# After each encoded batch the job rests this fraction of the batch's time: the encoder takes every core, and
# residents' questions in the same worker (and the others on the machine) need some of them meanwhile.
YIELD = 1.0


class _Progress:
    """``progress(total)`` for :func:`faq.packs.import_entries`: writes ``done`` at most twice a second, and
    leaves the CPU to residents' questions for a moment after each batch (``YIELD``)."""

    def __init__(self, sessions: sessionmaker[Session], job_id: int, total: int) -> None:
        self.sessions, self.job_id, self.total, self.done, self._written = sessions, job_id, total, 0, 0.0
        self._batch_started = time.monotonic()

    def _write(self) -> None:
        with self.sessions() as session:
            session.execute(update(ImportJob).where(ImportJob.id == self.job_id)
                            .values(total=self.total, done=self.done, updated_at=utcnow()))
            session.commit()
        self._written = time.monotonic()

    def __enter__(self) -> _Progress:
        self._write()
        return self

    def update(self, n: int) -> None:
        self.done += n
        if time.monotonic() - self._written >= 0.5:
            self._write()
        time.sleep(min(1.0, (time.monotonic() - self._batch_started) * YIELD))
        self._batch_started = time.monotonic()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is None:
            self._write()


def _entries(data: bytes, filename: str) -> list[dict[str, Any]]:
    """The job's entries, checked again (whatever is in the table is only ever imported valid)."""
    raw = json.loads(data.decode("utf-8"))
    errors: list[str] = []
    entries = [e for e in (validate_entry(r, f"{filename}:{i}", errors) for i, r in
                           enumerate(raw if isinstance(raw, list) else [raw], 1)) if e is not None]
    ids = [e["id"] for e in entries]
    if len(set(ids)) != len(ids):
        errors.append(f"{filename}: duplicate ids")
    if errors:
        raise PackError("\n".join(errors[:20]))
    return entries


def _claim(sessions: sessionmaker[Session], job_id: int) -> tuple[int, str, bytes, str] | None:
    with sessions() as session:
        job = session.get(ImportJob, job_id)
        if job is None or not (job.status == "queued" or stalled(job)):
            return None
        job.status, job.updated_at, job.error = "running", utcnow(), ""
        claimed = (job.municipality_id, job.filename, job.data, job.author)
        session.commit()
        return claimed


def run_job(sessions: sessionmaker[Session], job_id: int) -> None:
    """Run one queued (or stalled) job to its end: done with its report, or failed with nothing changed."""
    claimed = _claim(sessions, job_id)
    if claimed is None:
        return
    municipality_id, filename, data, author = claimed
    try:
        with sessions() as session:
            report = import_entries(session, municipality_id, _entries(data, filename), author=author,
                                    progress=lambda total: _Progress(sessions, job_id, total))
            job = session.get(ImportJob, job_id)
            assert job is not None
            job.status, job.report, job.data, job.done, job.updated_at = "done", report.as_dict(), b"", job.total, utcnow()
            session.add(AuditLog(municipality_id=municipality_id, user_id=None, username=author, action="faq_import",
                                 object_type="faq_pack", object_id=filename[:80], after=report.as_dict()))
            session.commit()
    except Exception as exc:  # noqa: BLE001 - the job records the failure; the import rolled back
        if not isinstance(exc, PackError | UnicodeDecodeError | ValueError):
            log.exception("import job %s failed", job_id)
        with sessions() as session:
            session.execute(update(ImportJob).where(ImportJob.id == job_id).values(
                status="failed", data=b"", updated_at=utcnow(),
                error=str(exc)[:2000] if isinstance(exc, PackError) else FAILED))
            session.commit()


def start_job(sessions: sessionmaker[Session], job_id: int) -> threading.Event:
    """Run the job in a background thread; the event is set when it has ended."""
    ended = threading.Event()

    def work() -> None:
        try:
            run_job(sessions, job_id)
        finally:
            ended.set()

    threading.Thread(target=work, daemon=True, name=f"import-job-{job_id}").start()
    return ended
