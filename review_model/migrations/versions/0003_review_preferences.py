"""review preferences

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import review_model.column_types

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('review_preferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_at', review_model.column_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_review_preferences_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_review_preferences_participant_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_preferences')),
    sa.UniqueConstraint('participant_id', 'organisation_id', name=op.f('uq_review_preferences_participant_id_organisation_id'))
    )
    with op.batch_alter_table('review_preferences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_preferences_participant_id'), ['participant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('review_preferences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_preferences_participant_id'))

    op.drop_table('review_preferences')