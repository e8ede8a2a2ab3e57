"""Benchmark: machimado's webhook throughput against a minimal echo bot, same machine, same gunicorn settings.

In one run: signed text questions (the demo paraphrase set, many residents) at each ``--concurrency`` against
(a) machimado under gunicorn (gunicorn.conf.py: gthread, ``--workers``, ``--threads``) on SQLite and on
PostgreSQL (``--database-url``), and (b) bench/echo_bot.py (Flask + line-bot-sdk WebhookParser + an inline
reply to the same fake LINE API) under the same worker settings. Issue #16's goal: ratio (bot_rps / echo_rps)
≥ 0.5 on both databases, p99 ≤ 100 ms at concurrency 4, errors 0.

Prints one JSON object: {"echo": {c: {rps, p50_ms, p99_ms, errors}}, "sqlite"/"postgresql": {c: {bot_rps, echo_rps,
ratio, p50_ms, p99_ms, errors}}}. Usage: python bench/load.py --json [--requests 400] [--concurrency 4 16]
[--database-url postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
import webhook as wb  # noqa: E402  (bench/webhook.py: fake LINE, signed bodies, start-up helpers)


def drive(url: str, requests: int, concurrency: int, questions: list[str], offset: int) -> dict[str, float]:
    wb.post(url, offset, questions[0])  # warm
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda n: wb.post(url, offset + n, questions[n % len(questions)]),
                                range(1, requests + 1)))
    elapsed = time.perf_counter() - started
    ms = sorted(r[0] for r in results)
    return {"rps": round(len(results) / elapsed, 1), "p50_ms": round(statistics.median(ms), 1),
            "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1),
            "errors": sum(1 for _, status in results if status != 200)}


def serve(command: list[str], env: dict[str, str], port: int, settle: float) -> subprocess.Popen:
    server = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.DEVNULL, env={**env, "BIND": f"127.0.0.1:{port}"})
    wb.wait_for(f"http://127.0.0.1:{port}/healthz")
    time.sleep(settle)
    return server


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 16])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database-url", default=None, help="PostgreSQL too (SQLite always)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import yaml

    questions = [q["q"] for q in yaml.safe_load((ROOT / "eval" / "demo_paraphrases.yaml").read_text())["queries"]]
    line_port = wb.free_port()
    fake = multiprocessing.Process(target=wb.serve_fake_line, args=(line_port, 0.0), daemon=True)
    fake.start()
    base_env = {**os.environ, "MACHIMADO_ENV": "testing", "LINE_API_BASE_URL": f"http://127.0.0.1:{line_port}",
                "LINE_CHANNEL_ACCESS_TOKEN": wb.TOKEN, "LINE_CHANNEL_SECRET": wb.SECRET,
                "WEB_CONCURRENCY": str(args.workers), "GUNICORN_THREADS": str(args.threads),
                "MACHIMADO_WEBHOOK_WORKERS": "2"}  # the events are handled meanwhile (bot/inbound.py)
    out: dict[str, dict] = {"echo": {}}
    try:
        port = wb.free_port()
        no_config = Path(tempfile.mkdtemp(prefix="machimado-load-")) / "echo.conf.py"
        no_config.write_text("")  # not machimado's gunicorn.conf.py (its hooks are the bot's): only the settings below
        echo = serve([sys.executable, "-m", "gunicorn", "-c", str(no_config), "-b", f"127.0.0.1:{port}",
                      "-w", str(args.workers), "-k", "gthread", "--threads", str(args.threads), "--log-level", "warning",
                      "bench.echo_bot:app"], base_env, port, 1.0)
        try:
            for c in args.concurrency:
                out["echo"][str(c)] = drive(f"http://127.0.0.1:{port}/callback", args.requests, c, questions, 10**6 * c)
        finally:
            stop(echo)
        databases = [("sqlite", None)] + ([("postgresql", args.database_url)] if args.database_url else [])
        for name, url in databases:
            tmp = tempfile.mkdtemp(prefix="machimado-load-")
            env = {**base_env, "MACHIMADO_INSTANCE_PATH": tmp, "DATABASE_URL": url or f"sqlite:///{tmp}/load.sqlite3"}
            if url:
                from sqlalchemy import create_engine, text

                with create_engine(url).begin() as conn:
                    conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            os.environ.update(env)
            wb.prepare_database()
            port = wb.free_port()
            bot = serve([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--log-level", "warning",
                         "--access-logfile", os.devnull, "wsgi:app"], env, port, 5.0)
            try:
                out[name] = {}
                for c in args.concurrency:
                    r = drive(f"http://127.0.0.1:{port}/callback", args.requests, c, questions, 10**7 * c)
                    echo_rps = out["echo"][str(c)]["rps"]
                    out[name][str(c)] = {"bot_rps": r["rps"], "echo_rps": echo_rps,
                                         "ratio": round(r["rps"] / echo_rps, 2) if echo_rps else None,
                                         "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"], "errors": r["errors"]}
            finally:
                stop(bot)
    finally:
        fake.terminate()
    print(json.dumps(out) if args.json else json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
