"""participants' rights: erasure, retention, handing a form over, the accessibility statement

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import review_model.column_types

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('participants', sa.Column('erased_at', review_model.column_types.UTCDateTime(), nullable=True))
    op.add_column(
        'rounds', sa.Column('handover_keeps_first_link', sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column('rounds', sa.Column('retention', sa.String(length=32), nullable=True))
    op.add_column(
        'rounds',
        sa.Column(
            'accessibility',
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
            nullable=False,
            server_default='{}',
        ),
    )
    op.add_column('enrolments', sa.Column('handed_over_at', review_model.column_types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+), not a batch copy: a copy drops the table, which every
    # other table refers to, and SQLite's foreign keys refuse that once the store holds a round.
    op.drop_column('enrolments', 'handed_over_at')
    for column in ('accessibility', 'retention', 'handover_keeps_first_link'):
        op.drop_column('rounds', column)
    op.drop_column('participants', 'erased_at')
