"""Secrets never reach a log line: a `logging.Filter` on every handler of the API and worker
processes rewrites each record (message, arguments and traceback) with the secrets masked.

Masked: passwords in URLs (`scheme://user:***@host`), bearer tokens, our API keys (`fk_…`),
webhook signing secrets (`whsec_…`) and OpenAI-style keys (`sk-…`). The filter works on the
formatted text, so a secret inside an exception message or a repr is masked as well.
"""

from __future__ import annotations

import logging
import re

MASK = "***"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?P<head>[a-zA-Z][\w+.-]*://[^:/@\s]*:)[^@\s/]+@"), rf"\g<head>{MASK}@"),
    (re.compile(r"(?i)\b(?P<head>bearer\s+)[\w.~+/=-]+"), rf"\g<head>{MASK}"),
    (re.compile(r"\bfk_[\w-]{6,}"), f"fk_{MASK}"),
    (re.compile(r"\bwhsec_[\w+/=-]+"), f"whsec_{MASK}"),
    (re.compile(r"\bsk-[\w-]{8,}"), f"sk-{MASK}"),
)
# loggers that may own handlers of their own besides the root's
_NAMED_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "celery", "celery.task",
                  "celery.worker", "celery.beat", "flower")


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record.msg, record.args = redact(message), None
        return True


def install_redaction() -> None:
    """Add the filter to every handler of the root logger and of the servers' own loggers
    (idempotent; call again after a library configures new handlers)."""
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in _NAMED_LOGGERS)]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, RedactSecrets) for f in handler.filters):
                handler.addFilter(RedactSecrets())
