"""Per-app runtime objects (kept in ``app.extensions['machimado']``, never module globals).

Holds the settings, the database engine and session factory, one LINE client per channel and the
matcher cache. The CLI builds the same object without Flask, so every entry point shares it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.db import make_engine, make_session_factory, session_scope
from core.errors import ConfigError
from core.models import Municipality
from core.settings import Settings
from core.tenancy import Tenant, sync_municipalities
from faq.kb import MatcherCache
from gomi.calendar import CalendarCache
from line.client import LineClient
from line.reply_sender import ReplySender
from reports.storage import PhotoStore, PhotoStoreError, store_from_url

log = logging.getLogger(__name__)


class EventQueue(Protocol):
    """What the runtime keeps of bot.inbound.Processor (created there on first use: it stands on the handlers)."""

    def wake(self) -> None: ...

    def drain(self, timeout: float = 30.0) -> int: ...

    def stop(self, timeout: float = 10.0) -> None: ...


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    matchers: MatcherCache = field(default_factory=MatcherCache)
    replies: ReplySender = field(default_factory=ReplySender)
    gomi: CalendarCache = field(default_factory=CalendarCache)
    _clients: dict[str, LineClient] = field(default_factory=dict)
    _tenants: dict[str, Tenant] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    demo_worker_stop: threading.Event | None = None
    photos: PhotoStore | None = None  # 通報 photos (reports/storage.py), from settings.photo_store
    inbound: EventQueue | None = None  # the webhook events' worker threads (bot.inbound.processor_of)

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        engine = make_engine(settings.database_url)
        sessions = make_session_factory(engine)
        try:
            photos = store_from_url(settings.photo_store, settings.instance_path)
        except PhotoStoreError as exc:
            raise ConfigError(str(exc)) from None
        return cls(settings=settings, engine=engine, sessions=sessions,
                   matchers=MatcherCache(sessions, second=settings.second_model), photos=photos)

    def tenant_by_id(self, municipality_id: int) -> Tenant | None:
        """The configured municipality whose row has this id (events in the queue name it by id)."""
        for slug in self.settings.municipalities:
            tenant = self.tenant(slug)
            if tenant is not None and tenant.id == municipality_id:
                return tenant
        return None

    @property
    def photo_store(self) -> PhotoStore:
        assert self.photos is not None, "Runtime.from_settings sets the photo store"
        return self.photos

    def line_client(self, slug: str) -> LineClient:
        client = self._clients.get(slug)
        if client is None:
            with self._lock:
                client = self._clients.get(slug)
                if client is None:
                    config = self.settings.municipalities[slug]
                    client = LineClient(self.settings.line_api_base_url, config.channel_access_token,
                                        self.settings.line_timeout_s, channel=slug,
                                        data_base_url=self.settings.line_data_api_base_url)
                    self._clients[slug] = client
        return client

    def tenant(self, slug: str) -> Tenant | None:
        """The configured municipality with this slug (its DB row created on first use)."""
        if slug not in self.settings.municipalities:
            return None
        tenant = self._tenants.get(slug)
        if tenant is None:
            with session_scope(self.sessions) as session:
                row_id = session.scalar(select(Municipality.id).where(Municipality.slug == slug))
                if row_id is None:
                    row_id = sync_municipalities(session, self.settings.municipalities)[slug]
            tenant = Tenant(row_id, self.settings.municipalities[slug])
            self._tenants[slug] = tenant
        return tenant

    def default_tenant(self) -> Tenant:
        """The deployment's default municipality (always configured: settings refuse to start without it)."""
        tenant = self.tenant(self.settings.default_slug)
        assert tenant is not None
        return tenant

    def warm_up(self) -> None:
        """Build every municipality's matcher and load the sentence encoder now, so a new worker's
        first residents do not wait for them (~1–2 s with the demo pack, longer for big knowledge
        bases). A failure (database not up yet) is logged: the first question then builds it."""
        for slug, config in self.settings.municipalities.items():
            try:
                tenant = self.tenant(slug)
                assert tenant is not None
                with session_scope(self.sessions) as session:
                    self.matchers.get(session, tenant.id, config).warm_up()
            except Exception:  # noqa: BLE001 - warming up is an optimization, never a reason to fail
                log.warning("warm-up failed municipality=%s; its first question will build the matcher", slug,
                            exc_info=True)

    def close(self) -> None:
        if self.demo_worker_stop is not None:
            self.demo_worker_stop.set()
        if self.inbound is not None:
            self.inbound.stop()
        self.replies.close()
        for client in self._clients.values():
            client.close()
        self.engine.dispose()
