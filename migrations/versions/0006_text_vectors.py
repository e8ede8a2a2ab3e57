"""text vectors

Revision ID: 0006_text_vectors
Revises: 0005_synonyms
Create Date: 2026-11-22 15:03:01.849999
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006_text_vectors'
down_revision: str | None = '0005_synonyms'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('text_vectors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=20), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_text_vectors')),
    sa.UniqueConstraint('model', 'digest', name=op.f('uq_text_vectors_model'))
    )


def downgrade() -> None:
    op.drop_table('text_vectors')
