"""Benchmark: deliver notices to 100,000 followers through the fake LINE API at LINE's real limits.

Runs the fake LINE API in its own process (LINE's limits: multicast 200 req/s, broadcast 60/hour), a
fresh database with random resident preferences, and the real worker. Prints one JSON object:

    followers, segment_recipients, seconds, bound_seconds (= recipients / (500 × 200)), ratio,
    requests, duplicates, lost, peak_rss_mb, plus the same for the all-followers emergency.

Usage: python bench/broadcast.py --json [--followers N] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import socket
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TOKEN = "bench-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_fake(port: int) -> None:
    import logging

    from werkzeug.serving import make_server

    from fakeline.app import create_fake_line_app
    from fakeline.state import FakeLineState

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    state = FakeLineState(tokens={TOKEN})
    app = create_fake_line_app({TOKEN}, state)

    @app.post("/_fake/followers")
    def set_followers():
        from flask import request

        state.followers[:] = request.get_json()
        return {"ok": True}

    @app.get("/_fake/recipients")
    def recipients():
        with state.lock:
            return {"to": [d["to"] for d in state.deliveries],
                    "requests": sum(1 for c in state.calls if c["endpoint"] in ("multicast", "broadcast")),
                    "statuses": Counter(str(c["status"]) for c in state.calls)}

    make_server("127.0.0.1", port, app, threaded=True).serve_forever()


def http(url: str, data: object | None = None) -> dict:
    body = json.dumps(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as response:
        return json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    port = free_port()
    fake = multiprocessing.Process(target=serve_fake, args=(port,), daemon=True)
    fake.start()
    tmp = tempfile.mkdtemp(prefix="machimado-bench-")
    os.environ.update({"MACHIMADO_ENV": "testing", "MACHIMADO_INSTANCE_PATH": tmp,
                       "LINE_API_BASE_URL": f"http://127.0.0.1:{port}", "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
                       "DATABASE_URL": args.database_url or f"sqlite:///{tmp}/bench.sqlite3"})
    import logging

    logging.basicConfig(level=logging.WARNING)
    from sqlalchemy import insert

    import migrations as migrate
    from bot.runtime import Runtime
    from broadcasts.notices import create_notice
    from broadcasts.worker import Worker
    from core.db import session_scope
    from core.models import Follower
    from core.settings import load_settings

    runtime = Runtime.from_settings(load_settings())
    if runtime.engine.dialect.name == "postgresql":
        from sqlalchemy import text

        with runtime.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate.upgrade(runtime.engine)
    tenant = runtime.tenant(runtime.settings.default_slug)
    config = tenant.config
    rng = random.Random(42)
    users = [f"U{i:032x}" for i in range(args.followers)]
    others = [t for t in config.topics if t != "イベント"]
    rows = []
    for i, user in enumerate(users):
        topics = rng.sample(others, rng.randint(0, len(others)))
        if i % 2 == 0:
            topics.append("イベント")  # exactly half subscribe to the segment's topic
        rows.append({"municipality_id": tenant.id, "line_user_id": user, "status": "following",
                     "topics": topics, "district": rng.choice(config.districts)})
    with session_scope(runtime.sessions) as session:
        for start in range(0, len(rows), 10_000):
            session.execute(insert(Follower), rows[start:start + 10_000])
    for _ in range(100):
        try:
            http(f"http://127.0.0.1:{port}/_fake/followers", users)
            break
        except OSError:
            time.sleep(0.1)

    plan_seconds: list[float] = []

    def deliver(**fields: object) -> tuple[float, int]:
        with session_scope(runtime.sessions) as session:
            notice = create_notice(session, tenant.id, config, **fields)
            notice_id = notice.id
        started = time.perf_counter()
        worker = Worker(runtime.sessions, runtime.line_client, concurrency=args.concurrency)
        worker.run(drain=True)
        seconds = time.perf_counter() - started
        plan_seconds.append(round(worker.plan_seconds, 3))
        from broadcasts.models import Notice

        with session_scope(runtime.sessions) as session:
            total = session.get(Notice, notice_id).recipients_total
        return seconds, total

    def check(expected: set[str], before: int) -> tuple[int, int, int]:
        data = http(f"http://127.0.0.1:{port}/_fake/recipients")
        counts = Counter(data["to"][before:])
        duplicates = sum(c - 1 for c in counts.values() if c > 1)
        lost = len(expected - set(counts))
        return duplicates, lost, data["requests"]

    seg_seconds, seg_total = deliver(title="夏まつり", body="8月1日に中央公園で開催します。", category="イベント")
    expected_segment = {u for i, u in enumerate(users) if i % 2 == 0}
    seg_dup, seg_lost, seg_requests = check(expected_segment, 0)
    delivered_so_far = len(http(f"http://127.0.0.1:{port}/_fake/recipients")["to"])
    all_seconds, all_total = deliver(title="避難指示", body="市内全域に避難指示を発令しました。", category="防災",
                                     severity="emergency")
    all_dup, all_lost, all_requests = check(set(users), delivered_so_far)
    bound = seg_total / (500 * 200)
    result = {
        "followers": args.followers,
        "segment_recipients": seg_total,
        "seconds": round(seg_seconds, 3),
        "bound_seconds": round(bound, 3),
        "ratio": round(seg_seconds / bound, 3) if bound else None,
        "plan_seconds": plan_seconds[0],
        "requests": seg_requests,
        "duplicates": seg_dup,
        "lost": seg_lost,
        "all_recipients": all_total,
        "all_seconds": round(all_seconds, 3),
        "all_requests": all_requests - seg_requests,
        "all_duplicates": all_dup,
        "all_lost": all_lost,
        "database": runtime.engine.dialect.name,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    runtime.close()
    fake.terminate()
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
