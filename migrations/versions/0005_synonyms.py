"""synonym sets

Revision ID: 0005_synonyms
Revises: 0004_staff
Create Date: 2026-11-22 12:19:20.806309
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005_synonyms'
down_revision: str | None = '0004_staff'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('synonym_sets',
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('groups', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_synonym_sets_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('municipality_id', name=op.f('pk_synonym_sets'))
    )


def downgrade() -> None:
    op.drop_table('synonym_sets')
