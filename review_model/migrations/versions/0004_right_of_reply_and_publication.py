"""right of reply and publication

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import review_model.column_types

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('published_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('media_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('published_at', review_model.column_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_published_reports_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_published_reports')),
    sa.UniqueConstraint('round_id', 'format', 'language', name=op.f('uq_published_reports_round_id_format_language'))
    )
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_decision_maker', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scale', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.drop_index(batch_op.f('ix_findings_round_id_submission_id_scope_key'))
        batch_op.create_index(batch_op.f('ix_findings_round_id_submission_id_scope_key_scale'), ['round_id', 'submission_id', 'scope', 'key', 'scale'], unique=True)

    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_replies_submission_id_finding_id'), ['submission_id', 'finding_id'])

    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_submitted_at', review_model.column_types.UTCDateTime(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('reply_submitted_at')

    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_replies_submission_id_finding_id'), type_='unique')

    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_findings_round_id_submission_id_scope_key_scale'))
        batch_op.create_index(batch_op.f('ix_findings_round_id_submission_id_scope_key'), ['round_id', 'submission_id', 'scope', 'key'], unique=1)
        batch_op.drop_column('scale')

    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_column('is_decision_maker')

    op.drop_table('published_reports')
