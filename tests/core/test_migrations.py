"""Real migrations on both databases: the models match them, and they go down and up."""

from __future__ import annotations

import pytest
from alembic import command

import migrations
from tests.conftest import _pg_database

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/fresh.db"
        migrations.upgrade(url)
        yield url
    else:
        yield from _pg_database()


def test_models_and_migrations_agree(fresh_url: str) -> None:
    command.check(migrations.alembic_config(fresh_url))  # raises on drift


def test_downgrade_to_base_and_back(fresh_url: str) -> None:
    config = migrations.alembic_config(fresh_url)
    command.downgrade(config, "base")
    command.upgrade(config, "head")
    command.check(config)
