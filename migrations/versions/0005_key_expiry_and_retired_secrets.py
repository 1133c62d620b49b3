"""api key expiry, last use and retired webhook secrets

A key's previous webhook secret (one) becomes a list of retired secrets, each with its own
expiry, so a second rotation inside the overlap no longer drops the first old secret.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import core.models

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_webhook_secrets', JSON, nullable=True))
        batch_op.add_column(sa.Column('expires_at', core.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_used_at', core.models.UTCDateTime(), nullable=True))
    keys = sa.table('api_keys', sa.column('id', sa.String), sa.column('retired_webhook_secrets', JSON),
                    sa.column('previous_webhook_secret', sa.String),
                    sa.column('previous_secret_expires_at', core.models.UTCDateTime()))
    connection = op.get_bind()
    for key_id, secret, expires in connection.execute(sa.select(
            keys.c.id, keys.c.previous_webhook_secret, keys.c.previous_secret_expires_at)):
        retired = [{"secret": secret, "expires_at": expires.isoformat()}] \
            if secret and expires else []
        connection.execute(keys.update().where(keys.c.id == key_id)
                           .values(retired_webhook_secrets=retired))
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.alter_column('retired_webhook_secrets', existing_type=JSON, nullable=False)
        batch_op.drop_column('previous_webhook_secret')
        batch_op.drop_column('previous_secret_expires_at')


def downgrade() -> None:
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_secret_expires_at', core.models.UTCDateTime(),
                                      nullable=True))
        batch_op.add_column(sa.Column('previous_webhook_secret', sa.String(length=100),
                                      nullable=True))
        batch_op.drop_column('last_used_at')
        batch_op.drop_column('expires_at')
        batch_op.drop_column('retired_webhook_secrets')
