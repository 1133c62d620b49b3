"""The client commands (`fragrance submit`, `fragrance jobs`, `fragrance batch`) against a
real stack: the API, a Celery worker, Redis and PostgreSQL."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.cli.test_cli import fragrance
from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.model]


def test_submit_search_and_jobs_show_against_a_running_stack(stack: Stack) -> None:
    client = stack.client()
    api_key = client.http.headers["Authorization"].removeprefix("Bearer ")
    where = ("--url", stack.base_url, "--api-key", api_key, "--json")
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
    human = fragrance("jobs", "show", job["id"], "--url", stack.base_url, "--api-key", api_key)
    assert human.stdout.startswith(f"search job {job['id']}: succeeded")


def test_jobs_list_events_watch_and_cancel_with_their_exit_codes(stack: Stack) -> None:
    client = stack.client()
    api_key = client.http.headers["Authorization"].removeprefix("Bearer ")
    where = ("--url", stack.base_url, "--api-key", api_key)
    job = client.submit_search("rose and oud")
    watched = fragrance("jobs", "watch", job["id"], *where)
    assert watched.returncode == 0, watched.stderr
    assert watched.stdout.startswith(f"search job {job['id']}: succeeded")
    events = fragrance("jobs", "events", job["id"], "--json", *where)
    types = [json.loads(line)["type"] for line in events.stdout.splitlines()]
    assert types[0] == "queued" and types[-1] == "succeeded" and "started" in types
    listed = json.loads(fragrance("jobs", "list", "--json", "--limit", "5", *where).stdout)
    assert [item["id"] for item in listed] == [job["id"]]
    late = fragrance("jobs", "cancel", job["id"], *where)
    assert late.returncode == 1 and "409 Conflict" in late.stderr


def test_batch_submit_shows_progress_and_downloads_the_results_as_csv(
        stack: Stack, tmp_path: Path) -> None:
    client = stack.client()
    api_key = client.http.headers["Authorization"].removeprefix("Bearer ")
    where = ("--url", stack.base_url, "--api-key", api_key)
    briefs = tmp_path / "briefs.jsonl"
    families = ["floral", "citrus", "woody", "chypre", "aquatic", "gourmand"] * 2
    briefs.write_text("".join(json.dumps({"fragrance_family": family, "seed": n}) + "\n"
                              for n, family in enumerate(families)), encoding="utf-8")
    submitted = fragrance("batch", "submit", str(briefs), "--idempotency-key", "e2e-1",
                          "--json", *where)
    assert submitted.returncode == 0, submitted.stderr
    batch = json.loads(submitted.stdout)
    assert batch["status"] == "completed" and batch["counts"]["succeeded"] == 12
    again = fragrance("batch", "submit", str(briefs), "--idempotency-key", "e2e-1",
                      "--no-wait", "--json", *where)
    assert json.loads(again.stdout)["id"] == batch["id"]  # the same batch, not a second
    watched = fragrance("batch", "watch", batch["id"], *where)
    assert watched.returncode == 0 and "succeeded 12" in watched.stdout
    out = tmp_path / "results.csv"
    downloaded = fragrance("batch", "download", batch["id"], "--format", "csv", "-o", str(out),
                           *where)
    assert downloaded.returncode == 0, downloaded.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [int(row["index"]) for row in rows] == list(range(12))
    assert {row["status"] for row in rows} == {"succeeded"}
    formulas = [json.loads(row["result"])["formula"] for row in rows]
    assert all(formula["ingredients"] for formula in formulas)
    lines = fragrance("batch", "download", batch["id"], *where).stdout.splitlines()
    assert [json.loads(line)["index"] for line in lines] == list(range(12))
