"""The soak's mixed traffic from several tenants: searches (some waiting with `Prefer`),
recipes, small batches, job reads and lists, event streams, synchronous validation and
refused (hostile) requests, with webhooks to a local receiver."""

from __future__ import annotations

import itertools
import random
import sys
import threading
import time
from typing import Any

import httpx

from bench.processes import free_port, wait_until
from bench.stack import Stack
from bench.workload import briefs, search_queries

TENANTS = 5
THREADS = 4
VALID_FORMULA = {"formula": {"concentration": "edp", "dose_pct": 15, "ingredients": [
    {"material_id": "hedione", "pct": 60, "position": "heart"},
    {"material_id": "iso-e-super", "pct": 40, "position": "base"}]}}


class MixedLoad:
    def __init__(self, env: Stack, base_url: str, rate: float) -> None:
        """`rate`: operations a second in all (keep it under the stack's capacity: a soak
        measures drift over time, not saturation)."""
        self._pause_s = THREADS / rate
        port = free_port()
        env.spawn("receiver", [sys.executable, "-m", "bench.receiver", str(port)])
        self._hook = f"http://127.0.0.1:{port}/hook"
        wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/count").status_code == 200,
                   20, "the webhook receiver")
        self._keys = [env.issue_key(("search", "generate")).api_key for _ in range(TENANTS)]
        self._base_url = base_url
        self._queries = itertools.cycle(search_queries(500))
        self._briefs = itertools.cycle(briefs(500))
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True)
                         for n in range(THREADS)]
        self.errors: dict[int, int] = {}

    def start(self) -> MixedLoad:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def _run(self, number: int) -> None:
        rng = random.Random(number)
        operations = [(self._search, 45), (self._recipe, 15), (self._batch, 1),
                      (self._read, 15), (self._stream, 5), (self._validate, 7),
                      (self._hostile, 10)]
        with httpx.Client(base_url=self._base_url, timeout=60) as http:
            while not self._stop.is_set():
                operation = rng.choices([o for o, _ in operations],
                                        [w for _, w in operations])[0]
                key = rng.choice(self._keys)
                try:
                    answer = operation(http, {"Authorization": f"Bearer {key}"}, rng)
                    if answer is not None and answer >= 500:
                        self.errors[answer] = self.errors.get(answer, 0) + 1
                except httpx.HTTPError:
                    self.errors[0] = self.errors.get(0, 0) + 1
                self._stop.wait(self._pause_s)

    def _search(self, http: httpx.Client, headers: dict[str, str],
                rng: random.Random) -> int:
        wait = {"Prefer": "wait=5"} if rng.random() < 0.3 else {}
        return http.post("/api/v1/search/semantic", headers={**headers, **wait},
                         json={"query": next(self._queries), "webhook": self._hook}
                         ).status_code

    def _recipe(self, http: httpx.Client, headers: dict[str, str], _: random.Random) -> int:
        return http.post("/api/v1/generate/recipe", headers=headers,
                         json={**next(self._briefs), "webhook": self._hook}).status_code

    def _batch(self, http: httpx.Client, headers: dict[str, str], _: random.Random) -> int:
        return http.post("/api/v1/generate/batch", headers=headers,
                         json={"requests": [next(self._briefs) for _ in range(10)]}
                         ).status_code

    def _read(self, http: httpx.Client, headers: dict[str, str], _: random.Random) -> int:
        page = http.get("/api/v1/jobs?limit=20", headers=headers)
        items = page.json().get("items", []) if page.status_code == 200 else []
        if items:
            return http.get(f"/api/v1/jobs/{items[0]['id']}", headers=headers).status_code
        return page.status_code

    def _stream(self, http: httpx.Client, headers: dict[str, str], _: random.Random) -> int:
        job = http.post("/api/v1/search/semantic", headers=headers,
                        json={"query": next(self._queries)})
        if job.status_code != 202:
            return job.status_code
        deadline = time.monotonic() + 15
        with http.stream("GET", f"/api/v1/jobs/{job.json()['id']}/events",
                         headers=headers) as events:
            for line in events.iter_lines():
                if line.startswith("event: succeeded") or time.monotonic() > deadline:
                    break
            return events.status_code

    def _validate(self, http: httpx.Client, headers: dict[str, str],
                  _: random.Random) -> int:
        return http.post("/api/v1/validate/recipe", headers=headers,
                         json=VALID_FORMULA).status_code

    def _hostile(self, http: httpx.Client, headers: dict[str, str],
                 rng: random.Random) -> int:
        bodies: list[Any] = ['{"query": "a\\u0000b"}', '{"query": "\\udc80"}',
                             '{"query": "x", "top_k": ' + "9" * 5000 + "}",
                             "[" * 3000 + "]" * 3000]
        return http.post("/api/v1/search/semantic", content=rng.choice(bodies),
                         headers={**headers, "Content-Type": "application/json"}
                         ).status_code
