"""Benchmark: do residents' questions wait while staff import a large knowledge base? (issue #16 §1.3)

Starts the fake LINE API and the app under gunicorn (production settings, as bench/webhook.py) on a fresh
database with the demo pack, then sends signed questions at a steady pace (``--concurrency`` residents, one
question each ``--gap`` seconds) for ``--idle`` seconds, and goes on sending while a staff member imports a
pack of ``--entries`` new entries through the console (login, upload, and — on builds that run imports as
jobs — the job page until it is done). The import's new texts all need encoding, as a real 2 MB pack's do.

Goal: webhook p99 during the import <= 2 x its idle p99, no errors. ``--root`` serves another checkout (an
older commit in a git worktree) with the same bench, for a side-by-side comparison in one run.

Prints one JSON object: entries, import_s, import_status, idle {n, p50_ms, p99_ms}, during {n, p50_ms, p99_ms,
max_ms}, p99_ratio, errors. Usage: python bench/import_stall.py --json [--entries 4000] [--database-url URL]
[--root DIR]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import webhook as wb  # noqa: E402  (bench/webhook.py: fake LINE, signed bodies, start-up helpers)

STAFF, PASSWORD = "bench-admin", "bench-password-1"


def big_pack(entries: int) -> bytes:
    """``entries`` new entries (the demo pack's, renamed and reworded so every text needs encoding)."""
    import yaml

    from faq.packs import DEMO_PACK, load_pack_file

    base = load_pack_file(DEMO_PACK)
    out = []
    for i in range(entries):
        e = base[i % len(base)]
        out.append({"id": f"bulk-{i}", "question": f"{e['question']}（{i}番の窓口）", "answer": f"{e['answer']} 受付番号{i}。",
                    "category": e["category"]})
    return yaml.safe_dump({"pack": "bulk", "entries": out}, allow_unicode=True).encode()


def add_staff() -> None:
    from admin.auth import create_user
    from bot.runtime import Runtime
    from core.db import session_scope
    from core.settings import load_settings

    runtime = Runtime.from_settings(load_settings())
    try:
        tenant = runtime.default_tenant()
        with session_scope(runtime.sessions) as session:
            create_user(session, STAFF, PASSWORD, "admin", tenant.id)
    finally:
        runtime.close()


class Console:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[str, str]:
        with self.opener.open(self.base + path, timeout=600) as r:
            return r.read().decode(), r.geturl()

    def token(self, path: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', self.get(path)[0]).group(1)

    def post(self, path: str, fields: dict[str, str], file: tuple[str, bytes] | None = None) -> tuple[str, str]:
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                 for k, v in fields.items()]
        if file:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file[0]}"\r\n'
                         "Content-Type: application/octet-stream\r\n\r\n".encode() + file[1] + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST",
                                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        with self.opener.open(request, timeout=900) as r:
            return r.read().decode(), r.geturl()


def import_through_console(base: str, pack: bytes) -> tuple[float, str]:
    console = Console(base)
    console.post("/admin/login", {"username": STAFF, "password": PASSWORD, "csrf_token": console.token("/admin/login")})
    started = time.perf_counter()
    page, url = console.post("/admin/faq/import", {"csrf_token": console.token("/admin/faq")}, ("bulk.yaml", pack))
    while "/admin/faq/import/" in url and not re.search(r"取り込みました|取り込みませんでした|中断", page):
        time.sleep(1)
        page, url = console.get(url.split(base, 1)[1])
    status = "done" if "取り込みました" in page else "failed"
    return time.perf_counter() - started, status


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=4000)
    parser.add_argument("--idle", type=float, default=15.0, help="seconds of questions before the import")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--gap", type=float, default=0.2, help="seconds between one resident's questions")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--root", default=str(HERE.parent), help="checkout to serve (default: this one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    root = Path(args.root).resolve()
    sys.path.insert(0, str(root))

    import yaml

    questions = [q["q"] for q in yaml.safe_load((HERE.parent / "eval" / "demo_paraphrases.yaml").read_text())["queries"]]
    line_port, app_port = wb.free_port(), wb.free_port()
    tmp = tempfile.mkdtemp(prefix="machimado-bench-")
    os.environ.update({"MACHIMADO_ENV": "testing", "MACHIMADO_INSTANCE_PATH": tmp,
                       "LINE_API_BASE_URL": f"http://127.0.0.1:{line_port}", "LINE_CHANNEL_ACCESS_TOKEN": wb.TOKEN,
                       "LINE_CHANNEL_SECRET": wb.SECRET,
                       "DATABASE_URL": args.database_url or f"sqlite:///{tmp}/bench.sqlite3"})
    if args.database_url and args.database_url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        with create_engine(args.database_url).begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    fake = multiprocessing.Process(target=wb.serve_fake_line, args=(line_port, 0.0), daemon=True)
    fake.start()
    wb.prepare_database()
    add_staff()
    pack = big_pack(args.entries)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--log-level", "warning",
                               "--access-logfile", os.devnull, "wsgi:app"], cwd=root, stderr=subprocess.DEVNULL,
                              env={**os.environ, "BIND": f"127.0.0.1:{app_port}", "WEB_CONCURRENCY": str(args.workers),
                                   "PYTHONPATH": str(root)})
    base = f"http://127.0.0.1:{app_port}"
    samples: list[tuple[float, float, int]] = []  # (sent at, ms, status)
    stop = threading.Event()

    def resident(k: int) -> None:
        n = k * 1_000_000
        while not stop.is_set():
            n += 1
            sent = time.monotonic()
            ms, status = wb.post(base + "/callback", n, questions[n % len(questions)])
            samples.append((sent, ms, status))
            time.sleep(args.gap)

    try:
        wb.wait_for(base + "/healthz")
        time.sleep(5)  # workers warm up in the background
        threads = [threading.Thread(target=resident, args=(k,), daemon=True) for k in range(args.concurrency)]
        for t in threads:
            t.start()
        time.sleep(args.idle)
        import_started = time.monotonic()
        import_s, import_status = import_through_console(base, pack)
        time.sleep(3)  # and a moment after: the workers' matchers are rebuilt for the new entries
        import_ended = time.monotonic()
        stop.set()
        for t in threads:
            t.join(60)
    finally:
        server.terminate()
        server.wait(30)
        fake.terminate()

    def summary(rows: list[tuple[float, float, int]]) -> dict[str, float]:
        ms = sorted(r[1] for r in rows) or [0.0]
        return {"n": len(rows), "p50_ms": round(statistics.median(ms), 1),
                "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1), "max_ms": round(ms[-1], 1)}

    idle = summary([r for r in samples if r[0] < import_started])
    during = summary([r for r in samples if import_started <= r[0] <= import_ended])
    out = {"root": str(root), "database": "postgresql" if args.database_url else "sqlite", "entries": args.entries,
           "import_s": round(import_s, 1), "import_status": import_status, "idle": idle, "during": during,
           "p99_ratio": round(during["p99_ms"] / max(idle["p99_ms"], 0.1), 2),
           "errors": sum(1 for r in samples if r[2] != 200),
           # When the slowest questions were sent, in seconds from the start of the upload (and how long they took).
           "slowest": [[round(r[0] - import_started, 1), round(r[1])] for r in
                       sorted((r for r in samples if import_started <= r[0] <= import_ended), key=lambda r: -r[1])[:8]]}
    print(json.dumps(out, ensure_ascii=False) if args.json else json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
