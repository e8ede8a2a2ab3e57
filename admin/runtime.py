"""What the console uses of the app's runtime, reached through the app (``app.extensions["machimado"]``).

The runtime object is the bot's (``bot.runtime.Runtime``); the console stands beside the bot, not on it, so it
states the part it needs as a protocol instead of importing it.
"""

from __future__ import annotations

from typing import Protocol, cast

from flask import current_app
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings
from core.tenancy import Tenant
from faq.kb import MatcherCache
from line.client import LineClient
from reports.storage import PhotoStore


class ConsoleRuntime(Protocol):
    sessions: sessionmaker[Session]
    matchers: MatcherCache
    settings: Settings

    @property
    def photo_store(self) -> PhotoStore: ...

    def tenant(self, slug: str) -> Tenant | None: ...

    def line_client(self, slug: str) -> LineClient: ...


def runtime() -> ConsoleRuntime:
    return cast(ConsoleRuntime, current_app.extensions["machimado"])


def tenant_of(slug: str) -> Tenant:
    """The configured municipality the console works on (it only ever shows configured ones)."""
    tenant = runtime().tenant(slug)
    assert tenant is not None, f"municipality {slug!r} is not configured"
    return tenant
