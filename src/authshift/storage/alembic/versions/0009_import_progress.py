"""imports: how many bytes of the file a job has read (import_jobs.bytes_read), for the
percentage and time left that `authshift imports show` and the console show

Revision ID: 0009_import_progress
Revises: 0009_console (chained after the console's migration, which this branch merged)
Create Date: 2026-12-03 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009_import_progress'
down_revision = '0009_console'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bytes_read', sa.BigInteger(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_column('bytes_read')
