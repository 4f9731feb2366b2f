"""console: operators allowed into the migration console, and its sessions

Revision ID: 0009_console
Revises: 0008_passkeys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import authshift.storage.types

revision = '0009_console'
down_revision = '0008_passkeys'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('console_operators',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('granted_at', authshift.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('granted_by', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_console_operators_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_console_operators'))
    )
    op.create_table('console_sessions',
    sa.Column('token_hash', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', authshift.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', authshift.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_console_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_console_sessions'))
    )
    with op.batch_alter_table('console_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_sessions_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_console_sessions_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('console_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_sessions_created_at'))
        batch_op.drop_index(batch_op.f('ix_console_sessions_user_id'))
    op.drop_table('console_sessions')
    op.drop_table('console_operators')
