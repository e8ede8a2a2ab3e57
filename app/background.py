"""What the notices worker does besides notices, every round: plan the ごみ reminders that are due, push 通報 status
changes that are still waiting (LINE was away, or a process died between sending and recording) and fetch report
photos LINE could not give when they arrived. One list for `machimado broadcasts worker` and the demo."""

from __future__ import annotations

from collections.abc import Callable

from bot.gomi_chat import reminder_text
from bot.runtime import Runtime
from gomi.reminders import plan_due as plan_reminders
from reports import intake, notify


def worker_planners(runtime: Runtime) -> list[Callable[[], object]]:
    return [lambda: plan_reminders(runtime.sessions, reminder_text),
            notify.waiting_planner(runtime.sessions, runtime.line_client),
            intake.waiting_planner(runtime.sessions, runtime.line_client, runtime.photo_store)]
