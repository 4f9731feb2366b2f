"""records: users.source is always set, and external_id is unique per source (not instance-wide)

Two legacy systems often number their users the same way (1, 2, 3... or the same Firebase uid
shapes); with one instance-wide ``external_id`` namespace, merging them needed hand-edited files.
The pair (source, external_id) is now the unique key. Users stored before this revision without
a source get the name the code now gives such users: ``import`` (bulk-imported), ``legacy``
(created by a lazy migration) and ``authshift`` (born here: sign-up, admin API).

On SQLite the users table is rebuilt (a table constraint cannot be dropped there); the
migration environment runs with foreign keys off, so that dropping the old table does not
cascade into the users' identities, passwords and sessions (it checks them afterwards).

Revision ID: 0008_records
Revises: 0008_hashes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008_records'
down_revision = '0008_hashes'
branch_labels = None
depends_on = None

_BACKFILL = (
    ("imported", "import"),
    ("migrated", "legacy"),
    ("native", "authshift"),
)


def upgrade() -> None:
    users = sa.table("users", sa.column("source", sa.Text), sa.column("migration_state", sa.Text))
    for state, name in _BACKFILL:
        op.execute(users.update().where(users.c.source.is_(None), users.c.migration_state == state).values(source=name))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_users_external_id', type_='unique')
        batch_op.alter_column('source', existing_type=sa.Text(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_users_source_external_id'), ['source', 'external_id'])


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_source_external_id'), type_='unique')
        batch_op.alter_column('source', existing_type=sa.Text(), nullable=True)
        batch_op.create_unique_constraint('uq_users_external_id', ['external_id'])
