"""calibration: whether the report gives peer means corrected for each reviewer's leniency

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('rounds', sa.Column('normalise', sa.String(length=20), nullable=True))
    op.add_column('findings', sa.Column('corrected_peer_mean', sa.Float(), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+), as in 0010: a batch copy would drop tables others refer to.
    op.drop_column('findings', 'corrected_peer_mean')
    op.drop_column('rounds', 'normalise')
