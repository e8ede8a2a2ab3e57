"""Benchmark: a typhoon's worth of questions (#25) — the queue-backed webhook against the synchronous one.

A burst of residents' messages at a constant offered rate (default 10,000 over 120 s ≈ 83/s, from 5,000 followers;
the demo paraphrase questions, with postbacks and locations mixed in) POSTed, correctly signed, to machimado under
gunicorn (gunicorn.conf.py, ``--workers`` × ``--threads``), the fake LINE API in its own process recording every
reply and push with the time it arrived. Measured per run:

- ``ack_p50_ms`` / ``ack_p99_ms``: the webhook's response time (what LINE waits for);
- ``reply_p50_s`` / ``reply_p99_s``: from the moment the event was sent to the fake LINE API's receipt of its reply;
- ``answered_per_s``: events answered per second, sustained (answered / (last answer − first send));
- ``replies``, ``pushes`` (answers that went by push: the reply token was too old), ``lost`` (accepted, never
  answered), ``duplicated`` (a reply token used twice), ``errors`` (non-200 webhook answers).

``sync_answered_per_s`` is the same burst against the synchronous code of the commit before the queue (a git
worktree of ``--sync-commit``, default ``ac66230``), run in the same invocation; ``postgresql_kill`` repeats the
PostgreSQL run with one gunicorn worker SIGKILLed halfway through the burst. bench/load.py (the echo comparison)
is kept for the ack ratio.

``--json`` prints ``{"sqlite": R, "postgresql": R, "postgresql_kill": R}``; ``--quick`` offers 1,500 messages over
20 s from 500 followers (same keys). PostgreSQL needs ``--database-url`` (its schema is dropped and recreated).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
import webhook as wb  # noqa: E402  (bench/webhook.py: free ports, start-up helpers, the channel's secrets)


def serve_recording_line(port: int) -> None:
    """The fake LINE API, plus /_bench/answers: every reply and push with its arrival time."""
    import logging

    from werkzeug.serving import make_server

    from fakeline.app import create_fake_line_app
    from fakeline.state import FakeLineState

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    state = FakeLineState(tokens={wb.TOKEN})
    state.limiter.reset()
    app = create_fake_line_app({wb.TOKEN}, state)

    @app.get("/_bench/answers")
    def answers():
        with state.lock:
            return {"answers": [{"endpoint": c["endpoint"], "status": c["status"], "at": c["at"],
                                 "token": c["body"].get("replyToken") if isinstance(c["body"], dict) else None,
                                 "to": c["body"].get("to") if isinstance(c["body"], dict) else None}
                                for c in state.calls if c["endpoint"] in ("reply", "push")]}

    @app.post("/_bench/reset")
    def reset():
        state.reset()
        return {}

    make_server("127.0.0.1", port, app, threaded=True).serve_forever()


def event_body(n: int, followers: int, question: str) -> tuple[bytes, str]:
    """Event ``n``: mostly a question; every 10th a tap on a もしかして choice, every 20th a location."""
    from line.signature import sign

    user = f"U{n % followers:032x}"
    event: dict = {"mode": "active", "timestamp": int(time.time() * 1000), "source": {"type": "user", "userId": user},
                   "webhookEventId": f"01TYPHOON{n:017d}", "deliveryContext": {"isRedelivery": False},
                   "replyToken": f"{n:032x}"}
    if n % 20 == 19:
        event.update(type="message", message={"id": str(10**9 + n), "type": "location", "title": "位置情報",
                                              "address": "", "latitude": 31.59, "longitude": 130.55})
    elif n % 10 == 9:
        event.update(type="postback", postback={"data": "action=category&name=防災・避難"})
    else:
        event.update(type="message", message={"id": str(10**9 + n), "type": "text", "text": question,
                                              "quoteToken": "q"})
    body = json.dumps({"destination": "U" + "0" * 32, "events": [event]}, ensure_ascii=False).encode()
    return body, sign(wb.SECRET, body)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


def burst(url: str, line_url: str, messages: int, seconds: float, followers: int, questions: list[str],
          kill: Callable[[], None] | None = None, wait_s: float = 90.0) -> dict:
    """Offer ``messages`` over ``seconds`` at a constant rate (open loop), then wait for the answers."""
    urllib.request.urlopen(urllib.request.Request(line_url + "/_bench/reset", method="POST")).read()
    bodies = [event_body(n, followers, questions[n % len(questions)]) for n in range(messages)]
    sent_at: dict[int, float] = {}
    acks: list[tuple[float, int]] = [(0.0, 0)] * messages
    interval = seconds / messages
    start = time.time() + 0.5

    def one(n: int) -> None:
        delay = start + n * interval - time.time()
        if delay > 0:
            time.sleep(delay)
        sent_at[n] = time.time()
        acks[n] = wb.post_signed(url, *bodies[n])

    if kill is not None:
        threading.Timer(0.5 + seconds / 2, kill).start()
    with ThreadPoolExecutor(64) as pool:
        list(pool.map(one, range(messages)))
    accepted = {n for n, (_, status) in enumerate(acks) if status == 200}
    deadline = time.time() + wait_s
    answers: list[dict] = []
    while time.time() < deadline:
        answers = json.loads(urllib.request.urlopen(line_url + "/_bench/answers").read())["answers"]
        if sum(1 for a in answers if a["status"] == 200) >= len(accepted):
            break
        time.sleep(1.0)
    replies = [a for a in answers if a["endpoint"] == "reply" and a["status"] == 200 and a["token"]]
    pushes = [a for a in answers if a["endpoint"] == "push" and a["status"] == 200]
    by_token: dict[int, list[float]] = {}
    for a in replies:
        by_token.setdefault(int(a["token"], 16), []).append(a["at"])
    waits = [times[0] - sent_at[n] for n, times in by_token.items() if n in sent_at]
    answered = len(by_token) + len(pushes)
    last = max([a["at"] for a in replies + pushes], default=start)
    ack_ms = [ms for ms, status in acks if status == 200]
    return {"messages": messages, "offered_per_s": round(messages / seconds, 1),
            "ack_p50_ms": round(statistics.median(ack_ms), 1) if ack_ms else None,
            "ack_p99_ms": round(percentile(ack_ms, 0.99), 1),
            "reply_p50_s": round(statistics.median(waits), 2) if waits else None,
            "reply_p99_s": round(percentile(waits, 0.99), 2),
            "answered_per_s": round(answered / max(last - start, 0.001), 1),
            "replies": len(by_token), "pushes": len(pushes), "lost": max(len(accepted) - answered, 0),
            "duplicated": sum(len(times) - 1 for times in by_token.values()),
            "errors": messages - len(accepted)}


def gunicorn(cwd: Path, env: dict[str, str], port: int) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--log-level", "warning",
                               "--access-logfile", os.devnull, "wsgi:app"], cwd=cwd, stderr=subprocess.DEVNULL,
                              env={**env, "BIND": f"127.0.0.1:{port}", "PYTHONPATH": str(cwd)})
    wb.wait_for(f"http://127.0.0.1:{port}/healthz")
    time.sleep(8.0)  # the workers load the encoder and build the matcher in the background
    return server


def kill_one_worker(server: subprocess.Popen) -> Callable[[], None]:
    def kill() -> None:
        children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
        if children:
            os.kill(int(children[0]), signal.SIGKILL)
    return kill


def fresh_database(url: str | None, tmp: str, code: Path, env: dict[str, str]) -> str:
    url = url or f"sqlite:///{tmp}/typhoon.sqlite3"
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        with create_engine(url).begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, 'bench'); import webhook; "
                    "webhook.prepare_database()"], cwd=code, check=True,
                   env={**env, "DATABASE_URL": url, "MACHIMADO_INSTANCE_PATH": tmp, "PYTHONPATH": str(code)})
    return url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--followers", type=int, default=5_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database-url", default=None, help="PostgreSQL (SQLite always)")
    parser.add_argument("--sync-commit", default="ac66230", help="the synchronous webhook to compare with")
    parser.add_argument("--handlers", type=int, default=None, help="MACHIMADO_WEBHOOK_WORKERS (default: the app's)")
    parser.add_argument("--no-sync", action="store_true", help="skip the synchronous comparison")
    parser.add_argument("--quick", action="store_true", help="1,500 messages over 20 s from 500 followers")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.messages, args.seconds, args.followers = 1_500, 20.0, 500

    import yaml

    questions = [q["q"] for q in yaml.safe_load((ROOT / "eval" / "demo_paraphrases.yaml").read_text())["queries"]]
    line_port = wb.free_port()
    line_url = f"http://127.0.0.1:{line_port}"
    fake = multiprocessing.Process(target=serve_recording_line, args=(line_port,), daemon=True)
    fake.start()
    sync_tree = Path(tempfile.mkdtemp(prefix="machimado-sync-")) / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(sync_tree), args.sync_commit], cwd=ROOT, check=True,
                   capture_output=True)
    base = {**os.environ, "MACHIMADO_ENV": "testing", "LINE_API_BASE_URL": line_url,
            "LINE_CHANNEL_ACCESS_TOKEN": wb.TOKEN, "LINE_CHANNEL_SECRET": wb.SECRET, "MACHIMADO_SECOND_MODEL": "off",
            "WEB_CONCURRENCY": str(args.workers), "GUNICORN_THREADS": str(args.threads),
            "MACHIMADO_WEBHOOK_WORKERS": str(args.handlers or 2)}
    out: dict[str, dict] = {}
    runs = [("sqlite", None, False)] + ([("postgresql", args.database_url, False),
                                         ("postgresql_kill", args.database_url, True)] if args.database_url else [])
    try:
        for name, url, kill in runs:
            result: dict = {}
            for code, label in ((ROOT, "queue"), (sync_tree, "sync")):
                if label == "sync" and (kill or args.no_sync):
                    continue
                tmp = tempfile.mkdtemp(prefix="machimado-typhoon-")
                env = {**base, "MACHIMADO_INSTANCE_PATH": tmp}
                env["DATABASE_URL"] = fresh_database(url, tmp, code, env)
                port = wb.free_port()
                server = gunicorn(code, env, port)
                try:
                    r = burst(f"http://127.0.0.1:{port}/callback", line_url, args.messages, args.seconds,
                              args.followers, questions, kill_one_worker(server) if kill else None)
                finally:
                    server.terminate()
                    server.wait(60)
                if label == "queue":
                    result.update(r)
                else:
                    result.update(sync_answered_per_s=r["answered_per_s"], sync_ack_p99_ms=r["ack_p99_ms"],
                                  sync_reply_p99_s=r["reply_p99_s"], sync_lost=r["lost"], sync_errors=r["errors"])
            out[name] = result
    finally:
        fake.terminate()
        subprocess.run(["git", "worktree", "remove", "--force", str(sync_tree)], cwd=ROOT, capture_output=True)
    print(json.dumps(out) if args.json else json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
