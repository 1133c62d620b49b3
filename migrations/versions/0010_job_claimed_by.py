"""job claimed_by

`jobs.claimed_by`: the Celery worker (its hostname, `models@host`) holding the job's lease.
When the lease expires because that worker was lost, maintenance tells the event stream
(Flower) that the worker's run of the job failed, so it is not shown running there for good.
Jobs claimed by earlier versions have none.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('claimed_by')
