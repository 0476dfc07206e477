"""follow-up: what respondents report about the recommendations of the round before

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import review_model.column_types

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('follow_up_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('recommendation_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('not_started', 'in_progress', 'implemented', 'not_pursued', name='followupstatus', native_enum=False, length=32), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('created_at', review_model.column_types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', review_model.column_types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['recommendation_id'], ['recommendations.id'], name=op.f('fk_follow_up_reports_recommendation_id_recommendations')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_follow_up_reports_submission_id_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_reports')),
    sa.UniqueConstraint('submission_id', 'recommendation_id', 'version', name=op.f('uq_follow_up_reports_submission_id_recommendation_id_version'))
    )
    with op.batch_alter_table('follow_up_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_reports_recommendation_id'), ['recommendation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_up_reports_submission_id'), ['submission_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('follow_up_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_reports_submission_id'))
        batch_op.drop_index(batch_op.f('ix_follow_up_reports_recommendation_id'))

    op.drop_table('follow_up_reports')
