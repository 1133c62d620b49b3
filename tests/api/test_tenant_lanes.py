"""Work the API process does itself (a formula's validation) runs in a lane per tenant: one
tenant's validations wait for each other, never for another tenant's, and past its queue
they are a 429."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.lanes import TenantLaneFull, TenantLanes
from core.keys import IssuedKey
from tests.api.conftest import auth

VALIDATE = "/api/v1/validate/recipe"
FORMULA = {"formula": {"concentration": "edp", "ingredients": [
    {"material_id": "hedione", "pct": 100, "position": "heart"}]}}


@pytest.mark.unit
def test_a_tenants_calls_run_one_at_a_time_and_queue_up_to_the_bound() -> None:
    async def scenario() -> None:
        lanes = TenantLanes("validations", running=1, waiting=2)
        release, running = asyncio.Event(), []

        async def call(tenant: str, name: str) -> None:
            async with lanes.slot(tenant):
                running.append(name)
                await release.wait()

        first = [asyncio.create_task(call("a", f"a{i}")) for i in range(3)]
        other = asyncio.create_task(call("b", "b0"))
        await asyncio.sleep(0.01)
        assert running == ["a0", "b0"]  # a's others wait for a0; b does not wait for a
        with pytest.raises(TenantLaneFull, match="1 validations running and 2 waiting"):
            async with lanes.slot("a"):
                pass
        release.set()
        await asyncio.gather(*first, other)
        assert sorted(running) == ["a0", "a1", "a2", "b0"]
        assert not lanes._lanes and not lanes._queued  # an idle tenant holds nothing

    asyncio.run(scenario())


@pytest.mark.integration
def test_a_tenants_validation_flood_waits_for_itself_not_another_tenants_validation(
        client: TestClient, keys: dict[str, IssuedKey], monkeypatch: pytest.MonkeyPatch,
        ) -> None:
    from api.routes import validate

    release, started = threading.Event(), threading.Semaphore(0)
    checked = validate._check

    def slow_for_alice(body: Any) -> dict[str, Any]:
        if body.formula.name == "alice":
            started.release()
            assert release.wait(30)
        return checked(body)

    monkeypatch.setattr(validate, "_check", slow_for_alice)
    lanes: TenantLanes = client.app.state.validations  # type: ignore[attr-defined]
    alice = {**FORMULA, "formula": {**FORMULA["formula"], "name": "alice"}}

    def post(key: str, body: dict[str, Any]) -> httpx.Response:
        return client.post(VALIDATE, headers=auth(keys[key]), json=body)

    with ThreadPoolExecutor(lanes.running + lanes.waiting) as pool:
        held = [pool.submit(post, "alice", alice)
                for _ in range(lanes.running + lanes.waiting)]
        assert started.acquire(timeout=10)  # one of alice's runs; the rest wait behind it
        for _ in range(50):
            if lanes._queued.get(keys["alice"].tenant_id) == lanes.running + lanes.waiting:
                break
            threading.Event().wait(0.1)
        refused = post("alice", alice)
        assert refused.status_code == 429, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["Retry-After"] == "1"
        assert refused.json()["type"] == "/problems/too-many-concurrent"

        other = post("reader", FORMULA)  # while alice's lane is full
        assert other.status_code == 200, other.text
        release.set()
        assert [future.result().status_code for future in held] == [200] * len(held)
    assert post("alice", alice).status_code == 200  # the lane is free again
