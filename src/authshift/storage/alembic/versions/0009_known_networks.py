"""throttle: the networks an account's owner signed in from (known_networks)

Revision ID: 0009_known_networks
Revises: 0008_passkeys
Create Date: 2026-12-03 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from authshift.storage.types import UtcDateTime

revision = '0009_known_networks'
down_revision = '0008_passkeys'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'known_networks',
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('network', sa.Text(), nullable=False),
        sa.Column('last_seen_at', UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'network'),
    )
    op.create_index('ix_known_networks_last_seen_at', 'known_networks', ['last_seen_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_known_networks_last_seen_at', table_name='known_networks')
    op.drop_table('known_networks')
