"""Shared plumbing for every `machimado` command module (no click group here, so no import cycle)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from bot.runtime import Runtime
from core.errors import ConfigError
from core.settings import load_settings
from core.tenancy import Tenant


@contextmanager
def runtime_from_env() -> Iterator[Runtime]:
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    runtime = Runtime.from_settings(settings)
    try:
        yield runtime
    finally:
        runtime.close()


def resolve_tenant(runtime: Runtime, slug: str | None) -> Tenant:
    slug = slug or runtime.settings.default_slug
    tenant = runtime.tenant(slug)
    if tenant is None:
        raise click.ClickException(f"unknown municipality {slug!r}; configured: "
                                   f"{', '.join(sorted(runtime.settings.municipalities))}")
    return tenant


@contextmanager
def tenant_runtime(slug: str | None) -> Iterator[tuple[Runtime, Tenant]]:
    """The runtime and the municipality a command works on (``-m SLUG`` or the default)."""
    with runtime_from_env() as runtime:
        yield runtime, resolve_tenant(runtime, slug)


municipality_option = click.option("--municipality", "-m", "slug", default=None,
                                   help="Municipality slug (default: the configured default).")
