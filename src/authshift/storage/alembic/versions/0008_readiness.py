"""readiness: sign-in readiness per user, shadow checks, import undo

Revision ID: 0008_readiness
Revises: 0008_stall
Create Date: 2026-12-03 07:45:00

Existing users get a first readiness from what is stored (a password: ready; none: lazy or
reset as their ``password_migration`` says). ``authshift migration readiness --recompute``
judges them again with the full rules (hash parameters, second factors).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

import authshift.storage.types

revision = '0008_readiness'
down_revision = '0008_stall'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('user_readiness',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('readiness', sa.Text(), nullable=False),
    sa.Column('family', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('proved_at', authshift.storage.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('family_named', sa.Boolean(), nullable=False),
    sa.Column('shadow', sa.Text(), nullable=True),
    sa.Column('updated_at', authshift.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("readiness IN ('ready', 'lazy', 'reset', 'unverified')", name=op.f('ck_user_readiness_readiness')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_readiness_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_user_readiness'))
    )
    with op.batch_alter_table('user_readiness', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_readiness_readiness_family'), ['readiness', 'family'], unique=False)

    op.create_table('shadow_checks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('family', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('matched', sa.Boolean(), nullable=False),
    sa.Column('at', authshift.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shadow_checks'))
    )
    with op.batch_alter_table('shadow_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shadow_checks_family_source'), ['family', 'source'], unique=False)
        batch_op.create_index(batch_op.f('ix_shadow_checks_user_id'), ['user_id'], unique=False)

    op.create_table('import_previous',
    sa.Column('job_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('previous', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['import_jobs.id'], name=op.f('fk_import_previous_job_id_import_jobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', 'user_id', name=op.f('pk_import_previous'))
    )
    json_type = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('readiness_counts', json_type, nullable=True))
        batch_op.add_column(sa.Column('undone_at', authshift.storage.types.UtcDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('import_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('readiness', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('hash_family', sa.Text(), nullable=True))

    op.execute(
        "INSERT INTO user_readiness (user_id, readiness, family, reason, family_named, updated_at) "
        "SELECT u.id, "
        "CASE WHEN p.user_id IS NOT NULL THEN 'ready' WHEN u.password_migration = 'lazy' THEN 'lazy' ELSE 'reset' END, "
        "COALESCE(p.format, 'none'), "
        "CASE WHEN p.user_id IS NOT NULL THEN NULL WHEN u.password_migration = 'lazy' "
        "THEN 'no password here: the legacy system verifies it at the next sign-in' "
        "ELSE 'no usable password: the user must reset it' END, false, "
        "u.updated_at FROM users u LEFT JOIN passwords p ON p.user_id = u.id"
    )


def downgrade() -> None:
    with op.batch_alter_table('import_results', schema=None) as batch_op:
        batch_op.drop_column('hash_family')
        batch_op.drop_column('readiness')
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_column('undone_at')
        batch_op.drop_column('readiness_counts')
    op.drop_table('import_previous')
    with op.batch_alter_table('shadow_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shadow_checks_user_id'))
        batch_op.drop_index(batch_op.f('ix_shadow_checks_family_source'))
    op.drop_table('shadow_checks')
    with op.batch_alter_table('user_readiness', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_readiness_readiness_family'))
    op.drop_table('user_readiness')
