"""A client generated with openapi-python-client from the live `/openapi.json` works: it
submits, gets the finished job of `Prefer: wait` typed by kind, polls, and reads a 422 and
a 404 as problems with their fields."""

from __future__ import annotations

import importlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.harness import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.model]
PACKAGE = "fragrance_generated_client"


@pytest.fixture
def generated(stack: Stack, tmp_path: Path) -> Iterator[Any]:
    config = tmp_path / "config.yml"
    config.write_text(f"package_name_override: {PACKAGE}\npost_hooks: []\n")
    made = subprocess.run(
        [str(Path(sys.executable).parent / "openapi-python-client"), "generate", "--url",
         f"{stack.base_url}/openapi.json", "--meta", "none", "--output-path",
         str(tmp_path / PACKAGE), "--config", str(config)],
        capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stdout + made.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield lambda name: importlib.import_module(f"{PACKAGE}.{name}")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith(PACKAGE)]:
            del sys.modules[name]


def test_a_generated_client_submits_waits_polls_and_reads_problems(
        stack: Stack, generated: Any) -> None:
    issued = stack.client()
    issued.wait_finished(issued.submit_search("warm up")["id"], 180)  # models loaded
    token = issued.http.headers["Authorization"].removeprefix("Bearer ")
    client = generated("client").AuthenticatedClient(base_url=stack.base_url, token=token,
                                                     raise_on_unexpected_status=True)
    models: ModuleType = generated("models")
    submit_search = generated("api.search.submit_search")
    waited = submit_search.sync_detailed(client=client, body=models.SearchIn(
        query="iris and leather", top_k=3), prefer="wait=30")
    assert waited.status_code == 200
    job = waited.parsed
    assert isinstance(job, models.SearchJob) and job.status == "succeeded"
    assert isinstance(job.result, models.SearchResult)
    assert isinstance(job.result.hits[0], models.PerfumeHit)
    assert len(job.result.hits) == 3 and job.result.hits[0].name

    submit_recipe = generated("api.generate.submit_recipe")
    queued = submit_recipe.sync_detailed(client=client, body=models.RecipeIn(
        fragrance_family="floral", season=models.RecipeInSeasonType0.SPRING))
    assert queued.status_code == 202 and isinstance(queued.parsed, models.RecipeJob)
    get_job = generated("api.jobs.get_job")

    def finished() -> Any:
        polled = get_job.sync(job_id=queued.parsed.id, client=client)
        return polled if polled.status in ("succeeded", "failed") else None

    recipe = wait_until(finished, 60, "the recipe job to finish")
    assert isinstance(recipe, models.RecipeJob) and recipe.status == "succeeded"
    assert isinstance(recipe.result.formula, models.FormulaOut)
    assert recipe.result.validation.valid and recipe.result.formula.ingredients

    refused = submit_recipe.sync_detailed(client=client, body=models.RecipeIn(
        fragrance_family="plastic"))
    assert refused.status_code == 422 and isinstance(refused.parsed, models.Problem)
    assert refused.parsed.errors[0].field == "fragrance_family"
    missing = get_job.sync_detailed(job_id=str(uuid.uuid4()), client=client)
    assert missing.status_code == 404 and isinstance(missing.parsed, models.Problem)
    assert missing.parsed.status == 404
