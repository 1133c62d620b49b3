"""fair dispatch

`jobs.dispatched_at`: when a job's message went to the broker (NULL: waiting in the store for
its tenant's turn). Queued and running jobs of earlier versions were all published: they
count as dispatched at their last update.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 21:26:27.673932
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dispatched_at', core.models.UTCDateTime(), nullable=True))
    op.execute("UPDATE jobs SET dispatched_at = updated_at "
               "WHERE status IN ('queued', 'running')")
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_backlog', ['tenant_id', 'kind', 'created_at'], unique=False, sqlite_where=sa.text("status = 'queued' AND dispatched_at IS NULL"), postgresql_where=sa.text("status = 'queued' AND dispatched_at IS NULL"))
        batch_op.create_index('ix_jobs_in_flight', ['tenant_id', 'kind', 'dispatched_at'], unique=False, sqlite_where=sa.text("status IN ('queued', 'running') AND dispatched_at IS NOT NULL"), postgresql_where=sa.text("status IN ('queued', 'running') AND dispatched_at IS NOT NULL"))
        batch_op.create_index('ix_jobs_open', ['tenant_id', 'kind'], unique=False, sqlite_where=sa.text("status IN ('queued', 'running')"), postgresql_where=sa.text("status IN ('queued', 'running')"))



def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_open', sqlite_where=sa.text("status IN ('queued', 'running')"), postgresql_where=sa.text("status IN ('queued', 'running')"))
        batch_op.drop_index('ix_jobs_in_flight', sqlite_where=sa.text("status IN ('queued', 'running') AND dispatched_at IS NOT NULL"), postgresql_where=sa.text("status IN ('queued', 'running') AND dispatched_at IS NOT NULL"))
        batch_op.drop_index('ix_jobs_backlog', sqlite_where=sa.text("status = 'queued' AND dispatched_at IS NULL"), postgresql_where=sa.text("status = 'queued' AND dispatched_at IS NULL"))
        batch_op.drop_column('dispatched_at')

