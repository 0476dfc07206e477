"""staff accounts for the console: sessions, password links, login attempts, round staff

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import review_model.column_types

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('staff_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('role', sa.Enum('admin', 'coordinator', 'observer', name='staffrole', native_enum=False, length=32), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('password_set_at', review_model.column_types.UTCDateTime(), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('last_login_at', review_model.column_types.UTCDateTime(), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', review_model.column_types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_accounts')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_accounts_email'))
    )
    op.create_table('staff_login_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', review_model.column_types.UTCDateTime(), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_login_attempts'))
    )
    with op.batch_alter_table('staff_login_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_login_attempts_address_at'), ['address', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_login_attempts_email_at'), ['email', 'at'], unique=False)

    op.create_table('round_staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('created_at', review_model.column_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_round_staff_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_staff')),
    sa.UniqueConstraint('round_id', 'email', name=op.f('uq_round_staff_round_id_email'))
    )
    with op.batch_alter_table('round_staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_staff_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_round_staff_round_id'), ['round_id'], unique=False)
    # Each existing round's coordinator is named for it, as the round file names them for new rounds.
    op.execute("INSERT INTO round_staff (round_id, email, created_at) SELECT id, lower(coordinator_email), created_at FROM rounds")

    op.create_table('staff_password_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('created_at', review_model.column_types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', review_model.column_types.UTCDateTime(), nullable=False),
    sa.Column('used_at', review_model.column_types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_accounts.id'], name=op.f('fk_staff_password_links_staff_id_staff_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_password_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_password_links_token_hash'))
    )
    with op.batch_alter_table('staff_password_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_password_links_staff_id'), ['staff_id'], unique=False)

    op.create_table('staff_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('created_at', review_model.column_types.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', review_model.column_types.UTCDateTime(), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_agent', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_accounts.id'], name=op.f('fk_staff_sessions_staff_id_staff_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_sessions_token_hash'))
    )
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_sessions_staff_id'), ['staff_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_sessions_staff_id'))

    op.drop_table('staff_sessions')
    with op.batch_alter_table('staff_password_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_password_links_staff_id'))

    op.drop_table('staff_password_links')
    with op.batch_alter_table('round_staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_staff_round_id'))
        batch_op.drop_index(batch_op.f('ix_round_staff_email'))

    op.drop_table('round_staff')
    with op.batch_alter_table('staff_login_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_login_attempts_email_at'))
        batch_op.drop_index(batch_op.f('ix_staff_login_attempts_address_at'))

    op.drop_table('staff_login_attempts')
    op.drop_table('staff_accounts')
