"""followers.emergency_seen_id: an emergency is shown in full once per resident, then as a one-line pointer

Revision ID: 0011_emergency_seen
Revises: 0010_import_jobs
Create Date: 2026-11-30 02:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011_emergency_seen'
down_revision: str | None = '0010_import_jobs'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('followers') as batch:
        batch.add_column(sa.Column('emergency_seen_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('followers') as batch:
        batch.drop_column('emergency_seen_id')
