"""A dead webhook receiver leaves a trace in the worker log (found black-box: 128 refused
connections over 60 s gave no line): one WARNING when its host starts failing, one per
message dead-lettered, retries at DEBUG; a line names the host, never the URL's path or
query (receivers' URLs carry tokens) nor the signing secret."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from core.deliveries import AttemptResult, DeliveryStore, OutgoingMessage
from core.keys import IssuedKey, KeyRing
from core.models import WebhookDelivery, utcnow
from core.states import JobStatus
from core.store import JobStore
from core.url_policy import UrlPolicy
from core.webhooks import DEAD, DELIVERED, PENDING
from tests.conftest import empty_outbox, free_port
from workers.webhook_pump import ReceiverLog, WebhookPump
from workers.webhook_sender import WebhookSender

HOUR = 3600.0
LOGGER = "workers.webhook_pump"
PRIVATE = ("/hooks/p4th-t0ken", "p4th-t0ken", "s3cret", "token=")


def lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == level]


# ---- through the real pump, sender and outbox ---------------------------------------------
@pytest.fixture
def key(key_ring: KeyRing) -> IssuedKey:
    return key_ring.issue("receiver-log", ["search"])


@pytest.fixture
def outbox(sessions: sessionmaker[Session]) -> DeliveryStore:
    return empty_outbox(sessions, max_attempts=3, backoff_base_s=60.0)


@pytest.fixture
def pump(outbox: DeliveryStore, redis_url: str) -> Iterator[WebhookPump]:
    sender = WebhookSender(UrlPolicy.build(True, ["127.0.0.1"], []), timeout_s=2,
                           max_response_bytes=1024, per_host=4)
    pump = WebhookPump(outbox, sender.send, redis_url, lease_s=30, sweep_s=HOUR, senders=2)
    yield pump  # never started: the test drains it by hand
    pump.stop()
    sender.close()


@pytest.mark.integration
def test_a_dead_receiver_is_logged_once_and_each_dead_letter_once(
        sessions: sessionmaker[Session], key: IssuedKey, outbox: DeliveryStore,
        pump: WebhookPump, caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{free_port()}/hooks/p4th-t0ken?token=s3cret"  # nothing listens
    store = JobStore(sessions)
    for query in ("rose", "oud"):
        job, _ = store.create(tenant_id=key.tenant_id, kind="search", input={"query": query},
                              webhook_url=url, webhook_events=["completed"],
                              api_key_id=key.key_id)
        claim = store.claim(job.id, f"d-{job.id}", lease_s=60)
        assert claim
        store.finish(claim, JobStatus.SUCCEEDED, result={"hits": []})
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    for _ in range(3):  # three attempts each (max_attempts), every retry due at once
        assert pump.drain() == 2
        with sessions.begin() as session:
            session.execute(update(WebhookDelivery).where(WebhookDelivery.status == PENDING)
                            .values(next_attempt_at=utcnow()))
    assert outbox.counts() == {DEAD: 2}

    warnings = lines(caplog, logging.WARNING)
    assert len(warnings) == 3, warnings  # the host once, each dead letter once
    assert sum("is failing" in w for w in warnings) == 1
    dead = [w for w in warnings if "dead-lettered" in w]
    assert len(dead) == 2
    assert all("job.completed" in w and "127.0.0.1" in w and "msg_" in w
               and "ConnectError" in w for w in dead)
    assert len(lines(caplog, logging.DEBUG)) == 4  # the retries
    everything = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert not [line for line in everything
                if any(p in line for p in PRIVATE) or key.webhook_secret in line]


# ---- the rule, unit by unit ----------------------------------------------------------------
def message(url: str, n: int = 1, attempt: int = 1,
            payload: dict[str, object] | None = None) -> OutgoingMessage:
    return OutgoingMessage(f"msg_{n}", url, payload or {"type": "job.completed", "data": {}},
                           attempt, attempt, ("whsec_c2VjcmV0c2VjcmV0",))


REFUSED = AttemptResult(None, "ConnectError: [Errno 111] Connection refused", 1.0)
OK = AttemptResult(200, None, 1.0)
BUSY = AttemptResult(None, None, 0.0, busy=True)


@pytest.mark.unit
def test_a_host_warns_again_only_after_it_answered(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    receivers = ReceiverLog()
    a, b = "https://a.example/x?sig=s3cret", "https://user:pw@b.example:8443/p4th-t0ken"
    receivers.report([(message(a), REFUSED), (message(b, 2), REFUSED)], [PENDING, PENDING])
    receivers.report([(message(a, 3), REFUSED), (message(a, 4), BUSY)], [PENDING, PENDING])
    assert [w.split(" is failing")[0] for w in lines(caplog, logging.WARNING)] == \
        ["webhook receiver a.example", "webhook receiver b.example"]
    receivers.report([(message(a, 5), OK)], [DELIVERED])
    assert lines(caplog, logging.INFO) == ["webhook receiver a.example is answering again"]
    receivers.report([(message(a, 6), AttemptResult(503, None, 1.0))], [PENDING])
    receivers.report([(message(b, 7), REFUSED)], [PENDING])  # b never answered: no line
    warnings = lines(caplog, logging.WARNING)
    assert len(warnings) == 3 and "a.example is failing: HTTP 503" in warnings[2]
    assert len(lines(caplog, logging.DEBUG)) == 5
    everything = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert not [line for line in everything
                if any(p in line for p in (*PRIVATE, "user", "pw@", "whsec_", "sig="))]


@pytest.mark.unit
def test_a_dead_letter_names_the_host_and_the_error_not_the_url(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    url = "https://hooks.example.com/p4th-t0ken?token=s3cret"
    quoted = AttemptResult(None, f"InvalidURL: bad {url}", 1.0)  # an error quoting the URL
    ReceiverLog().report([(message(url, attempt=8), quoted)], [DEAD])
    (_, dead) = lines(caplog, logging.WARNING)
    assert dead == ("webhook message msg_1 (job.completed, tenant ?) to hooks.example.com "
                    "dead-lettered after attempt 8: InvalidURL: bad hooks.example.com")


@pytest.mark.unit
def test_a_dead_letter_names_its_job_or_batch_and_tenant(
        caplog: pytest.LogCaptureFixture) -> None:
    """An operator paged for dead letters had the message id and host only: no way to the
    job, its tenant or a redelivery."""
    caplog.set_level(logging.WARNING, logger=LOGGER)
    url = "https://hooks.example.com/in"
    job = replace(message(url, 1, 8, {"type": "job.completed", "data": {"id": "job-1"}}),
                  tenant_id="tenant-a")
    batch = replace(message(url, 2, 8, {"type": "batch.completed", "data": {"id": "b-1"}}),
                    tenant_id="tenant-b")
    ReceiverLog().report([(job, REFUSED), (batch, REFUSED)], [DEAD, DEAD])
    failing, *dead = lines(caplog, logging.WARNING)
    assert "(message msg_1, job.completed of job job-1, tenant tenant-a)" in failing
    assert dead[0].startswith("webhook message msg_1 (job.completed of job job-1, tenant "
                              "tenant-a) to hooks.example.com dead-lettered")
    assert dead[1].startswith("webhook message msg_2 (batch.completed of batch b-1, tenant "
                              "tenant-b) to hooks.example.com dead-lettered")
