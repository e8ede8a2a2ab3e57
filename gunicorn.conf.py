"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Tunable through the environment: BIND, WEB_CONCURRENCY (worker processes), GUNICORN_THREADS.
The webhook answers within LINE's timeout on a few threads per worker; each worker keeps its own
FAQ index and rebuilds it when the knowledge base changes (see faq/kb.py).
"""

import multiprocessing
import os
import tempfile
import threading
from typing import Any

# /metrics sums every worker's counters through files here (prometheus_client multiprocess mode); set before the
# workers import the app. An operator may point it elsewhere (it must be emptied when gunicorn restarts).
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="machimado-metrics-"))

# One BLAS thread per request thread: the sentence encoder's numpy work otherwise starts a BLAS thread per core in
# every worker, and with several workers × threads on a small machine they fight over the cores. Measured with
# bench/webhook.py (2 workers × 4 threads, 2 cores, concurrency 4): 25 → 67 requests/s, p50 138 → 48 ms. Set before
# the workers import numpy; an operator may override them.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 8)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 5
# Request lines only: never bodies (residents' messages are personal data).
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'
errorlog = "-"


def post_worker_init(worker: Any) -> None:  # gunicorn.workers.base.Worker
    """Warm the new worker up (matchers built, sentence encoder loaded) in the background: its first
    residents would otherwise wait 1–2 s, and on a big knowledge base a warm-up inside this hook could
    outlast the worker timeout. Requests that arrive meanwhile wait for the same build."""
    runtime = worker.wsgi.extensions["machimado"]
    threading.Thread(target=runtime.warm_up, name="warm-up", daemon=True).start()
    # the webhook events' handling threads (bot/inbound.py): from the start, so events another instance stored
    # are handled too
    from bot.inbound import processor_of

    processor_of(runtime).start()


def worker_exit(server: Any, worker: Any) -> None:  # gunicorn Arbiter and Worker
    """Send the replies still queued (line/reply_sender.py) and close connections before the worker goes."""
    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "extensions"):
        app.extensions["machimado"].close()


def child_exit(server: Any, worker: Any) -> None:  # gunicorn Arbiter and Worker
    """A worker that ended: its live gauges leave /metrics (its counters stay summed)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
