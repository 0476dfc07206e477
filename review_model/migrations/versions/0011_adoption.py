"""the adoption of a round's results: whether publication waits for it, and by whom and when it was adopted

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import review_model.column_types

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('rounds', sa.Column('adoption_required', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('rounds', sa.Column('adopted_by', sa.String(length=200), nullable=True))
    op.add_column('rounds', sa.Column('adopted_on', sa.Date(), nullable=True))
    op.add_column('rounds', sa.Column('adoption_changes', sa.String(length=4000), nullable=True))
    op.add_column('rounds', sa.Column('adoption_recorded_at', review_model.column_types.UTCDateTime(), nullable=True))
    op.add_column('rounds', sa.Column('adoption_recorded_by', sa.String(length=200), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN, as in 0010: a batch copy of `rounds` is refused once rounds exist.
    for column in ('adoption_recorded_by', 'adoption_recorded_at', 'adoption_changes', 'adopted_on', 'adopted_by',
                   'adoption_required'):  # fmt: skip
        op.drop_column('rounds', column)
