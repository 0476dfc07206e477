"""a reminder count per kind on each enrolment: reviews and replies beside the self-assessment

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Until now the review and reply reminders were counted from the outbox: the counts start from there.
_COUNT_FROM_OUTBOX = """
UPDATE enrolments SET {column} = (
    SELECT count(*) FROM outbox_messages
    WHERE outbox_messages.round_id = enrolments.round_id
      AND outbox_messages.recipient_participant_id = enrolments.participant_id
      AND outbox_messages.kind = '{kind}'
)
"""


def upgrade() -> None:
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_reminders_sent', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('reply_reminders_sent', sa.Integer(), nullable=False, server_default='0'))
    op.execute(_COUNT_FROM_OUTBOX.format(column='review_reminders_sent', kind='review_reminder'))
    op.execute(_COUNT_FROM_OUTBOX.format(column='reply_reminders_sent', kind='reply_reminder'))
    with op.batch_alter_table('enrolments', schema=None) as batch_op:  # the models give the default, as elsewhere
        batch_op.alter_column('review_reminders_sent', server_default=None)
        batch_op.alter_column('reply_reminders_sent', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_column('reply_reminders_sent')
        batch_op.drop_column('review_reminders_sent')
