"""The client commands find the API where `fragrance run` serves it with the same settings,
and `jobs show` exits with a final job's code."""

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


@pytest.mark.parametrize(("status", "error", "code"), [
    ("succeeded", None, 0), ("failed", {"type": "generation_failed"}, 1),
    ("failed", {"type": "time_limit"}, 4), ("canceled", {"type": "canceled"}, 3),
    ("queued", None, 0), ("running", None, 0)])
def test_jobs_show_exits_with_a_final_jobs_code(monkeypatch: pytest.MonkeyPatch, status: str,
                                                error: object, code: int) -> None:
    """The API's answer is faked at the client seam (the e2e tests read real jobs)."""
    from client import FragranceClient

    job = {"id": "j1", "kind": "recipe", "status": status, "progress": 0.0, "input": {},
           "result": None, "error": error, "attempts": 1, "created_at": None,
           "started_at": None, "finished_at": None, "batch_id": None}
    monkeypatch.setattr(FragranceClient, "job", lambda self, job_id: job)
    answer = CliRunner().invoke(main, ["jobs", "show", "j1", "--api-key", "fk_x", "--json"])
    assert answer.exit_code == code, answer.output
