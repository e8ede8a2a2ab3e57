"""question_logs.chosen_entry_id: the もしかして choice a resident tapped for the question

Revision ID: 0007_chosen_entry
Revises: 0006_text_vectors
Create Date: 2026-11-29 23:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007_chosen_entry'
down_revision: str | None = '0006_text_vectors'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('question_logs') as batch:
        batch.add_column(sa.Column('chosen_entry_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f('fk_question_logs_chosen_entry_id_faq_entries'), 'faq_entries',
                                 ['chosen_entry_id'], ['id'], ondelete='SET NULL')
        batch.create_index(batch.f('ix_question_logs_chosen_entry_id'), ['chosen_entry_id'])


def downgrade() -> None:
    with op.batch_alter_table('question_logs') as batch:
        batch.drop_index(batch.f('ix_question_logs_chosen_entry_id'))
        batch.drop_constraint(batch.f('fk_question_logs_chosen_entry_id_faq_entries'), type_='foreignkey')
        batch.drop_column('chosen_entry_id')
