"""Alembic environment: runs against the connection or URL handed over by migrations.upgrade()."""

from alembic import context
from sqlalchemy import create_engine

import admin.models  # noqa: F401
import broadcasts.models  # noqa: F401
import core.models  # noqa: F401  (register tables)
import desk.models  # noqa: F401
import directory.models  # noqa: F401
import faq.models  # noqa: F401
import gomi.models  # noqa: F401
import reports.models  # noqa: F401
import search.vectors  # noqa: F401
from core.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
