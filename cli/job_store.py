"""The job store as the commands that open it directly (`keys`, `db`) see it: which database
URL they tried, and a SQLite file that is not there said as such, not as "unavailable".

The default URL (`sqlite:///var/fragrance.db`) is relative to the current folder: run from
elsewhere, SQLite would create an empty database there, and the command would fail as if
the database were down or not migrated.
"""

from __future__ import annotations

from pathlib import Path

import click

ENV_VAR = "FRAGRANCE_DATABASE_URL"
IN_MEMORY = ("", ":memory:")


def sqlite_file(database_url: str) -> Path | None:
    """The file a `sqlite://` URL names; None for another database or one in memory."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(database_url)
    except ArgumentError:
        return None
    if url.get_backend_name() != "sqlite" or (url.database or "") in IN_MEMORY:
        return None
    return Path(str(url.database))


def missing_sqlite_file(database_url: str) -> Path | None:
    """The SQLite file `database_url` names, when it does not exist."""
    path = sqlite_file(database_url)
    return path if path is not None and not path.exists() else None


def shown_url(database_url: str) -> str:
    """The URL as a message may show it: without its password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(a URL that cannot be read)"


def where(database_url: str, path: Path) -> str:
    """The URL, and for a relative path the folder it is relative to."""
    place = shown_url(database_url)
    if not path.is_absolute():
        place += f" (relative to the current folder, {Path.cwd()})"
    return place


def existing_store_url(database_url: str) -> str:
    """`database_url`, once it names a store that is there; a SQLite file that is not is a
    ClickException (exit 1) saying which URL was tried and what to do."""
    path = missing_sqlite_file(database_url)
    if path is None:
        return database_url
    advice = ("run it from the project folder, set " if not path.is_absolute() else "set ")
    raise click.ClickException(
        f"no job store at {where(database_url, path)}: {advice}{ENV_VAR}, or create one "
        "with `fragrance db upgrade`")


def unavailable_message(problem: str) -> str:
    """`problem` (the store could not be used) with the URL tried, and what to check."""
    return (f"{problem} at {_configured_url()}: is the database up, and migrated "
            "(`fragrance db upgrade`)?")


def _configured_url() -> str:
    from config import SettingsError, load_settings

    try:
        return shown_url(str(load_settings().database_url))
    except (SettingsError, AttributeError):
        return f"the database of {ENV_VAR}"
