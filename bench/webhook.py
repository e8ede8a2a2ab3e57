"""Benchmark: the webhook's response time for residents' questions, over real HTTP.

Starts the fake LINE API in its own process and the machimado app under gunicorn with the production
settings (``gunicorn.conf.py``: gthread workers; ``--workers``, default 2 on this 2-core machine), on a
fresh database with the demo pack, then POSTs correctly signed webhook bodies — one text event each,
the demo paraphrase set's questions in turn, from many residents — and times each request until its
response. ``replies_ok`` counts the replies the fake LINE API accepted afterwards (every one should). A request covers
everything the bot does for a question before answering LINE: signature check, parsing, matching
(words and the sentence encoder), question log, dedupe claim and commit; the reply call to the (fake)
LINE API leaves after the response (line/reply_sender.py), on the same machine's cores. ``--line-latency``
makes every call to the fake LINE API slow, to show that a slow LINE does not hold the webhook.

The budget: LINE waits only a few seconds for a webhook response before counting the delivery as failed,
so machimado holds itself to p99 <= 1,000 ms (``budget_ms``). Workers load the sentence encoder and build
the matcher in the background as they start (gunicorn.conf.py); the first request is sent ``--settle``
seconds after start-up and its time is reported apart as ``cold_ms``.

Prints one JSON object: requests, concurrency, workers, line_latency_s, cold_ms, p50_ms, p99_ms, max_ms,
requests_per_s, budget_ms, within_budget, statuses, replies_ok. Usage: python bench/webhook.py --json [--requests 400] [--concurrency 4] [--workers 2] [--line-latency S]
[--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "bench-token"
SECRET = "bench-channel-secret"
BUDGET_MS = 1000.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_fake_line(port: int, latency_s: float) -> None:
    import logging

    from werkzeug.serving import make_server

    from fakeline.app import create_fake_line_app
    from fakeline.state import FakeLineState

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    state = FakeLineState(tokens={TOKEN})
    state.latency_s = latency_s  # every Messaging API call waits this long (a slow LINE)
    app = create_fake_line_app({TOKEN}, state)

    @app.get("/_bench/replies")
    def replies():
        return {"ok": sum(1 for c in state.calls if c["endpoint"] == "reply" and c["status"] == 200)}

    make_server("127.0.0.1", port, app, threaded=True).serve_forever()


def prepare_database() -> None:
    from app.bootstrap import init_database
    from app.factory import create_app

    app = create_app()
    init_database(app.extensions["machimado"], load_demo=True)
    app.extensions["machimado"].close()


def wait_for(url: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except (urllib.error.URLError, OSError):  # refused, reset, or timed out while the workers boot
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def signed_body(n: int, text: str) -> tuple[bytes, str]:
    from line.signature import sign

    event = {"type": "message", "mode": "active", "timestamp": 1700000000000 + n,
             "source": {"type": "user", "userId": f"U{n % 500:032x}"},
             "webhookEventId": f"01BENCH{n:019d}", "deliveryContext": {"isRedelivery": False},
             "replyToken": f"{n:032x}", "message": {"id": str(10**8 + n), "type": "text", "text": text,
                                                    "quoteToken": "q"}}
    body = json.dumps({"destination": "U" + "0" * 32, "events": [event]}, ensure_ascii=False).encode()
    return body, sign(SECRET, body)


def post(url: str, n: int, text: str) -> tuple[float, int]:
    return post_signed(url, *signed_body(n, text))


def post_signed(url: str, body: bytes, signature: str) -> tuple[float, int]:
    """POST a signed body; (milliseconds, HTTP status — 0 when the connection failed)."""
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Line-Signature": signature})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError:  # refused or reset (bench/typhoon.py kills a worker mid-request)
        status = 0
    return (time.perf_counter() - started) * 1000, status


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds between start-up and the first request")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--line-latency", type=float, default=0.0, help="seconds the fake LINE API takes per call")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import yaml

    questions = [q["q"] for q in yaml.safe_load((ROOT / "eval" / "demo_paraphrases.yaml").read_text())["queries"]]
    line_port, app_port = free_port(), free_port()
    tmp = tempfile.mkdtemp(prefix="machimado-bench-")
    os.environ.update({"MACHIMADO_ENV": "testing", "MACHIMADO_INSTANCE_PATH": tmp,
                       "LINE_API_BASE_URL": f"http://127.0.0.1:{line_port}", "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
                       "LINE_CHANNEL_SECRET": SECRET, "MACHIMADO_WEBHOOK_WORKERS": "2",
                       "DATABASE_URL": args.database_url or f"sqlite:///{tmp}/bench.sqlite3"})
    if args.database_url and args.database_url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        with create_engine(args.database_url).begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    fake = multiprocessing.Process(target=serve_fake_line, args=(line_port, args.line_latency), daemon=True)
    fake.start()
    prepare_database()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--log-level", "warning",
                               "--access-logfile", os.devnull, "wsgi:app"], cwd=ROOT, stderr=subprocess.DEVNULL,
                              env={**os.environ, "BIND": f"127.0.0.1:{app_port}",
                                   "WEB_CONCURRENCY": str(args.workers), "GUNICORN_THREADS": str(args.threads)})
    url = f"http://127.0.0.1:{app_port}/callback"
    try:
        wait_for(f"http://127.0.0.1:{app_port}/healthz")
        time.sleep(args.settle)  # the workers warm up in the background (gunicorn.conf.py) as in a deployment
        cold_ms, cold_status = post(url, 0, questions[0])
        started = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            results = list(pool.map(lambda n: post(url, n, questions[n % len(questions)]),
                                    range(1, args.requests + 1)))
        elapsed = time.perf_counter() - started
        replies_ok, deadline = 0, time.monotonic() + 60 + args.requests * args.line_latency
        while replies_ok < len(results) + 1 and time.monotonic() < deadline:  # replies leave after responses
            time.sleep(0.2)
            with urllib.request.urlopen(f"http://127.0.0.1:{line_port}/_bench/replies", timeout=10) as response:
                replies_ok = json.loads(response.read())["ok"]
    finally:
        server.terminate()
        server.wait(30)
        fake.terminate()
    timings = sorted(ms for ms, _ in results)
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    out = {"requests": len(results), "concurrency": args.concurrency, "workers": args.workers,
           "line_latency_s": args.line_latency, "cold_ms": round(cold_ms, 1),
           "p50_ms": round(statistics.median(timings), 1), "p99_ms": round(p99, 1), "max_ms": round(timings[-1], 1),
           "requests_per_s": round(len(results) / elapsed, 1),
           "budget_ms": BUDGET_MS, "within_budget": p99 <= BUDGET_MS,
           "statuses": dict(Counter(str(s) for _, s in [(cold_ms, cold_status), *results])),
           "replies_ok": replies_ok}
    print(json.dumps(out) if args.json else json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
