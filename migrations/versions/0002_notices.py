"""notices and preferences

Revision ID: 0002_notices
Revises: 0001_initial
Create Date: 2026-11-22 11:28:34.936346
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002_notices'
down_revision: str | None = '0001_initial'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('municipality_state',
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('disaster_mode', sa.Boolean(), nullable=False),
    sa.Column('disaster_type', sa.String(length=40), nullable=False),
    sa.Column('rich_menus', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_municipality_state_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('municipality_id', name=op.f('pk_municipality_state'))
    )
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('target', sa.JSON(), nullable=False),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('location', sa.JSON(), nullable=True),
    sa.Column('messages', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('planned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recipients_total', sa.Integer(), nullable=False),
    sa.Column('recipients_sent', sa.Integer(), nullable=False),
    sa.Column('recipients_failed', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_notices_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index('ix_notices_muni_status', ['municipality_id', 'status'], unique=False)

    op.create_table('notice_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('recipient_count', sa.Integer(), nullable=False),
    sa.Column('retry_key', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('claimed_by', sa.String(length=80), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_notice_batches_notice_id_notices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_batches')),
    sa.UniqueConstraint('notice_id', 'seq', name=op.f('uq_notice_batches_notice_id')),
    sa.UniqueConstraint('retry_key', name=op.f('uq_notice_batches_retry_key'))
    )
    with op.batch_alter_table('notice_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_batches_notice_id'), ['notice_id'], unique=False)
        batch_op.create_index('ix_notice_batches_status_next', ['status', 'next_attempt_at'], unique=False)

    with op.batch_alter_table('followers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topics', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('district', sa.String(length=40), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('followers', schema=None) as batch_op:
        batch_op.drop_column('district')
        batch_op.drop_column('topics')

    with op.batch_alter_table('notice_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_batches_status_next')
        batch_op.drop_index(batch_op.f('ix_notice_batches_notice_id'))

    op.drop_table('notice_batches')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_muni_status')

    op.drop_table('notices')
    op.drop_table('municipality_state')
