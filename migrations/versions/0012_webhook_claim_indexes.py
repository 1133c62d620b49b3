"""webhook claim indexes

`ix_webhook_tenant_due` lets a claim read each tenant's due messages in due order, a few per
tenant, instead of ranking every pending message; `ix_webhook_leased` finds the messages
being sent (a lease is set only while one is), for the pump's "when is the next one due".

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_tenant_due',
                              ['status', 'tenant_id', 'next_attempt_at', 'id'], unique=False)
        batch_op.create_index('ix_webhook_leased', ['lease_until'], unique=False,
                              sqlite_where=sa.text('lease_until IS NOT NULL'),
                              postgresql_where=sa.text('lease_until IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_leased')
        batch_op.drop_index('ix_webhook_tenant_due')
