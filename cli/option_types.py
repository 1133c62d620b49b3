"""Option types for what the client commands send: the API's URL and the values that travel
in HTTP headers. Each is checked when the command line is read, with the API's own rule, so
a value no request can carry is a usage error naming its option (exit 2), not a traceback
from the HTTP library or a connection error."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import SplitResult, urlsplit

import click

from client.protocol import api_key_problem, idempotency_key_problem
from config.log_redaction import redact
from core.url_policy import nameable

API_URL_SHAPE = "http(s)://host[:port]"


def api_url_problem(url: str) -> str | None:
    """Why `url` cannot be the API's address; None when it can (http or https, a host, a
    valid port if any; a path is allowed, for an API behind a proxy's prefix)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1": an unclosed IPv6 bracket
        return f"the URL must be {API_URL_SHAPE}"
    if any(char.isspace() for char in url) or not _has_valid_port(parts):
        return f"the URL must be {API_URL_SHAPE}"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return f"the URL must be {API_URL_SHAPE}"
    if parts.query or parts.fragment:
        return f"the URL must be {API_URL_SHAPE}, without ?query or #fragment"
    if parts.username is not None or parts.password is not None:  # it replaced the key
        return f"the URL must be {API_URL_SHAPE}, without a user or password (the API key " \
            "goes in --api-key)"
    if not nameable(parts.hostname):
        return f"the URL must be {API_URL_SHAPE} with a valid host name"
    return None


def _has_valid_port(parts: SplitResult) -> bool:
    try:
        parts.port  # noqa: B018 - reading it checks it (a ValueError when out of range)
    except ValueError:
        return False
    return True


class ApiUrl(click.ParamType):
    """The API's base URL, without a trailing slash."""

    name = "url"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        url = str(value)
        problem = api_url_problem(url)
        if problem:  # a password in the URL is not repeated: the message is shown and logged
            self.fail(f"{redact(url)!r}: {problem}", param, ctx)
        return url.rstrip("/")


class HeaderValue(click.ParamType):
    """A value sent in an HTTP header, checked by `problem` (the API's rule for it). With
    `secret`, the value is never repeated in the message."""

    def __init__(self, name: str, problem: Callable[[str], str | None],
                 secret: bool = False) -> None:
        self.name, self._problem, self._secret = name, problem, secret

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        text = str(value)
        problem = self._problem(text)
        if problem:
            self.fail(problem if self._secret else f"{text!r}: {problem}", param, ctx)
        return text


class ResourceId(click.ParamType):
    """A job's or a batch's id, as an argument. An empty one, or one holding a control
    character (a newline pasted with it), is a usage error naming the argument: the empty
    id asked for the collection (a 307 read as "not JSON"), the newline made the HTTP
    library raise a traceback. Anything else is sent as it is, escaped as one path segment
    by the client (an id that names nothing is the API's 404)."""

    name = "id"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        text = str(value)
        if not text:
            self.fail("an id cannot be empty", param, ctx)
        if any(unicodedata.category(char) == "Cc" for char in text):
            self.fail(f"{text!r}: an id cannot hold control characters (a newline, a tab...)",
                      param, ctx)
        return text


class QueueNames(click.ParamType):
    """Comma-separated queue names, each one the workers consume (`core.states.QUEUES`):
    a worker started on a queue no producer uses would report itself ready and never run
    a job."""

    name = "queues"

    def __init__(self, known: tuple[str, ...]) -> None:
        self._known = known

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        names = [name.strip() for name in str(value).split(",") if name.strip()]
        unknown = [name for name in names if name not in self._known]
        if not names or unknown:
            what = f"unknown queue {', '.join(map(repr, unknown))}" if unknown \
                else "no queue named"
            self.fail(f"{what}; choose from {', '.join(self._known)}", param, ctx)
        return ",".join(dict.fromkeys(names))


class BriefWord(click.ParamType):
    """A recipe brief's gender, season, intensity or concentration: one of its values, or a
    word people write for one ("for her", "men's", "fall", "year round", "intense", 여름,
    "Eau de Parfum"), read as a request's brief reads it (`ml.recipe.brief.read_choice`,
    a concentration's full name by `normalise_concentration`) so the command takes what a
    request takes. A season of "all seasons" or "year round" is no season (None)."""

    def __init__(self, field: str) -> None:
        self.name = field

    def _table(self) -> Mapping[str, str | None]:
        from ml.recipe import brief
        from ml.recipe.concentration import CONCENTRATIONS

        if self.name == "concentration":
            return {slug: slug for slug in CONCENTRATIONS}
        tables: dict[str, Mapping[str, str | None]] = {
            "gender": brief.GENDERS, "season": brief.SEASONS,
            "intensity": brief.INTENSITY_WORDS}
        return tables[self.name]

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str | None:
        from ml.recipe.brief import read_choice
        from ml.recipe.concentration import normalise_concentration

        word = normalise_concentration(str(value)) if self.name == "concentration" else value
        try:
            return read_choice(self.name, word, self._table())
        except ValueError as error:
            self.fail(str(error), param, ctx)

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "[" + "|".join(sorted({v for v in self._table().values() if v})) + "]"


PORT = click.IntRange(1, 65535)
API_URL = ApiUrl()
API_KEY = HeaderValue("key", api_key_problem, secret=True)
RESOURCE_ID = ResourceId()
IDEMPOTENCY_KEY = HeaderValue("key", idempotency_key_problem)
MAX_EVENT_NUMBER = 2**31 - 1  # the API's largest event number (`Last-Event-ID`)
EVENT_NUMBER = click.IntRange(0, MAX_EVENT_NUMBER)


class Seconds(click.FloatRange):
    """A duration in seconds, 0 or more and finite ("nan" passed a FloatRange)."""

    name = "seconds"

    def __init__(self) -> None:
        super().__init__(min=0)

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        seconds = super().convert(value, param, ctx)
        if not math.isfinite(seconds):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        return seconds


SECONDS = Seconds()


def idempotency_key_option(help_text: str) -> Callable[[Callable[..., Any]], Any]:
    """`--idempotency-key`, checked with the API's rule (visible ASCII, 1 to 200
    characters) before anything is sent."""
    return click.option("--idempotency-key", default=None, type=IDEMPOTENCY_KEY,
                        help=f"{help_text} (visible ASCII, at most 200 characters)")
