"""The client commands (`fragrance submit`, `fragrance jobs`) against a real stack: the
API, a Celery worker, Redis and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_cli import fragrance
from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.model]


def test_submit_search_and_jobs_show_against_a_running_stack(stack: Stack) -> None:
    client = stack.client()
    api_key = client.http.headers["Authorization"].removeprefix("Bearer ")
    where = ("--url", stack.base_url, "--api-key", api_key)
    submitted = fragrance("submit", "search", "perfume with iris and leather", "--top-k", "3",
                          *where)
    assert submitted.returncode == 0, submitted.stderr
    job = json.loads(submitted.stdout)
    assert job["status"] == "succeeded" and len(job["result"]["hits"]) == 3
    assert "iris" in job["result"]["hits"][0]["matched_notes"]
    shown = fragrance("jobs", "show", job["id"], *where)
    assert shown.returncode == 0 and json.loads(shown.stdout)["id"] == job["id"]
    recipe = fragrance("submit", "recipe", "--family", "floral", "--mood", "romantic",
                       "--season", "spring", *where)
    assert recipe.returncode == 0, recipe.stderr
    formula = json.loads(recipe.stdout)["result"]
    assert formula["validation"]["valid"] and formula["formula"]["ingredients"]
    refused = fragrance("jobs", "show", job["id"], "--url", stack.base_url,
                        "--api-key", "fk_" + "x" * 43)
    assert refused.returncode == 1 and "401" in refused.stderr
