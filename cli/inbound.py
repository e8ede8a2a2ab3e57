"""`machimado worker`: handle the webhook events the web processes stored (bot/inbound.py).

Every app process already runs `MACHIMADO_WEBHOOK_WORKERS` handling threads; a separate worker adds capacity on
PostgreSQL (several share the queue through FOR UPDATE SKIP LOCKED) or handles everything when the web processes
run with `MACHIMADO_WEBHOOK_WORKERS=0`. With SQLite, keep to one process.
"""

from __future__ import annotations

import signal
import threading

import click

from bot.inbound import Processor
from cli.support import runtime_from_env


@click.command("worker")
@click.option("--threads", default=2, show_default=True, help="Handling threads.")
@click.option("--drain", is_flag=True, help="Handle what is waiting, then exit (cron, tests).")
def worker_cmd(threads: int, drain: bool) -> None:
    """Handle stored webhook events: answers to residents' messages, postbacks, follows."""
    with runtime_from_env() as runtime:
        processor = Processor(runtime, workers=threads, reply_max_age_s=runtime.settings.reply_max_age_s)
        runtime.inbound = processor
        if drain:
            handled = processor.drain(timeout=3600)
            click.echo(f"{handled} event(s) handled", err=True)
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        processor.start()
        click.echo(f"worker {processor.name} started with {threads} thread(s)", err=True)
        while not stop.wait(1.0):
            pass
        processor.stop()
        click.echo("worker stopped", err=True)
