"""Per-tenant lanes for work the API process does itself (a formula's validation): each
tenant runs at most `running` such calls at once and queues at most `waiting` more; beyond,
TenantLaneFull (a 429). A rate limit counts requests, not their cost: a tenant sending
1,000-ingredient formulas on 32 connections kept the API's interpreter busy with its own
validations (another tenant's `GET /jobs` went from 5 ms to 285 ms at the median and 4 s at
p90). In a lane, that tenant waits for itself; the others' requests go on."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class TenantLaneFull(Exception):
    """The tenant already has its calls running and waiting."""

    def __init__(self, what: str, running: int, waiting: int) -> None:
        super().__init__(f"this tenant already has {running} {what} running and {waiting} "
                         "waiting on this server: send the next when one is answered")
        self.what = what


class TenantLanes:
    def __init__(self, what: str, running: int = 1, waiting: int = 16) -> None:
        self.what, self.running, self.waiting = what, running, waiting
        self._lanes: dict[str, asyncio.Semaphore] = {}
        self._queued: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def slot(self, tenant_id: str) -> AsyncIterator[None]:
        """Hold one of the tenant's running slots (waiting for one if need be); raises
        TenantLaneFull when the tenant's queue is full too."""
        queued = self._queued.get(tenant_id, 0)
        if queued >= self.running + self.waiting:
            raise TenantLaneFull(self.what, self.running, self.waiting)
        lane = self._lanes.setdefault(tenant_id, asyncio.Semaphore(self.running))
        self._queued[tenant_id] = queued + 1
        try:
            async with lane:
                yield
        finally:
            self._queued[tenant_id] -= 1
            if not self._queued[tenant_id]:  # an idle tenant holds nothing
                del self._queued[tenant_id], self._lanes[tenant_id]
