"""webhook batch order

`webhook_deliveries.batch_id` is now set on the messages of a batch's items too (it was only
on the batch's own `batch.completed`), and `ix_webhook_batch` finds a batch's pending
messages: a batch's `batch.completed` is not sent while a message of its items queued before
it is pending. Pending item messages of earlier versions get their job's batch here; delivered
and dead-lettered ones keep none (nothing waits on them). A downgrade drops the index only:
earlier versions ignore an item message's `batch_id`.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_batch', ['batch_id', 'status', 'created_at'],
                              unique=False)
    op.execute("UPDATE webhook_deliveries SET batch_id = "
               "(SELECT jobs.batch_id FROM jobs WHERE jobs.id = webhook_deliveries.job_id) "
               "WHERE status = 'pending' AND batch_id IS NULL AND job_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_batch')
