"""The client commands find the API where `fragrance run` serves it with the same settings."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli.api_access import DEFAULT_URL, stack_url
from cli.main import main

pytestmark = pytest.mark.unit


def test_the_default_url_follows_the_stacks_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRAGRANCE_API_URL", raising=False)
    assert stack_url() == DEFAULT_URL
    monkeypatch.setenv("FRAGRANCE_API_PORT", "8100")
    assert stack_url() == "http://127.0.0.1:8100"
    monkeypatch.setenv("FRAGRANCE_API_HOST", "0.0.0.0")  # listening everywhere: reach it here
    assert stack_url() == "http://127.0.0.1:8100"
    monkeypatch.setenv("FRAGRANCE_API_HOST", "::1")
    assert stack_url() == "http://[::1]:8100"
    monkeypatch.setenv("FRAGRANCE_API_PORT", "not a port")  # the command reports the rest
    assert stack_url() == DEFAULT_URL


def test_a_command_without_url_calls_the_stacks_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRAGRANCE_API_URL", raising=False)
    monkeypatch.setenv("FRAGRANCE_API_PORT", "1")  # nothing listens on port 1
    answer = CliRunner().invoke(main, ["jobs", "show", "00000000-0000-0000-0000-000000000000",
                                      "--api-key", "fk_x"])
    assert answer.exit_code == 1
    assert "127.0.0.1:1" in answer.output, answer.output
