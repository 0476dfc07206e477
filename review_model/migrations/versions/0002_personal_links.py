"""personal links derived from a nonce, one per subject

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Links made before this revision cannot be derived again; no released version issued any.
    op.execute("DELETE FROM access_tokens")
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nonce', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False))
        batch_op.add_column(sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False))
        batch_op.drop_index(batch_op.f('ix_access_tokens_enrolment_id_purpose'))
        batch_op.create_unique_constraint(batch_op.f('uq_access_tokens_enrolment_id_subject'), ['enrolment_id', 'subject'])


def downgrade() -> None:
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_access_tokens_enrolment_id_subject'), type_='unique')
        batch_op.create_index(batch_op.f('ix_access_tokens_enrolment_id_purpose'), ['enrolment_id', 'purpose'], unique=False)
        batch_op.drop_column('subject')
        batch_op.drop_column('nonce')
