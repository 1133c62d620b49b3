"""`fragrance keys create | list | revoke`: API keys, managed with direct database access
(the way an operator key is made: no API endpoint creates keys)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import click

from cli.job_store import existing_store_url
from cli.ops_commands import settings_or_exit

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
MAX_LIFETIME = timedelta(days=36_500)


def _ring() -> Any:
    """The key ring of the configured job store; a SQLite file that is not there ends the
    command naming the URL (opening it would create an empty database)."""
    from core.database import make_engine, make_session_factory
    from core.keys import KeyRing

    settings: Any = settings_or_exit()
    database_url = existing_store_url(settings.database_url)
    return KeyRing(make_session_factory(make_engine(database_url)))


def _duration(value: str | None) -> timedelta | None:
    if value is None:
        return None
    match = _DURATION.match(value.strip())
    if not match:
        raise click.BadParameter("use a number and a unit, e.g. 90d, 12h, 30m",
                                 param_hint="--expires-in")
    try:
        lifetime: timedelta | None = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    except OverflowError:  # beyond what a timedelta holds
        lifetime = None
    if not lifetime or lifetime > MAX_LIFETIME:
        raise click.BadParameter(f"{value}: give a lifetime of 1s to {MAX_LIFETIME.days}d",
                                 param_hint="--expires-in")
    return lifetime


def _named(_: click.Context, __: click.Parameter, value: str) -> str:
    from core.keys import checked_key_name

    try:
        return checked_key_name(value.strip())
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--name") from None


def _scope_list(scopes: tuple[str, ...]) -> list[str]:
    """`--scopes search,generate`, `--scopes "search generate"` and `--scopes search
    --scopes generate` alike."""
    return [scope for given in scopes for scope in given.replace(",", " ").split()]


def _tenant(tenant: str | None, scopes: list[str]) -> str | None:
    from core.keys import checked_tenant_id

    if tenant is None:
        return None
    try:
        return checked_tenant_id(tenant, scopes)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--tenant") from None


@click.group(help="API keys.")
def keys() -> None:
    pass


@keys.command("create", help="Create an API key; prints the key and its webhook secret once.")
@click.option("--name", required=True, callback=_named, help="up to 200 characters")
@click.option("--scopes", multiple=True, default=("search,generate",), show_default=True,
              help="search, generate, training, admin (comma- or space-separated, or the "
                   "option again); or `operator` alone (deployment-wide: the default model, "
                   "breakers, any tenant's keys)")
@click.option("--tenant", default=None,
              help="tenant id, up to 64 printable characters (default: a new tenant); "
                   "`operator` is the operator keys' own")
@click.option("--expires-in", default=None, help="e.g. 90d, 12h (default: never)")
@click.option("--json", "as_json", is_flag=True,
              help="one JSON object: key_id, api_key, webhook_secret, tenant_id, scopes, "
                   "expires_at")
@click.argument("more_scopes", nargs=-1, metavar="")
@click.pass_context
def keys_create(context: click.Context, name: str, scopes: tuple[str, ...], tenant: str | None,
                expires_in: str | None, as_json: bool, more_scopes: tuple[str, ...]) -> None:
    from core.models import utcnow

    lifetime = _duration(expires_in)
    wanted = _scope_list(scopes + _scopes_after_the_option(context, more_scopes))
    tenant = _tenant(tenant, wanted)
    try:
        issued = _ring().issue(name, wanted, tenant,
                               expires_at=utcnow() + lifetime if lifetime else None)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--scopes") from exc
    if as_json:
        click.echo(json.dumps({
            "key_id": issued.key_id, "api_key": issued.api_key,
            "webhook_secret": issued.webhook_secret, "tenant_id": issued.tenant_id,
            "scopes": list(issued.scopes),
            "expires_at": (utcnow() + lifetime).isoformat() if lifetime else None}))
        return
    click.echo(f"key_id:         {issued.key_id}")
    click.echo(f"api_key:        {issued.api_key}")
    click.echo(f"webhook_secret: {issued.webhook_secret}")
    click.echo(f"tenant:         {issued.tenant_id}")
    click.echo(f"scopes:         {','.join(issued.scopes)}")


def _scopes_after_the_option(context: click.Context, words: tuple[str, ...]) -> tuple[str, ...]:
    """`--scopes search generate` (the words after the option, unquoted) names both scopes;
    without `--scopes` such words are an error, as any unexpected argument."""
    if words and context.get_parameter_source("scopes") != click.core.ParameterSource.COMMANDLINE:
        raise click.UsageError(f"unexpected argument {words[0]!r} (scopes go after --scopes)")
    return words


@keys.command("list", help="List keys (never the keys themselves).")
@click.option("--tenant", default=None, help="only this tenant's keys")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per key")
def keys_list(tenant: str | None, as_json: bool) -> None:
    from core.models import utcnow

    now = utcnow()
    for view in _ring().list(tenant):
        row = {**view.to_dict(), "status": view.status(now)}
        if as_json:
            click.echo(json.dumps(row))
            continue
        state = row["status"]
        click.echo(f"{row['id']}  {row['prefix']}…  {state:7}  tenant={row['tenant_id']}  "
                   f"scopes={','.join(row['scopes'])}  last_used={row['last_used_at']}  "
                   f"expires={row['expires_at']}  name={row['name']}")


@keys.command("revoke", help="Revoke a key by its id; API processes refuse it within a second.")
@click.argument("key_id")
@click.option("--json", "as_json", is_flag=True, help="the revoked key as one JSON object")
def keys_revoke(key_id: str, as_json: bool) -> None:
    from core.errors import KeyNotFound
    from core.models import utcnow

    try:
        view = _ring().revoke(key_id)
    except KeyNotFound:
        raise click.ClickException(f"no API key {key_id!r} (see `fragrance keys list`)") from None
    if as_json:
        click.echo(json.dumps({**view.to_dict(), "status": view.status(utcnow())}))
        return
    click.echo(f"revoked {view.id} ({view.prefix}…, tenant {view.tenant_id}) at "
               f"{view.revoked_at.isoformat() if view.revoked_at else '?'}")


COMMANDS = (keys,)
