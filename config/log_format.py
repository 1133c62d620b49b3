"""How the API and the workers write their logs: `log_level`, and `log_format` (`text` for a
person at a terminal, `json` for a log pipeline: one JSON object a line).

A JSON line has `time` (ISO 8601, UTC), `level`, `logger`, `message`, the context fields of
`config.log_context` (`request_id`, `job_id`, `kind`, `tenant`, `worker`, `model_version`;
null when unknown) and, for an error, `exception` (the traceback). A text line is one format
for every process of the stack, so the interleaved output of `make run` reads as one log:
`[2026-11-30 17:57:54,319: INFO/models] message [job_id=… request_id=…]`, where the source
is the worker's name (`models` of `models@host`), or the process's label (`api`), followed by
the context fields that are set. Secrets are masked in both (`config.log_redaction` runs on
every handler first).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

from config.log_context import FIELDS, ContextFilter
from config.log_redaction import install_redaction

FORMATS = ("text", "json")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# the servers' loggers that own handlers besides the root's
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "celery", "celery.task",
                  "celery.worker", "celery.beat", "flower")
# libraries that log every HTTP request they make at INFO (the webhook sender's: each attempt
# is recorded in the outbox already, and a receiver's URL may carry a token in its path)
QUIET_LOGGERS = ("httpx", "httpcore")
# in text, `worker` is left out: it is the same on every line of a process
TEXT_FIELDS = tuple(name for name in FIELDS if name != "worker")


class JsonFormatter(logging.Formatter):
    """One JSON object a line (never a bare newline inside: tracebacks are escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            document[name] = getattr(record, name, None)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            document["exception"] = record.exc_text
        if record.stack_info:
            document["stack"] = self.formatStack(record.stack_info)
        return json.dumps(document, ensure_ascii=False, default=str)


TEXT_FORMAT = "[%(asctime)s: %(levelname)s/%(source)s] %(message)s"


class TextFormatter(logging.Formatter):
    """`[time: LEVEL/source] message`, then ` [job_id=… request_id=…]` for the fields set.
    The source is the worker's short name where the line has a worker, else `label` (the
    process: `api`), else the process's name."""

    def __init__(self, label: str | None = None) -> None:
        super().__init__(TEXT_FORMAT)
        self.label = label

    def format(self, record: logging.LogRecord) -> str:
        worker = getattr(record, "worker", None)
        record.source = str(worker).split("@")[0] if worker else (
            self.label or record.processName)
        text = super().format(record)
        fields = " ".join(f"{name}={value}" for name in TEXT_FIELDS
                          if (value := getattr(record, name, None)) is not None)
        return f"{text} [{fields}]" if fields else text


def configure_logging(log_format: str, level: str | None = None,
                      loggers: Iterable[str] = SERVER_LOGGERS, label: str | None = None) -> None:
    """Apply `log_format` (and `level` to the root logger, when given) to this process: the
    root logger gets a stderr handler if it has none; `QUIET_LOGGERS` log warnings only;
    every handler of the root and of the servers' `loggers` gets the format's formatter
    (`label` names the process in text lines where no worker does), the context filter and
    the secret filter. Idempotent: call again after a server adds handlers of its own.

    Raises ValueError for a format or level not in FORMATS / LEVELS.
    """
    if log_format not in FORMATS:
        raise ValueError(f"log_format must be one of {FORMATS}, got {log_format!r}")
    root = logging.getLogger()
    if level is not None:
        if level.upper() not in LEVELS:
            raise ValueError(f"log_level must be one of {LEVELS}, got {level!r}")
        root.setLevel(level.upper())
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stderr))
    logging.captureWarnings(True)  # a Python warning is a log line too (logger py.warnings)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for logger in [root, *(logging.getLogger(name) for name in loggers)]:
        for handler in logger.handlers:
            _format_handler(handler, log_format, label)
    install_redaction()


def _format_handler(handler: logging.Handler, log_format: str, label: str | None) -> None:
    current = handler.formatter
    if log_format == "json" and not isinstance(current, JsonFormatter):
        handler.setFormatter(JsonFormatter())
    elif log_format == "text" and not isinstance(current, TextFormatter):
        handler.setFormatter(TextFormatter(label))
    if not any(isinstance(f, ContextFilter) for f in handler.filters):
        handler.addFilter(ContextFilter())
