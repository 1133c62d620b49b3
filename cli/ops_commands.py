"""Setup commands: database migrations, API keys, the search index, eval and bench."""

from __future__ import annotations

import sys

import click

from config import SettingsError, load_settings


def settings_or_exit() -> object:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(f"configuration error: {exc}") from exc


def upgrade_database(database_url: str) -> None:
    import migrations

    migrations.upgrade(database_url)


@click.group(help="Database commands.")
def db() -> None:
    pass


@db.command("upgrade", help="Apply all migrations.")
def db_upgrade() -> None:
    settings = settings_or_exit()
    upgrade_database(settings.database_url)  # type: ignore[attr-defined]
    click.echo("database is at the latest migration")


@click.group(help="API keys.")
def keys() -> None:
    pass


@keys.command("create", help="Create an API key; prints the key and its webhook secret once.")
@click.option("--name", required=True)
@click.option("--scopes", default="search,generate", show_default=True,
              help="comma-separated: search, generate, training, admin")
@click.option("--tenant", default=None, help="tenant id (default: a new tenant)")
def keys_create(name: str, scopes: str, tenant: str | None) -> None:
    from core.database import make_engine, make_session_factory
    from core.keys import KeyRing

    settings = settings_or_exit()
    ring = KeyRing(make_session_factory(make_engine(settings.database_url)))  # type: ignore[attr-defined]
    try:
        issued = ring.issue(name, [s.strip() for s in scopes.split(",") if s.strip()], tenant)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--scopes") from exc
    click.echo(f"api_key:        {issued.api_key}")
    click.echo(f"webhook_secret: {issued.webhook_secret}")
    click.echo(f"tenant:         {issued.tenant_id}")
    click.echo(f"scopes:         {','.join(issued.scopes)}")


@click.group(help="The vector index.")
def index() -> None:
    pass


@index.command("build", help="Build the search index (only if the knowledge base changed).")
@click.option("--force", is_flag=True, help="rebuild even if nothing changed")
def index_build(force: bool) -> None:
    from ml.search import build_index

    settings = settings_or_exit()
    rebuilt = build_index(index_path=settings.qdrant_path or None,  # type: ignore[attr-defined]
                          qdrant_url=settings.qdrant_url or None,  # type: ignore[attr-defined]
                          force=force)
    click.echo("index rebuilt" if rebuilt else "index is up to date")


@click.command("eval", help="Search quality on the labelled query set: strict P@5, nDCG@10 "
               "and excluded notes per category and language, with baselines.")
def eval_command() -> None:
    from ml import eval_report

    sys.exit(eval_report.main([]))


@click.command("bench", help="Benchmarks with in-run baselines (see bench/).")
@click.argument("suites", nargs=-1)
def bench_command(suites: tuple[str, ...]) -> None:
    from bench import run

    sys.exit(run.main(list(suites)))


COMMANDS = (db, keys, index, eval_command, bench_command)
