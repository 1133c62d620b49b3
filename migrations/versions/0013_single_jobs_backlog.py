"""single jobs' backlog index

`ix_jobs_backlog_single` finds a tenant's waiting jobs that belong to no batch, oldest
first: the dispatcher sends them before the tenant's batch items, so an interactive submit
does not wait behind its own tenant's batch of a thousand briefs.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SINGLE_BACKLOG = "status = 'queued' AND dispatched_at IS NULL AND batch_id IS NULL"


def upgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_backlog_single', ['tenant_id', 'kind', 'created_at'],
                              unique=False, sqlite_where=sa.text(SINGLE_BACKLOG),
                              postgresql_where=sa.text(SINGLE_BACKLOG))


def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_backlog_single')
