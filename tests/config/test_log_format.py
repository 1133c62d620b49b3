"""Log lines say what they are about: JSON lines carry every context field (null when
unknown) and mask secrets, text lines add the fields that are set, and the context of one
thread or request never leaks into another's lines."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from collections.abc import Iterator

import pytest

from config.log_context import FIELDS, ContextFilter, bind, bound, clear, reset, set_process_fields
from config.log_format import JsonFormatter, TextFormatter, configure_logging

pytestmark = pytest.mark.unit


@pytest.fixture
def logger() -> Iterator[tuple[logging.Logger, logging.Handler, io.StringIO]]:
    clear()  # whatever earlier tests bound in this thread or process is not ours
    set_process_fields()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    log = logging.getLogger(f"test.log_format.{id(stream)}")
    log.propagate, log.level = False, logging.DEBUG
    log.addHandler(handler)
    yield log, handler, stream
    log.removeHandler(handler)
    clear()
    set_process_fields()


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_json_line_has_every_field_and_the_bound_ones_filled(logger) -> None:  # type: ignore[no-untyped-def]
    log, handler, stream = logger
    handler.setFormatter(JsonFormatter())
    with bound(request_id="req-1", job_id="job-9", kind="search", tenant="t-1"):
        log.info("ran %s in %d ms", "job-9", 12)
    log.warning("alone")
    first, second = lines(stream)
    assert set(first) >= {"time", "level", "logger", "message", *FIELDS}
    assert first["message"] == "ran job-9 in 12 ms" and first["level"] == "INFO"
    assert (first["request_id"], first["job_id"], first["kind"], first["tenant"]) == \
        ("req-1", "job-9", "search", "t-1")
    assert str(first["time"]).endswith("Z")
    assert all(second[name] is None for name in FIELDS)


def test_a_json_line_keeps_a_traceback_on_one_line(logger) -> None:  # type: ignore[no-untyped-def]
    log, handler, stream = logger
    handler.setFormatter(JsonFormatter())
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("failed")
    (line,) = lines(stream)  # one line: the newlines of the traceback are escaped
    assert "ValueError: boom" in str(line["exception"])


def test_text_lines_name_their_source_and_add_only_the_fields_that_are_set(logger) -> None:  # type: ignore[no-untyped-def]
    log, handler, stream = logger
    handler.setFormatter(TextFormatter("api"))
    log.info("of the process")
    set_process_fields(worker="models@host")
    log.info("plain")
    with bound(job_id="job-9", request_id="req-1"):
        log.info("of a job")
    set_process_fields()
    stamp = r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}: INFO/"
    expected = ["api] of the process", "models] plain",
                "models] of a job [request_id=req-1 job_id=job-9]"]
    written = stream.getvalue().splitlines()
    assert len(written) == 3
    for line, tail in zip(written, expected, strict=True):
        assert re.fullmatch(stamp + re.escape(tail), line), line


def test_fields_passed_with_extra_win_over_the_context(logger) -> None:  # type: ignore[no-untyped-def]
    log, handler, stream = logger
    handler.setFormatter(JsonFormatter())
    with bound(job_id="from-context"):
        log.info("x", extra={"job_id": "explicit"})
    assert lines(stream)[0]["job_id"] == "explicit"


def test_one_threads_context_never_reaches_another_threads_lines(logger) -> None:  # type: ignore[no-untyped-def]
    log, handler, stream = logger
    handler.setFormatter(JsonFormatter())
    token = bind(job_id="main-job")
    worker = threading.Thread(target=lambda: log.info("from the thread"))
    worker.start()
    worker.join()
    log.info("from main")
    reset(token)
    clear()
    log.info("after")
    assert [line["job_id"] for line in lines(stream)] == [None, "main-job", None]


def test_unknown_fields_formats_and_levels_are_refused() -> None:
    with pytest.raises(ValueError):
        bind(secret="x")
    with pytest.raises(ValueError, match="log_format"):
        configure_logging("xml")
    with pytest.raises(ValueError, match="log_level"):
        configure_logging("json", "LOUD")


@pytest.fixture
def root_level() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    level = root.level
    yield root
    root.level = level


def test_configure_logging_formats_every_handler_and_still_masks_secrets(
        root_level: logging.Logger) -> None:
    clear()  # whatever earlier tests bound in this thread or process is not ours
    set_process_fields()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    server = logging.getLogger("uvicorn.access")
    server.addHandler(handler)
    try:
        configure_logging("json", "warning")
        configure_logging("json")  # idempotent: one filter each, one formatter
        assert isinstance(handler.formatter, JsonFormatter)
        assert sum(isinstance(f, ContextFilter) for f in handler.filters) == 1
        assert root_level.level == logging.WARNING
        server.warning("GET /x?key=%s", "fk_abcdefghijklmnop")
    finally:
        server.removeHandler(handler)
    (line,) = lines(stream)
    assert line["message"] == "GET /x?key=***" and line["logger"] == "uvicorn.access"


def test_http_client_libraries_log_no_line_per_request(root_level: logging.Logger) -> None:
    """The webhook sender's HTTP client logs each request (and its URL) at INFO: a worker
    at INFO prints none of them."""
    configure_logging("text", "info")
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    assert not logging.getLogger("httpcore").isEnabledFor(logging.INFO)
    assert logging.getLogger("httpx").isEnabledFor(logging.WARNING)
