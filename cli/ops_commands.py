"""Setup commands: database migrations, API keys, the search index, eval and bench."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from cli.job_store import missing_sqlite_file, where
from config import SettingsError, load_settings
from core.kinds import KindError, check_settings


def settings_or_exit() -> object:
    """The settings, checked for every declared job kind too; a bad one ends the command
    with a message naming it."""
    try:
        settings = load_settings()
        check_settings(settings)
    except (SettingsError, KindError) as exc:
        raise click.ClickException(f"configuration error: {exc}") from exc
    return settings


def say_when_creating(database_url: str) -> None:
    """On stderr, where a new SQLite job store is about to be created (a relative path is
    relative to the current folder: from elsewhere, this is not the project's store)."""
    path = missing_sqlite_file(database_url)
    if path is not None:
        click.echo(f"no job store at {where(database_url, path)}: creating it", err=True)


def upgrade_database(database_url: str) -> None:
    import migrations

    migrations.upgrade(database_url)


@click.group(help="Database commands.")
def db() -> None:
    pass


@db.command("upgrade", help="Apply all migrations.")
@click.option("--json", "as_json", is_flag=True, help='print {"revision": ...}')
def db_upgrade(as_json: bool) -> None:
    import migrations

    settings: Any = settings_or_exit()
    say_when_creating(settings.database_url)
    upgrade_database(settings.database_url)
    if as_json:
        click.echo(json.dumps({"revision": migrations.head_revision()}))
        return
    click.echo("database is at the latest migration")


@click.group(help="The vector index.")
def index() -> None:
    pass


@index.command("build", help="Build the search index (only if the knowledge base changed).")
@click.option("--force", is_flag=True, help="rebuild even if nothing changed")
@click.option("--json", "as_json", is_flag=True, help='print {"rebuilt": true|false}')
def index_build(force: bool, as_json: bool) -> None:
    from ml.search import build_index
    from ml.vector_index import IndexLockedError

    settings = settings_or_exit()
    try:
        rebuilt = build_index(index_path=settings.qdrant_path or None,  # type: ignore[attr-defined]
                              qdrant_url=settings.qdrant_url or None,  # type: ignore[attr-defined]
                              force=force)
    except IndexLockedError as exc:  # the embedded index allows one process
        raise click.ClickException(f"{exc}: stop the stack (or its workers) first") from None
    if as_json:
        click.echo(json.dumps({"rebuilt": bool(rebuilt)}))
        return
    click.echo("index rebuilt" if rebuilt else "index is up to date")


@click.command("eval", help="Search quality on the labelled query set (strict P@5, nDCG@10 "
               "and excluded notes per category and language, with baselines) and the recipe "
               "formulator sweep (formulas failing any modelled rule).")
@click.option("--suite", type=click.Choice(["all", "search", "recipes"]), default="all",
              show_default=True)
@click.option("--seeds", type=int, default=None,
              help="seeds per family x intensity x concentration in the recipe sweep "
                   "(default 8: 2,640 briefs)")
@click.option("--json", "as_json", is_flag=True,
              help="one JSON object per suite (search, then recipes)")
def eval_command(suite: str, seeds: int | None, as_json: bool) -> None:
    status = 0
    json_flag = ["--json"] if as_json else []
    if suite in ("all", "search"):
        from ml import eval_report

        status |= eval_report.main(json_flag)
    if suite in ("all", "recipes"):
        from ml.recipe import sweep

        status |= sweep.main(([] if seeds is None else ["--seeds", str(seeds)]) + json_flag)
    sys.exit(status)


@click.command("bench", help="Benchmarks with in-run baselines: each suite prints a table "
               "(measured, the baseline from the same run, the ratio, the target) and writes "
               "var/bench/<suite>.json. SUITES: submit, search, ceiling, recipe, webhooks, "
               "sse, fairness (the default: all of them); scale and gpu (a CUDA device's "
               "encode rates, search through the queue on it, generator and training; the "
               "CPU where there is none) only when named. Exit 0 "
               "when every suite ran (missed targets are reported, not failed), 1 when one "
               "could not run, 2 for an unknown suite.")
@click.argument("suites", nargs=-1)
@click.option("--json", "as_json", is_flag=True,
              help="each suite's result as one JSON line on stdout (the tables on stderr)")
def bench_command(suites: tuple[str, ...], as_json: bool) -> None:
    from bench import run

    sys.exit(run.main(list(suites), as_json))


COMMANDS = (db, index, eval_command, bench_command)
