"""Secrets are masked in every log line, including tracebacks, whatever the logger."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from config.log_redaction import RedactSecrets, install_redaction, redact

pytestmark = pytest.mark.unit

SECRETS = {
    "postgresql://fragrance:pg-pass-123@db:5432/jobs": "postgresql://fragrance:***@db:5432/jobs",
    "redis://:redis-pass@cache:6379/0": "redis://:***@cache:6379/0",
    "Authorization: Bearer fk_abcdef123456": "Authorization: Bearer ***",
    "key fk_Zx9-abcdefgh_ij": "key fk_***",
    "secret whsec_SzDYkV3ISKpSGiZslSC4OD/u1oYynxFF": "secret whsec_***",
    "openai sk-proj-abcdefghijkl": "openai sk-***",
    "POST http://10.0.0.5:443/hook?token=s3cr3t&x=1 \"HTTP/1.1 200 OK\"":
        "POST http://10.0.0.5:443/hook?token=***&x=1 \"HTTP/1.1 200 OK\"",
    "GET /cb?api_key=zzz;sig=abc#f": "GET /cb?api_key=***;sig=***#f",
    "https://hooks.example/in?X-Amz-Signature=0a1b&accessToken=t.o.k":
        "https://hooks.example/in?X-Amz-Signature=***&accessToken=***",
}


@pytest.mark.parametrize(("raw", "masked"), SECRETS.items())
def test_each_kind_of_secret_is_masked(raw: str, masked: str) -> None:
    assert redact(raw) == masked


def test_urls_without_a_password_and_plain_text_are_left_alone() -> None:
    for text in ("http://127.0.0.1:8000/api/v1/jobs", "redis://cache:6379/0",
                 "GET /api/v1/jobs?status=queued&kind=search&limit=5",
                 "job 0193 finished in 12 ms", "user@example.com"):
        assert redact(text) == text


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    install_redaction()
    yield stream
    root.removeHandler(handler)


def test_the_installed_filter_masks_arguments_and_tracebacks(captured: io.StringIO) -> None:
    log = logging.getLogger("tests.some.module")  # propagates to the root's handler
    log.warning("connecting to %s", "postgresql://u:pg-pass-123@db/x")
    try:
        raise RuntimeError("could not reach redis://:redis-pass@cache:6379/0")
    except RuntimeError:
        log.exception("broker down, key %s", "fk_abcdef123456")
    text = captured.getvalue()
    assert "pg-pass-123" not in text and "redis-pass" not in text
    assert "fk_abcdef123456" not in text
    assert "postgresql://u:***@db/x" in text and "RuntimeError: could not reach" in text


def test_installing_twice_adds_one_filter(captured: io.StringIO) -> None:
    install_redaction()
    handler = logging.getLogger().handlers[-1]
    assert sum(isinstance(f, RedactSecrets) for f in handler.filters) == 1


def test_uvicorn_access_records_keep_their_arguments_and_are_masked() -> None:
    from uvicorn.logging import AccessFormatter

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/api/v1/jobs?k=fk_abcdef123456",
                                "1.1", 200), None)
    assert RedactSecrets().filter(record)
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s',
                           use_colors=False).format(record)
    assert line == '127.0.0.1:5000 - "GET /api/v1/jobs?k=fk_*** HTTP/1.1" 200 OK'


def test_an_argument_whose_text_holds_a_secret_is_masked_others_keep_their_type() -> None:
    class Url:
        def __str__(self) -> str:
            return "redis://:redis-pass@cache:6379/0"

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s took %d ms (%r)",
                               (Url(), 12, {"a": 1}), None)
    RedactSecrets().filter(record)
    assert record.getMessage() == "redis://:***@cache:6379/0 took 12 ms ({'a': 1})"


@pytest.mark.parametrize(("line", "logged"), [
    ("GET /y?data=whsec_abc%2F3bKMDzZwHZvWA6Hr%2FHKEopq8eN1Y HTTP/1.1",
     "GET /y?data=whsec_*** HTTP/1.1"),
    ("GET /x/fk%5FPtaYIvwvLabcdefgh HTTP/1.1", "GET /x/fk_*** HTTP/1.1"),
    ("GET /x/%66k_PtaYIvwvLabcdef HTTP/1.1", "GET /x/fk_*** HTTP/1.1"),
    ("GET /x/%2566%256B%255FPtaYIvwvLabcdef HTTP/1.1", "GET /x/fk_*** HTTP/1.1"),
    ("GET /x/afk_PtaYIvwvLabcdef HTTP/1.1", "GET /x/afk_*** HTTP/1.1"),
    # decoded to be masked, what is not printable stays escaped: no forged log lines
    ("GET /x/%0Afk%5Fabcdefgh12 HTTP/1.1", "GET /x/\\nfk_*** HTTP/1.1"),
    ("GET /api/v1/jobs/abc%20def HTTP/1.1", "GET /api/v1/jobs/abc%20def HTTP/1.1"),
    ("task-12345678 done", "task-12345678 done"),
])
def test_percent_encoded_secrets_are_masked(line: str, logged: str) -> None:
    """A request line's secrets, percent-encoded, were logged: masking stopped at the first
    `%` (28 of a secret's 32 characters in clear) or missed an encoded prefix."""
    assert redact(line) == logged


def test_a_percent_encoded_key_in_an_access_log_line_is_masked_by_the_filter() -> None:
    """`redact` masked it, but the filter let the line through as clean before asking it:
    the whole key was in the log of `make run`."""
    key = "fk_PtaYIvwvLzO13FHsHhAWmVGDLTEGGQgtO_shi8l_9TA"
    for path in (f"/api/v1/jobs/fk%5F{key[3:]}", f"/x/%66%6B%5F{key[3:]}",
                 f"/x/fk%255F{key[3:]}", f"/x?q=whsec%5F{key[3:]}"):
        record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                                   '%s - "%s %s HTTP/%s" %d',
                                   ("127.0.0.1:5000", "GET", path, "1.1", 404), None)
        RedactSecrets().filter(record)
        assert key[3:] not in record.getMessage(), record.getMessage()
