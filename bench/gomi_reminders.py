"""Benchmark: ごみ reminders for 10,000 subscribers over 300 areas, through the fake LINE API at LINE's limits.

A synthetic 5374 calendar of ``--areas`` areas (their types on a Monday differ, so messages differ by area),
``--subscribers`` residents spread over them (90% Japanese, 5% English, 5% Vietnamese: one multicast list per area ×
language), reminders the evening before. The round is planned by gomi.reminders.plan_due and delivered by the real
notices worker, twice:

- ``normal``: one worker, measured against LINE's multicast bound. The bound counts what LINE needs at least: one
  request per 500 recipients of each distinct message (area × types × language), at 200 requests/s —
  ``bound_seconds = Σ ceil(group / 500) / 200`` (with ``recipients / 100,000`` beside it, the bound for one message).
- ``killed``: a worker process is SIGKILLed after ``--kill-after`` multicasts; a second worker reclaims its batches
  after the lease and finishes. Duplicates and lost residents are counted at the fake LINE API.

Prints one JSON object: {"normal": {...}, "killed": {...}, "database", "subscribers", "areas"}.

Usage: python bench/gomi_reminders.py --json [--subscribers N] [--areas N] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from broadcast import TOKEN, free_port, http, serve_fake  # noqa: E402  (the same fake LINE process)

TYPES = ["燃やせるごみ", "燃やせないごみ", "びん・缶", "ペットボトル", "プラ", "古紙"]


def write_calendar(folder: Path, areas: int, rng: random.Random) -> None:
    """Every area collects 燃やせるごみ on Mondays; each has its own mix of other Monday types."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["地名,センター," + ",".join(TYPES)]
    for i in range(areas):
        cells = ["月 木"] + [rng.choice(["月", "月1 月3", "火", "水2", "木"]) for _ in TYPES[1:]]
        lines.append(f"第{i + 1}区,清掃センター," + ",".join(cells))
    (folder / "area_days.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "center.csv").write_text("名称,休止開始日,休止終了日\n清掃センター,2026/12/30,2027/1/3\n", encoding="utf-8")


def delivered(port: int) -> list[str]:
    return http(f"http://127.0.0.1:{port}/_fake/recipients")["to"]


def score(port: int, before: int, expected: set[str]) -> tuple[int, int, int]:
    data = http(f"http://127.0.0.1:{port}/_fake/recipients")
    counts = Counter(data["to"][before:])
    duplicates = sum(c - 1 for c in counts.values() if c > 1)
    return duplicates, len(expected - set(counts)), data["requests"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--areas", type=int, default=300)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--kill-after", type=int, default=120, help="multicasts before the worker is killed")
    parser.add_argument("--concurrency", type=int, default=4, help="delivery threads of the worker")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    port = free_port()
    fake = multiprocessing.Process(target=serve_fake, args=(port,), daemon=True)
    fake.start()
    tmp = Path(tempfile.mkdtemp(prefix="machimado-gomi-bench-"))
    os.environ.update({"MACHIMADO_ENV": "testing", "MACHIMADO_INSTANCE_PATH": str(tmp),
                       "LINE_API_BASE_URL": f"http://127.0.0.1:{port}", "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
                       "DATABASE_URL": args.database_url or f"sqlite:///{tmp}/bench.sqlite3"})
    import logging

    logging.basicConfig(level=logging.WARNING)
    from sqlalchemy import insert, select

    import migrations as migrate
    from bot.gomi_chat import reminder_text
    from bot.runtime import Runtime
    from broadcasts.worker import Worker
    from core.db import session_scope
    from core.models import Follower
    from core.settings import load_settings
    from gomi.importer import import_dataset
    from gomi.models import GomiCalendar, GomiResident
    from gomi.reader import read
    from gomi.reminders import groups_for, plan_due

    runtime = Runtime.from_settings(load_settings())
    if runtime.engine.dialect.name == "postgresql":
        from sqlalchemy import text

        with runtime.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate.upgrade(runtime.engine)
    tenant = runtime.default_tenant()
    rng = random.Random(5374)
    write_calendar(tmp / "calendar", args.areas, rng)
    users = [f"U{i:032x}" for i in range(args.subscribers)]
    with session_scope(runtime.sessions) as session:
        import_dataset(session, tenant.id, read(tmp / "calendar"), source="bench")
        session.get(GomiCalendar, tenant.id).reminders_enabled = True
        languages = ["ja"] * 18 + ["en", "vi"]
        session.execute(insert(Follower), [{"municipality_id": tenant.id, "line_user_id": u, "status": "following",
                                            "language": rng.choice(languages)} for u in users])
        ids = {user: fid for user, fid in session.execute(select(Follower.line_user_id, Follower.id))}
        session.execute(insert(GomiResident), [
            {"municipality_id": tenant.id, "follower_id": ids[u], "area": f"第{rng.randrange(args.areas) + 1}区",
             "reminder_types": TYPES, "reminder_timing": "evening"} for u in users])
    for _ in range(100):
        try:
            http(f"http://127.0.0.1:{port}/_fake/followers", users)
            break
        except OSError:
            time.sleep(0.1)

    def plan(evening: datetime) -> tuple[float, int, int]:
        started = time.perf_counter()
        assert plan_due(runtime.sessions, reminder_text, evening)
        seconds = time.perf_counter() - started
        from gomi.calendar import load

        with session_scope(runtime.sessions) as session:
            calendar = load(session, tenant.id)
            assert calendar is not None
            groups = groups_for(session, calendar, evening.date() + timedelta(days=1), "evening")
        minimal = sum(math.ceil(len(members) / 500) for members in groups.values())
        return seconds, minimal, sum(len(m) for m in groups.values())

    results = {}
    # normal: Sunday 2026-12-06 19:05 JST -> Monday 12-07
    before = len(delivered(port))
    plan_s, minimal, recipients = plan(datetime(2026, 12, 6, 10, 5, tzinfo=UTC))
    started = time.perf_counter()
    Worker(runtime.sessions, runtime.line_client, concurrency=args.concurrency).run(drain=True)
    seconds = time.perf_counter() - started
    duplicates, lost, _ = score(port, before, set(users))
    bound = minimal / 200
    results["normal"] = {"recipients": recipients, "groups_requests_min": minimal, "plan_seconds": round(plan_s, 3),
                         "seconds": round(seconds, 3), "bound_seconds": round(bound, 3),
                         "ratio": round(seconds / bound, 3), "one_message_bound_seconds": recipients / 100_000,
                         "duplicates": duplicates, "lost": lost}

    # killed: Sunday 2026-12-13 -> Monday 12-14; a worker process killed mid-round, another one finishes
    before = len(delivered(port))
    requests_before = http(f"http://127.0.0.1:{port}/_fake/recipients")["requests"]
    plan(datetime(2026, 12, 13, 10, 5, tzinfo=UTC))
    started = time.perf_counter()
    victim = subprocess.Popen([sys.executable, "-m", "cli.main", "broadcasts", "worker", "--drain", "--lease", "2",
                               "--concurrency", "2"], cwd=str(HERE.parent), env=dict(os.environ),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while victim.poll() is None:
        if http(f"http://127.0.0.1:{port}/_fake/recipients")["requests"] - requests_before >= args.kill_after:
            os.kill(victim.pid, signal.SIGKILL)
            break
        time.sleep(0.02)
    victim.wait()
    sent_by_victim = http(f"http://127.0.0.1:{port}/_fake/recipients")["requests"] - requests_before
    Worker(runtime.sessions, runtime.line_client, concurrency=2, lease_s=2).run(drain=True)
    seconds = time.perf_counter() - started
    duplicates, lost, _ = score(port, before, set(users))
    results["killed"] = {"killed_after_requests": sent_by_victim, "seconds_including_lease": round(seconds, 3),
                         "duplicates": duplicates, "lost": lost}
    report = {"database": runtime.engine.dialect.name, "subscribers": args.subscribers, "areas": args.areas, **results}
    runtime.close()
    fake.terminate()
    print(json.dumps(report, ensure_ascii=False) if args.json else json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
