"""hashes: project hash parameters (Firebase) kept by name, signer keys encrypted

Revision ID: 0008_hashes
Revises: 0007_token_exchange
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import authshift.storage.types

revision = '0008_hashes'
down_revision = '0007_token_exchange'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('password_hash_configs',
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('algorithm', sa.Text(), nullable=False),
    sa.Column('signer_key_encrypted', sa.Text(), nullable=False),
    sa.Column('salt_separator', sa.Text(), nullable=False),
    sa.Column('rounds', sa.Integer(), nullable=False),
    sa.Column('mem_cost', sa.Integer(), nullable=False),
    sa.Column('created_at', authshift.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_password_hash_configs'))
    )


def downgrade() -> None:
    op.drop_table('password_hash_configs')
