"""per-tenant model registry

A version belongs to the tenant whose training job made it (versions without a job go to
the `operator` tenant); one active version per tenant and target. What served everyone
before, the single active version of each target, becomes the deployment default, so a
running deployment keeps serving the same models after the upgrade.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("state = 'active'")


def upgrade() -> None:
    op.create_table(
        'model_defaults',
        sa.Column('target', sa.String(length=20), nullable=False),
        sa.Column('version_id', sa.String(length=36), nullable=True),
        sa.Column('previous_version_id', sa.String(length=36), nullable=True),
        sa.Column('updated_at', core.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['previous_version_id'], ['model_versions.id'],
                                name='fk_model_defaults_previous'),
        sa.ForeignKeyConstraint(['version_id'], ['model_versions.id'],
                                name='fk_model_defaults_version'),
        sa.PrimaryKeyConstraint('target'))
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tenant_id', sa.String(length=64), nullable=True))
    op.execute("UPDATE model_versions SET tenant_id = COALESCE((SELECT jobs.tenant_id FROM jobs "
               "WHERE jobs.id = model_versions.job_id), 'operator')")
    op.execute("INSERT INTO model_defaults (target, version_id, updated_at) "
               "SELECT target, id, COALESCE(promoted_at, created_at) FROM model_versions "
               "WHERE state = 'active'")
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.alter_column('tenant_id', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_index('ix_model_versions_target_created')
        batch_op.drop_index('uq_model_versions_one_active', sqlite_where=ACTIVE,
                            postgresql_where=ACTIVE)
        batch_op.create_index('uq_model_versions_one_active', ['tenant_id', 'target'],
                              unique=True, sqlite_where=ACTIVE, postgresql_where=ACTIVE)
        batch_op.create_index('ix_model_versions_tenant_target_created',
                              ['tenant_id', 'target', 'created_at'], unique=False)


def downgrade() -> None:
    # one global active version per target again: keep the deployment defaults active
    op.execute("UPDATE model_versions SET state = 'retired' WHERE state = 'active'")
    op.execute("UPDATE model_versions SET state = 'active' WHERE id IN "
               "(SELECT version_id FROM model_defaults WHERE version_id IS NOT NULL)")
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_model_versions_tenant_target_created')
        batch_op.drop_index('uq_model_versions_one_active', sqlite_where=ACTIVE,
                            postgresql_where=ACTIVE)
        batch_op.create_index('uq_model_versions_one_active', ['target'], unique=True,
                              sqlite_where=ACTIVE, postgresql_where=ACTIVE)
        batch_op.create_index('ix_model_versions_target_created', ['target', 'created_at'],
                              unique=False)
        batch_op.drop_column('tenant_id')
    op.drop_table('model_defaults')
