"""ごみ: a municipality's 5374 calendar (areas, types, pauses, sorting dictionary, remarks), import history,
residents' areas and reminder choices, reminder rounds; notices.kind (a reminder is a notice the console lists apart)

Revision ID: 0013_gomi
Revises: 0012_languages
Create Date: 2026-12-05 14:32:35.794390
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013_gomi'
down_revision: str | None = '0012_languages'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('gomi_areas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('raw_name', sa.String(length=200), nullable=False),
    sa.Column('reading', sa.String(length=400), nullable=False),
    sa.Column('centre', sa.String(length=200), nullable=False),
    sa.Column('district', sa.String(length=200), nullable=False),
    sa.Column('cells', sa.JSON(), nullable=False),
    sa.Column('invalid', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_gomi_areas_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gomi_areas'))
    )
    with op.batch_alter_table('gomi_areas', schema=None) as batch_op:
        batch_op.create_index('ix_gomi_areas_muni', ['municipality_id', 'position'], unique=False)

    op.create_table('gomi_calendars',
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('pause_mode', sa.String(length=10), nullable=False),
    sa.Column('evening_at', sa.String(length=5), nullable=False),
    sa.Column('morning_at', sa.String(length=5), nullable=False),
    sa.Column('reminders_enabled', sa.Boolean(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_gomi_calendars_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('municipality_id', name=op.f('pk_gomi_calendars'))
    )
    op.create_table('gomi_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('notes', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_gomi_imports_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gomi_imports'))
    )
    with op.batch_alter_table('gomi_imports', schema=None) as batch_op:
        batch_op.create_index('ix_gomi_imports_muni', ['municipality_id', 'created_at'], unique=False)

    op.create_table('gomi_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('reading', sa.String(length=600), nullable=False),
    sa.Column('type_label', sa.String(length=120), nullable=False),
    sa.Column('notice', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_gomi_items_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gomi_items'))
    )
    with op.batch_alter_table('gomi_items', schema=None) as batch_op:
        batch_op.create_index('ix_gomi_items_muni', ['municipality_id'], unique=False)

    op.create_table('gomi_pauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('centre', sa.String(length=200), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_gomi_pauses_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gomi_pauses'))
    )
    with op.batch_alter_table('gomi_pauses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gomi_pauses_municipality_id'), ['municipality_id'], unique=False)

    op.create_table('gomi_remarks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_gomi_remarks_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gomi_remarks')),
    sa.UniqueConstraint('municipality_id', 'number', name=op.f('uq_gomi_remarks_municipality_id'))
    )
    op.create_table('gomi_reminder_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('timing', sa.String(length=10), nullable=False),
    sa.Column('notices', sa.JSON(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_gomi_reminder_runs_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gomi_reminder_runs')),
    sa.UniqueConstraint('municipality_id', 'day', 'timing', name=op.f('uq_gomi_reminder_runs_municipality_id'))
    )
    op.create_table('gomi_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('sublabel', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('colour', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_gomi_types_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gomi_types'))
    )
    with op.batch_alter_table('gomi_types', schema=None) as batch_op:
        batch_op.create_index('ix_gomi_types_muni', ['municipality_id', 'position'], unique=False)

    op.create_table('gomi_residents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('follower_id', sa.Integer(), nullable=False),
    sa.Column('area', sa.String(length=200), nullable=False),
    sa.Column('reminder_types', sa.JSON(), nullable=False),
    sa.Column('reminder_timing', sa.String(length=10), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['follower_id'], ['followers.id'], name=op.f('fk_gomi_residents_follower_id_followers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_gomi_residents_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gomi_residents')),
    sa.UniqueConstraint('follower_id', name=op.f('uq_gomi_residents_follower_id'))
    )
    with op.batch_alter_table('gomi_residents', schema=None) as batch_op:
        batch_op.create_index('ix_gomi_residents_muni', ['municipality_id', 'area'], unique=False)
    with op.batch_alter_table('notices') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=20), nullable=False, server_default='notice'))


def downgrade() -> None:
    with op.batch_alter_table('notices') as batch:
        batch.drop_column('kind')
    with op.batch_alter_table('gomi_residents', schema=None) as batch_op:
        batch_op.drop_index('ix_gomi_residents_muni')

    op.drop_table('gomi_residents')
    with op.batch_alter_table('gomi_types', schema=None) as batch_op:
        batch_op.drop_index('ix_gomi_types_muni')

    op.drop_table('gomi_types')
    op.drop_table('gomi_reminder_runs')
    op.drop_table('gomi_remarks')
    with op.batch_alter_table('gomi_pauses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gomi_pauses_municipality_id'))

    op.drop_table('gomi_pauses')
    with op.batch_alter_table('gomi_items', schema=None) as batch_op:
        batch_op.drop_index('ix_gomi_items_muni')

    op.drop_table('gomi_items')
    with op.batch_alter_table('gomi_imports', schema=None) as batch_op:
        batch_op.drop_index('ix_gomi_imports_muni')

    op.drop_table('gomi_imports')
    op.drop_table('gomi_calendars')
    with op.batch_alter_table('gomi_areas', schema=None) as batch_op:
        batch_op.drop_index('ix_gomi_areas_muni')

    op.drop_table('gomi_areas')
