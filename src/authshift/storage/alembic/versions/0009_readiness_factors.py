"""readiness_factors: passkeys an import refused stay in the user's readiness

Revision ID: 0009_readiness_factors
Revises: 0009_import_progress
Create Date: 2026-12-03 16:30:00

A passkey made for another RP ID is not imported (browsers would never offer it here); the user's
readiness keeps how many were refused, so it says "must register a new passkey" until they do.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009_readiness_factors'
down_revision = '0009_import_progress'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_readiness', schema=None) as batch_op:
        batch_op.add_column(sa.Column('passkeys_refused', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('user_readiness', schema=None) as batch_op:
        batch_op.drop_column('passkeys_refused')
