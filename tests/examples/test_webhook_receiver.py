"""The example webhook receiver verifies Standard Webhooks signatures the way the API signs
them (`core.webhooks.signed_headers`), drops redeliveries and refuses forgeries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from core.webhooks import encode_body, signed_headers
from examples.webhook_receiver import create_receiver

pytestmark = pytest.mark.unit
SECRET, OLD = "whsec_" + "bmV3LXNlY3JldC1mb3ItdGVzdHM=", "whsec_" + "b2xkLXNlY3JldA=="
MESSAGE = {"type": "job.completed", "timestamp": "2026-11-30T00:00:00Z",
           "data": {"id": "j1", "kind": "recipe", "status": "succeeded"}}
URL = "/hooks/fragrance"


def _post(client: TestClient, secrets: list[str], message_id: str = "msg_1",
          when: datetime | None = None, body: str | None = None) -> int:
    sent = encode_body(MESSAGE)
    headers = signed_headers(message_id, sent, secrets, when or datetime.now(UTC))
    return client.post(URL, content=body or sent, headers=headers).status_code


def test_a_message_signed_by_the_api_is_accepted_once() -> None:
    receiver = create_receiver([SECRET])
    client = TestClient(receiver)
    assert _post(client, [SECRET]) == 204
    assert _post(client, [SECRET]) == 204  # the API retried: answered, not handled again
    assert [m["data"]["id"] for m in receiver.state.received] == ["j1"]


def test_during_a_rotation_either_secret_verifies() -> None:
    client = TestClient(create_receiver([SECRET, OLD]))
    assert _post(client, [OLD], "msg_old") == 204
    assert _post(client, [SECRET, OLD], "msg_both") == 204


def test_forged_tampered_and_stale_messages_are_refused() -> None:
    receiver = create_receiver([SECRET])
    client = TestClient(receiver)
    assert _post(client, [OLD]) == 400
    assert _post(client, [SECRET], body=encode_body({**MESSAGE, "type": "x"})) == 400
    assert _post(client, [SECRET], when=datetime.now(UTC) - timedelta(minutes=10)) == 400
    assert client.post(URL, content=b"{}").status_code == 400
    assert receiver.state.received == []
