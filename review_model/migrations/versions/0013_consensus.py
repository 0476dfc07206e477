"""the consensus stage: its deadline, every version of a review, comments on disputed items, the lead reviewer and the joint assessment

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import review_model.column_types

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.add_column('rounds', sa.Column('consensus_deadline', review_model.column_types.UTCDateTime(), nullable=True))
    op.add_column('enrolments',
                  sa.Column('consensus_reminders_sent', sa.Integer(), nullable=False, server_default='0'))  # fmt: skip
    op.add_column('review_assignments',
                  sa.Column('is_lead', sa.Boolean(), nullable=False, server_default=sa.false()))  # fmt: skip
    op.create_table('review_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('answers', _JSON, nullable=False),
    sa.Column('submitted_at', review_model.column_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_versions_review_id_reviews')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_versions')),
    sa.UniqueConstraint('review_id', 'version', name=op.f('uq_review_versions_review_id_version'))
    )  # fmt: skip
    # Reviews submitted before this step: their current ratings are their first version.
    op.execute("INSERT INTO review_versions (review_id, version, answers, submitted_at) "
               "SELECT id, version, answers, submitted_at FROM reviews "
               "WHERE status = 'submitted' AND submitted_at IS NOT NULL AND version > 0")  # fmt: skip
    op.create_table('disputed_item_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=100), nullable=False),
    sa.Column('text', sa.String(length=2000), nullable=False),
    sa.Column('created_at', review_model.column_types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', review_model.column_types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['assignment_id'], ['review_assignments.id'], name=op.f('fk_disputed_item_comments_assignment_id_review_assignments')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_disputed_item_comments_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disputed_item_comments')),
    sa.UniqueConstraint('assignment_id', 'item_id', name=op.f('uq_disputed_item_comments_assignment_id_item_id'))
    )  # fmt: skip
    op.create_index(op.f('ix_disputed_item_comments_round_id'), 'disputed_item_comments', ['round_id'], unique=False)
    op.create_table('joint_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('written_by_assignment_id', sa.Integer(), nullable=False),
    sa.Column('strengths', sa.String(length=4000), nullable=False),
    sa.Column('weaknesses', sa.String(length=4000), nullable=False),
    sa.Column('recommendations', _JSON, nullable=False),
    sa.Column('created_at', review_model.column_types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', review_model.column_types.UTCDateTime(), nullable=True),
    sa.Column('submitted_at', review_model.column_types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_joint_assessments_round_id_rounds')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_joint_assessments_submission_id_submissions')),
    sa.ForeignKeyConstraint(['written_by_assignment_id'], ['review_assignments.id'], name=op.f('fk_joint_assessments_written_by_assignment_id_review_assignments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_joint_assessments')),
    sa.UniqueConstraint('submission_id', name=op.f('uq_joint_assessments_submission_id'))
    )  # fmt: skip
    op.create_index(op.f('ix_joint_assessments_round_id'), 'joint_assessments', ['round_id'], unique=False)
    op.create_table('assessment_endorsements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('endorses', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.String(length=2000), nullable=False),
    sa.Column('created_at', review_model.column_types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', review_model.column_types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['joint_assessments.id'], name=op.f('fk_assessment_endorsements_assessment_id_joint_assessments')),
    sa.ForeignKeyConstraint(['assignment_id'], ['review_assignments.id'], name=op.f('fk_assessment_endorsements_assignment_id_review_assignments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_endorsements')),
    sa.UniqueConstraint('assessment_id', 'assignment_id', name=op.f('uq_assessment_endorsements_assessment_id_assignment_id'))
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table('assessment_endorsements')
    op.drop_index(op.f('ix_joint_assessments_round_id'), table_name='joint_assessments')
    op.drop_table('joint_assessments')
    op.drop_index(op.f('ix_disputed_item_comments_round_id'), table_name='disputed_item_comments')
    op.drop_table('disputed_item_comments')
    op.drop_table('review_versions')
    # Plain ALTER TABLE … DROP COLUMN, as in 0010: a batch copy of a filled table is refused.
    op.drop_column('review_assignments', 'is_lead')
    op.drop_column('enrolments', 'consensus_reminders_sent')
    op.drop_column('rounds', 'consensus_deadline')
