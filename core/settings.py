"""Deployment settings read from the environment (12-factor) plus the municipality YAML.

Everything the app, the CLI and the worker need to know about the deployment lives in one
immutable :class:`Settings`, built once from ``os.environ`` so that all entry points agree.
Production refuses to start with missing secrets instead of falling back to insecure defaults.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from core.errors import ConfigError
from core.tenancy import MunicipalityConfig, default_municipality, load_municipalities

log = logging.getLogger(__name__)

LINE_API_DEFAULT = "https://api.line.me"
LINE_DATA_API_DEFAULT = "https://api-data.line.me"
ENVIRONMENTS = ("production", "development", "testing")
DEV_SECRET_KEY = "dev-only-secret-key-not-for-production"


@dataclass(frozen=True)
class Settings:
    env: str
    database_url: str
    secret_key: str
    line_api_base_url: str
    line_data_api_base_url: str
    municipalities: dict[str, MunicipalityConfig]
    default_slug: str
    max_body_bytes: int = 1_000_000
    line_timeout_s: float = 5.0
    retention_days: int = 365
    # Reverse proxies in front of the app (nginx: 1) whose X-Forwarded-For/-Proto are trusted: the login
    # throttle counts per client address, which would otherwise be the proxy's.
    proxy_count: int = 0
    metrics_token: str = ""  # bearer token for /metrics; empty: no /metrics
    # The second meaning model for Vietnamese, Tagalog, Nepali… (search/second_model.py): on, except in tests
    # (MACHIMADO_SECOND_MODEL=on|off); it encodes each knowledge base in the background after a build.
    second_model: bool = True
    instance_path: Path = field(default_factory=lambda: Path("instance"))
    # Where 通報 photos are kept (reports/storage.py): empty for <instance>/report_photos, or file:///path.
    photo_store: str = ""
    # The console's 通報 map draws 地理院タイル from the internet; off on LGWAN (coordinates and map links only).
    map_tiles: bool = True
    # Webhook events are stored by the webhook and handled by worker threads in each app process (bot/inbound.py):
    # how many per process (0: none here — `machimado worker` or the tests' drain handle them).
    inbound_workers: int = 2
    # An answer ready later than this after its event arrived goes by push (the reply token is likely expired).
    reply_max_age_s: float = 40.0

    @property
    def default_municipality(self) -> MunicipalityConfig:
        return self.municipalities[self.default_slug]

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        return replace(self, **dict(overrides))


def _default_sqlite_url(instance_path: Path) -> str:
    return f"sqlite:///{(instance_path / 'machimado.sqlite3').resolve()}"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from the environment; raise :class:`ConfigError` with a clear message."""
    env_vars = os.environ if environ is None else environ
    env = env_vars.get("MACHIMADO_ENV", "production").strip().lower()
    if env not in ENVIRONMENTS:
        raise ConfigError(f"MACHIMADO_ENV must be one of {', '.join(ENVIRONMENTS)} (got {env!r}).")
    production = env == "production"
    instance_path = Path(env_vars.get("MACHIMADO_INSTANCE_PATH", "instance"))

    secret_key = env_vars.get("SECRET_KEY", "")
    if not secret_key:
        if production:
            raise ConfigError(
                "SECRET_KEY is not set. Generate one with "
                "`python -c 'import secrets; print(secrets.token_hex(32))'` and export it."
            )
        secret_key = DEV_SECRET_KEY

    config_path = env_vars.get("MACHIMADO_CONFIG", "")
    if config_path:
        municipalities, default_slug = load_municipalities(Path(config_path), env_vars, production)
    else:
        demo = default_municipality(env_vars, production)
        municipalities, default_slug = {demo.slug: demo}, demo.slug

    base = env_vars.get("LINE_API_BASE_URL", "").rstrip("/")
    return Settings(
        env=env,
        database_url=env_vars.get("DATABASE_URL") or _default_sqlite_url(instance_path),
        secret_key=secret_key,
        line_api_base_url=base or LINE_API_DEFAULT,
        # A local fake serves both hosts; the real platform splits them.
        line_data_api_base_url=base or LINE_DATA_API_DEFAULT,
        municipalities=municipalities,
        default_slug=default_slug,
        max_body_bytes=_whole(env_vars, "MACHIMADO_MAX_BODY_BYTES", 1_000_000),
        line_timeout_s=_seconds(env_vars, "LINE_API_TIMEOUT", 5.0),
        retention_days=_whole(env_vars, "MACHIMADO_RETENTION_DAYS", 365),
        proxy_count=_whole(env_vars, "MACHIMADO_PROXY_COUNT", 0),
        metrics_token=env_vars.get("MACHIMADO_METRICS_TOKEN", ""),
        second_model=_switch(env_vars, "MACHIMADO_SECOND_MODEL", env != "testing"),
        instance_path=instance_path,
        photo_store=env_vars.get("MACHIMADO_PHOTO_STORE", "").strip(),
        map_tiles=_switch(env_vars, "MACHIMADO_MAP_TILES", True),
        inbound_workers=_whole(env_vars, "MACHIMADO_WEBHOOK_WORKERS", 0 if env == "testing" else 2),
        reply_max_age_s=_seconds(env_vars, "MACHIMADO_REPLY_MAX_AGE", 40.0),
    )


def _seconds(env_vars: Mapping[str, str], name: str, default: float) -> float:
    value = env_vars.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds (got {value!r}).") from None
    if not 0 < seconds <= 600:
        raise ConfigError(f"{name} must be between 0 and 600 seconds (got {value!r}).")
    return seconds


def _switch(env_vars: Mapping[str, str], name: str, default: bool) -> bool:
    value = env_vars.get(name, "").strip().lower()
    if not value:
        return default
    if value not in ("on", "off"):
        raise ConfigError(f"{name} must be on or off (got {value!r}).")
    return value == "on"


def _whole(env_vars: Mapping[str, str], name: str, default: int) -> int:
    value = env_vars.get(name, "").strip()
    if not value:
        return default
    if not value.isascii() or not value.isdigit():
        raise ConfigError(f"{name} must be a whole number (got {value!r}).")
    return int(value)


def dump_settings_summary(settings: Settings) -> str:
    """A human summary without secrets, for `machimado` startup banners."""
    summary = {
        "env": settings.env,
        "database": settings.database_url.split("@")[-1],
        "line_api": settings.line_api_base_url,
        "municipalities": sorted(settings.municipalities),
        "default": settings.default_slug,
    }
    return yaml.safe_dump(summary, allow_unicode=True, sort_keys=False)
