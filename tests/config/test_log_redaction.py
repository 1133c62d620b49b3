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
}


@pytest.mark.parametrize(("raw", "masked"), SECRETS.items())
def test_each_kind_of_secret_is_masked(raw: str, masked: str) -> None:
    assert redact(raw) == masked


def test_urls_without_a_password_and_plain_text_are_left_alone() -> None:
    for text in ("http://127.0.0.1:8000/api/v1/jobs", "redis://cache:6379/0",
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
