"""console: operators allowed into the migration console, its sessions, the Overview's daily history,
audit log indexes for the console's filters

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

    op.create_table('console_daily_users',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('migration_state', sa.Text(), nullable=False),
    sa.Column('readiness', sa.Text(), nullable=False),
    sa.Column('activity', sa.Text(), nullable=False),
    sa.Column('users', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("activity IN ('active', 'dormant', 'never')", name=op.f('ck_console_daily_users_activity')),
    sa.PrimaryKeyConstraint('day', 'source', 'migration_state', 'readiness', 'activity', name=op.f('pk_console_daily_users'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_actor'), ['actor'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_target'), ['target'], unique=False)
    op.create_table('console_daily_moves',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'kind', 'detail', name=op.f('pk_console_daily_moves'))
    )


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_target'))
        batch_op.drop_index(batch_op.f('ix_audit_log_actor'))
    op.drop_table('console_daily_moves')
    op.drop_table('console_daily_users')
    with op.batch_alter_table('console_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_sessions_created_at'))
        batch_op.drop_index(batch_op.f('ix_console_sessions_user_id'))
    op.drop_table('console_sessions')
    op.drop_table('console_operators')
