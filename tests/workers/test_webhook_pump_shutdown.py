"""A worker that exits while its pump is claiming: the interpreter shuts the pump's sender
pool down first, and the pump kept claiming messages it could no longer send (a traceback
per claim, `cannot schedule new futures after shutdown`), each left leased for `lease_s`,
so a restarted worker could not send them until the leases lapsed. It gives them back and
stops instead."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.deliveries import AttemptResult, DeliveryStore, OutgoingMessage
from core.keys import IssuedKey, KeyRing
from core.models import WebhookDelivery
from core.states import JobStatus
from core.store import JobStore
from tests.conftest import empty_outbox
from workers.webhook_pump import WebhookPump

pytestmark = pytest.mark.integration


@pytest.fixture
def outbox(sessions: sessionmaker[Session]) -> DeliveryStore:
    return empty_outbox(sessions, max_attempts=3, backoff_base_s=0.2)


@pytest.fixture
def pump(outbox: DeliveryStore, redis_url: str) -> Iterator[WebhookPump]:
    def send(message: OutgoingMessage) -> AttemptResult:
        return AttemptResult(200, None, 1.0)

    pump = WebhookPump(outbox, send, redis_url, lease_s=600, sweep_s=3600, senders=4)
    yield pump
    pump.stop()


def test_a_pump_whose_senders_are_shut_down_gives_its_claims_back(
        sessions: sessionmaker[Session], key_ring: KeyRing, outbox: DeliveryStore,
        pump: WebhookPump, caplog: pytest.LogCaptureFixture) -> None:
    key: IssuedKey = key_ring.issue("shutdown", ["search"])
    store = JobStore(sessions)
    for _ in range(3):
        job, _ = store.create(tenant_id=key.tenant_id, kind="search", input={"query": "x"},
                              webhook_url="http://127.0.0.1:9/hook",
                              webhook_events=["completed"], api_key_id=key.key_id)
        claim = store.claim(job.id, f"d-{job.id}", lease_s=60)
        assert claim
        store.finish(claim, JobStatus.SUCCEEDED, result={})
    pump._http.shutdown()  # what the interpreter's exit does to every executor
    assert pump.drain() == 0
    with sessions() as session:
        leases = session.scalars(select(WebhookDelivery.lease_until)).all()
    assert leases == [None, None, None]  # due again at once for the next worker
    assert outbox.next_due_in() is not None and outbox.next_due_in() <= 1.5
