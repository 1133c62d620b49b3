"""Recipe jobs and batches end to end with a real worker (built-in formulator back end)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.harness import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.model]
BRIEF = {"fragrance_family": "floral", "mood": "romantic", "intensity": "moderate",
         "gender": "feminine", "season": "spring"}


def test_a_brief_becomes_a_valid_formula(stack: Stack) -> None:
    client = stack.client()
    job = client.wait_finished(client.submit_recipe(**BRIEF)["id"], timeout=180)
    assert job["status"] == "succeeded", job
    result = job["result"]
    formula = result["formula"]
    assert result["validation"]["valid"] is True
    assert abs(sum(i["pct"] for i in formula["ingredients"]) - 100) <= 0.01
    assert {i["position"] for i in formula["ingredients"]} == {"top", "heart", "base"}
    assert result["backend"] == "formulator"


def test_a_batch_runs_every_item_and_keeps_bad_ones_apart(stack: Stack) -> None:
    client = stack.client()
    briefs = [{**BRIEF, "seed": n, "season": season}
              for n, season in enumerate(["spring", "summer", "autumn", "winter"] * 25)]
    briefs[7] = {**BRIEF, "intensity": "volcanic"}
    response = client.http.post("/api/v1/generate/batch", json={"requests": briefs})
    assert response.status_code == 202, response.text
    batch_id = response.json()["id"]

    def completed() -> dict | None:  # type: ignore[type-arg]
        batch = client.http.get(f"/api/v1/batches/{batch_id}").json()
        return batch if batch["status"] == "completed" else None

    batch = wait_until(completed, 300, "the batch to complete", interval=0.5)
    assert batch["counts"]["succeeded"] == 99 and batch["counts"]["failed"] == 1
    items, cursor = [], -1
    while cursor is not None:
        page = client.http.get(f"/api/v1/batches/{batch_id}/items",
                               params={"cursor": cursor, "limit": 40}).json()
        items += page["items"]
        cursor = page["next_cursor"]
    assert [item["index"] for item in items] == list(range(100))
    assert items[7]["job"]["error"]["type"] == "invalid_input"
    assert all(item["job"]["result"]["validation"]["valid"]
               for item in items if item["index"] != 7)


def test_cancelling_a_batch_keeps_what_finished(make_stack) -> None:  # type: ignore[no-untyped-def]
    """Two items in flight at a time (the tenant's recipe windows), so most are still
    queued when the cancel comes: with the default lone window (32) the whole batch went
    to the worker in group messages at once, and a cancel could find nothing queued."""
    stack: Stack = make_stack(FRAGRANCE_FAULT_INJECTION_DELAY_S="0.5",
                              FRAGRANCE_DISPATCH_WINDOWS__RECIPE="2",
                              FRAGRANCE_LONE_DISPATCH_WINDOWS__RECIPE="2")
    stack.start_worker(name="slow", concurrency=2)
    client = stack.client()
    response = client.http.post("/api/v1/generate/batch",
                                json={"requests": [{**BRIEF, "seed": n} for n in range(20)]})
    batch_id = response.json()["id"]
    wait_until(lambda: client.http.get(f"/api/v1/batches/{batch_id}").json()["counts"][
        "succeeded"] >= 2, 120, "a few items to finish")
    canceled = client.http.post(f"/api/v1/batches/{batch_id}/cancel").json()
    assert canceled["counts"]["canceled"] > 0
    done = wait_until(lambda: (b := client.http.get(f"/api/v1/batches/{batch_id}").json())[
        "status"] == "completed" and b, 120, "the batch to settle")
    assert done["counts"]["succeeded"] >= 2
    assert done["counts"]["succeeded"] + done["counts"]["canceled"] == 20
