"""questions a reviewer asks the reviewed party during the review, and their answers

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import review_model.column_types

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('review_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('asked_at', review_model.column_types.UTCDateTime(), nullable=False),
    sa.Column('answer', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=True),
    sa.Column('answered_at', review_model.column_types.UTCDateTime(), nullable=True),
    sa.Column('answered_by_enrolment_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_enrolment_id'], ['enrolments.id'], name=op.f('fk_review_questions_answered_by_enrolment_id_enrolments')),
    sa.ForeignKeyConstraint(['assignment_id'], ['review_assignments.id'], name=op.f('fk_review_questions_assignment_id_review_assignments')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_review_questions_round_id_rounds')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_review_questions_submission_id_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_questions'))
    )  # fmt: skip
    with op.batch_alter_table('review_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_questions_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_questions_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_questions_submission_id_asked_at'), ['submission_id', 'asked_at'],
                              unique=False)  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table('review_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_questions_submission_id_asked_at'))
        batch_op.drop_index(batch_op.f('ix_review_questions_round_id'))
        batch_op.drop_index(batch_op.f('ix_review_questions_assignment_id'))
    op.drop_table('review_questions')
