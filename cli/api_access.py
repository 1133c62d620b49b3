"""How the client commands reach the API: URL, key, output mode and exit codes.

The key comes from `--api-key` or `FRAGRANCE_API_KEY`; the development key of `fragrance
run` (`var/dev-api-key`) is used only with `--dev`, and saying so on stderr: a command never
falls back to another tenant's key by itself. Errors from the API print as readable lines
(the problem's status, title, detail and each field error) and exit 1.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import click

from cli.option_types import API_KEY, API_URL, API_URL_SHAPE
from cli.stack import DEV_KEY_FILE
from client import ApiError, ClientError, FragranceClient

DEFAULT_URL = "http://127.0.0.1:8000"
# how long one request waits for an answer, every command alike; the client sends it again
# after no answer (`FragranceClient.retries`), so a server that never answers is given up
# on after about four times this (`batch submit` waited 120 s a try: eight silent minutes)
REQUEST_TIMEOUT_S = 30.0


def stack_url() -> str:
    """Where `fragrance run` serves the API with the same settings (`api_host`, `api_port`,
    e.g. FRAGRANCE_API_PORT), as the default of --url; DEFAULT_URL when the settings cannot
    be read (the command then reports its own errors)."""
    from config import load_settings
    from config.loading import SettingsError

    try:
        settings = load_settings()
        host = str(settings.api_host)
        port = int(settings.api_port)
    except (SettingsError, ValueError, TypeError, AttributeError):
        return DEFAULT_URL
    if host in ("0.0.0.0", "::", ""):  # listening everywhere: this host reaches it here
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class ExitCode(IntEnum):
    """What a client command's exit status means (README: "Command line")."""

    OK = 0
    FAILED = 1  # the job failed (a batch: an item failed), or the API refused the request
    USAGE = 2  # bad arguments, an invalid input file, no API key
    CANCELED = 3  # the job (a batch: an item) was canceled
    TIMED_OUT = 4  # the job hit its time limit, or --timeout passed before it finished


@dataclass(frozen=True)
class Access:
    """A command's connection and output mode."""

    url: str
    api_key: str
    as_json: bool

    def client(self) -> FragranceClient:
        return FragranceClient(self.url, self.api_key, timeout_s=REQUEST_TIMEOUT_S)

    def emit(self, data: Any, human: Callable[[Any], list[str]]) -> None:
        """`data` as JSON with --json, else as `human` lines."""
        if self.as_json:
            click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            click.echo("\n".join(human(data)))


def api_key(given: str | None, dev: bool) -> str:
    """The key to use; a UsageError (exit 2) when there is none."""
    if given:
        return given
    if dev:
        if not DEV_KEY_FILE.exists():
            raise click.UsageError(f"--dev: no {DEV_KEY_FILE} here; start the stack with "
                                   "`fragrance run` in this folder first")
        click.echo(f"using the development key from {DEV_KEY_FILE} (tenant 'dev')", err=True)
        return DEV_KEY_FILE.read_text().strip()
    raise click.UsageError("no API key: pass --api-key KEY, set FRAGRANCE_API_KEY, or pass "
                           "--dev for the development key of `fragrance run`")


@contextmanager
def readable_errors(as_json: bool = False) -> Iterator[None]:
    """Client errors become an `Error:` message of readable lines and exit 1; with --json,
    stdout also gets the error as JSON (a script read nothing there): `{"error": {message,
    and an API's problem: status, title, detail, type, errors}}`."""
    try:
        yield
    except ClientError as error:
        if as_json:
            problem = {"status": error.status, "title": error.title, "detail": error.detail,
                       "type": error.type, "errors": error.errors} \
                if isinstance(error, ApiError) else {}
            click.echo(json.dumps({"error": {"message": str(error), **problem}},
                                  ensure_ascii=False))
        raise click.ClickException(str(error)) from None


def with_api(command: Callable[..., Any]) -> Callable[..., Any]:
    """Adds --url, --api-key, --dev and --json; the command gets an `Access` first. The URL
    and the key are checked as the command line is read (`cli.option_types`)."""

    @functools.wraps(command)
    def wrapper(*args: Any, url: str, api_key_option: str | None, dev: bool, as_json: bool,
                **kwargs: Any) -> Any:
        access = Access(url.rstrip("/"), api_key(api_key_option, dev), as_json)
        with readable_errors(as_json):
            return command(access, *args, **kwargs)

    for option in (
            click.option("--json", "as_json", is_flag=True, help="print JSON"),
            click.option("--dev", is_flag=True, help=f"use the development key in "
                         f"{DEV_KEY_FILE} (from `fragrance run`)"),
            click.option("--api-key", "api_key_option", envvar="FRAGRANCE_API_KEY",
                         default=None, type=API_KEY,
                         help="the API key [env: FRAGRANCE_API_KEY]"),
            click.option("--url", envvar="FRAGRANCE_API_URL", default=stack_url, type=API_URL,
                         show_default="the API of `fragrance run` with these settings, "
                                      f"{DEFAULT_URL} by default",
                         help=f"the API, {API_URL_SHAPE} [env: FRAGRANCE_API_URL]")):
        wrapper = option(wrapper)
    return wrapper
