"""The Alembic migrations and the models describe the same schema (on SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import migrations
from core.db import Base, make_engine


def test_models_match_the_migrated_schema(database_url: str) -> None:
    import admin.models  # noqa: F401  (the models migrations/env.py registers)
    import broadcasts.models  # noqa: F401
    import core.models  # noqa: F401
    import desk.models  # noqa: F401
    import directory.models  # noqa: F401
    import faq.models  # noqa: F401
    import search.vectors  # noqa: F401

    engine = make_engine(database_url)
    try:
        migrations.upgrade(engine)
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
