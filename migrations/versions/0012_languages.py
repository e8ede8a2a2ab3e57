"""Residents' languages: where a follower's language came from, the large-button menu, FAQ and notice translations, a question's language, a notice batch's language

Revision ID: 0012_languages
Revises: 0011_emergency_seen
Create Date: 2026-11-30 05:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012_languages'
down_revision: str | None = '0011_emergency_seen'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('followers') as batch:
        batch.add_column(sa.Column('language_source', sa.String(length=10), nullable=True))
        batch.add_column(sa.Column('menu', sa.String(length=10), nullable=True))
    with op.batch_alter_table('faq_entries') as batch:
        batch.add_column(sa.Column('translations', sa.JSON(), nullable=True))
    with op.batch_alter_table('notices') as batch:
        batch.add_column(sa.Column('translations', sa.JSON(), nullable=True))
    with op.batch_alter_table('question_logs') as batch:
        batch.add_column(sa.Column('language', sa.String(length=16), nullable=True))
    with op.batch_alter_table('notice_batches') as batch:
        batch.add_column(sa.Column('language', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notice_batches') as batch:
        batch.drop_column('language')
    with op.batch_alter_table('question_logs') as batch:
        batch.drop_column('language')
    with op.batch_alter_table('notices') as batch:
        batch.drop_column('translations')
    with op.batch_alter_table('faq_entries') as batch:
        batch.drop_column('translations')
    with op.batch_alter_table('followers') as batch:
        batch.drop_column('menu')
        batch.drop_column('language_source')
