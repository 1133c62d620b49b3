"""Secrets never reach a log line: a `logging.Filter` on every handler of the API and worker
processes rewrites each record (message, arguments and traceback) with the secrets masked.

Masked: passwords in URLs (`scheme://user:***@host`), the values of query parameters named
like a credential (`?token=***`, `&api_key=***`, `&sig=***`: webhook receivers' URLs carry
them), bearer tokens, our API keys (`fk_…`), webhook signing secrets (`whsec_…`) and
OpenAI-style keys (`sk-…`). The filter works on the
formatted text, so a secret inside an exception message or a repr is masked as well.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from urllib.parse import unquote

MASK = "***"
# what a query parameter holding a credential is called, in part (`access_token`, `apiKey`);
# its value is masked unless it is a %-placeholder of a log template (the argument is)
_CREDENTIAL = r"(?:token|secret|key|sig|password|passwd|pwd|auth|credential|session)"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?P<head>[a-zA-Z][\w+.-]*://[^:/@\s]*:)[^@\s/]+@"), rf"\g<head>{MASK}@"),
    (re.compile(r"(?i)(?P<head>[?&;][\w.~%\[\]-]*" + _CREDENTIAL + r"[\w.~%\[\]-]*=)"
                r"(?!(?-i:%(?:\([^)]*\))?[-#0 +\d.]*[sdirfgex]))[^&;#\s\"'<>]+"),
     rf"\g<head>{MASK}"),
    (re.compile(r"(?i)\b(?P<head>bearer\s+)[\w.~+/=-]+"), rf"\g<head>{MASK}"),
    # no word boundary before our prefixes: "/x/afk_<key>" logged the key
    (re.compile(r"fk_[\w-]{6,}"), f"fk_{MASK}"),
    (re.compile(r"whsec_(?:[\w+/=-]|%[0-9A-Fa-f]{2})+"), f"whsec_{MASK}"),
    (re.compile(r"\bsk-[\w-]{8,}"), f"sk-{MASK}"),
)
# anything any pattern could match starts like this: most log lines hold none, and pass
# after one scan instead of five substitutions per argument
_MAYBE_SECRET = re.compile(r"://|(?i:bearer)|fk_|whsec_|sk-|"
                           r"(?i:" + _CREDENTIAL + r")[\w.~%\[\]-]*=")
# loggers that may own handlers of their own besides the root's
_NAMED_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "celery", "celery.task",
                  "celery.worker", "celery.beat", "flower")


def redact(text: str) -> str:
    """`text` with its secrets masked, as written or percent-encoded (a request line's
    path and query: "fk%5F<key>" and "%66k_<key>" were logged whole). Text whose decoded
    form holds a secret is logged decoded, masked, with what is not printable escaped."""
    masked = _masked_text(text)
    for decoded in _decodings(masked):
        if _MAYBE_SECRET.search(decoded) and (hidden := _masked_text(decoded)) != decoded:
            return "".join(char if char.isprintable() else repr(char)[1:-1] for char in hidden)
    return masked


def _decodings(text: str) -> Iterator[str]:
    """`text` percent-decoded once, twice, three times ("%2566k_"), while decoding changes
    it."""
    for _ in range(3):
        if "%" not in text or (once := unquote(text)) == text:
            return
        text = once
        yield text


def _masked_text(text: str) -> str:
    if not _MAYBE_SECRET.search(text):
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Masks secrets in a record while keeping its shape: `msg` stays a template and `args`
    keep their type and arity (uvicorn's access formatter unpacks them), only the values
    that hold a secret are replaced by their masked text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _plainly_clean(record):
            return True
        _redact_traceback(record)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        elif not record.args:
            record.msg = redact(str(record.msg))
        if isinstance(record.args, Mapping):
            record.args = {key: _masked(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(_masked(value) for value in record.args)
        try:
            message = record.getMessage()
        except Exception:  # a bad template: the handler reports it, as it would have
            return True
        if redact(message) != message:  # a secret only the formatting revealed
            record.msg, record.args = redact(message), ()
        return True


def _redact_traceback(record: logging.LogRecord) -> None:
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def _plainly_clean(record: logging.LogRecord) -> bool:
    """True when the record has no traceback and its whole line, arguments included, holds
    nothing that could start a secret (most lines): nothing to mask. A bad template counts
    as clean: the handler reports it, as it would have."""
    if record.exc_info or record.exc_text or record.stack_info:
        return False
    try:
        return not _may_hold_secret(record.getMessage())
    except Exception:
        return True


def _may_hold_secret(text: str) -> bool:
    """Whether anything in `text`, as written or percent-decoded (`_decodings`), could
    start a secret. A request line's "fk%5F<key>" passed as clean, whole, before the filter
    decoded anything."""
    return any(_MAYBE_SECRET.search(form) for form in (text, *_decodings(text)))


def _masked(value: object) -> object:
    """`value`, or its masked text when its text holds a secret (numbers never do)."""
    if value is None or isinstance(value, int | float):
        return value
    if isinstance(value, str):
        return redact(value)
    try:
        text = str(value)
    except Exception:
        return value
    masked = redact(text)
    return value if masked == text else masked


def install_redaction() -> None:
    """Add the filter to every handler of the root logger and of the servers' own loggers
    (idempotent; call again after a library configures new handlers)."""
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in _NAMED_LOGGERS)]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, RedactSecrets) for f in handler.filters):
                handler.addFilter(RedactSecrets())
