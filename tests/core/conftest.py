"""Fixtures of the webhook tests: a key, a local receiver verifying its signatures, and the
real sender."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.keys import IssuedKey, KeyRing
from core.url_policy import UrlPolicy
from tests.webhook_receiver import Receiver
from workers.webhook_sender import WebhookSender


@pytest.fixture
def key(key_ring: KeyRing) -> IssuedKey:
    return key_ring.issue("hooks", ["search"])


@pytest.fixture
def receiver(key: IssuedKey) -> Iterator[Receiver]:
    receiver = Receiver(key.webhook_secret).start()
    yield receiver
    if receiver.server:
        receiver.stop()


@pytest.fixture
def sender() -> Iterator[WebhookSender]:
    """A sender that waits long enough for a receiver on a busy CI host: a test that
    wants a timeout makes its own short-timeout sender."""
    sender = WebhookSender(UrlPolicy.build(True, ["127.0.0.1"], []), timeout_s=10,
                           max_response_bytes=1024, per_host=4)
    yield sender
    sender.close()
