"""The guard around kombu's restore on a torn-down Redis connection."""

from __future__ import annotations

from typing import Any

import pytest

from workers import broker_patches

pytestmark = pytest.mark.unit


class TornDownQoS:
    def __init__(self) -> None:
        self._delivered = {"tag-1": object(), "tag-2": object()}

    def restore(self, client: Any = None) -> None:
        raise AttributeError("'NoneType' object has no attribute 'hostname'")


def test_a_torn_down_connection_does_not_kill_the_consumer() -> None:
    guarded = broker_patches.tolerate_torn_down_connection(TornDownQoS.restore)
    qos = TornDownQoS()
    assert guarded(qos) is None
    assert qos._delivered == {}  # left to the visibility-timeout restore


def test_the_guard_is_installed_once() -> None:
    from kombu.transport import redis as kombu_redis

    broker_patches.apply()
    first = kombu_redis.QoS.restore_unacked
    broker_patches.apply()
    assert kombu_redis.QoS.restore_unacked is first
    assert getattr(first, "__fragrance_guard__", False)


def test_a_channel_reuses_one_client_and_replaces_it_with_its_pool(redis_url: str) -> None:
    from kombu import Connection

    broker_patches.apply()
    with Connection(redis_url) as connection:
        channel = connection.channel()
        with channel.conn_or_acquire() as first, channel.conn_or_acquire() as second:
            assert first is second
            first.set("fragrance-test:broker-patch", "1")  # a real command through it
            assert second.get("fragrance-test:broker-patch") == b"1"
            first.delete("fragrance-test:broker-patch")
        given = object()
        with channel.conn_or_acquire(given) as passed:
            assert passed is given
        channel._disconnect_pools()  # what kombu does after losing the connection
        with channel.conn_or_acquire() as after:
            assert after is not first and after.connection_pool is channel.pool
            assert after.ping()
        channel.close()


def test_an_ack_on_a_torn_down_channel_leaves_the_message_to_the_restore(
        redis_url: str) -> None:
    """The acknowledgement of a task that finished as the broker went away runs on the old
    channel; it must not stop the consumer (the message comes back through the visibility
    timeout, and the job store skips its finished job)."""
    from kombu import Connection
    from kombu.transport import redis as kombu_redis

    broker_patches.apply()
    assert getattr(kombu_redis.QoS.ack, "__fragrance_guard__", False)
    assert getattr(kombu_redis.QoS.reject, "__fragrance_guard__", False)
    with Connection(redis_url) as connection:
        channel = connection.channel()
        qos = channel.qos
        channel._disconnect_pools()
        channel.connection = None  # what kombu leaves behind after closing the channel
        assert qos.ack("tag-1") is None
        assert qos.reject("tag-2") is None


def test_an_ack_that_fails_for_another_reason_still_raises() -> None:
    class BrokenQoS:
        channel = type("LiveChannel", (), {"connection": object()})()

        def ack(self, delivery_tag: str) -> None:
            raise AttributeError("a real bug")

    guarded = broker_patches.settle_or_leave_to_restore(BrokenQoS.ack)
    with pytest.raises(AttributeError, match="a real bug"):
        guarded(BrokenQoS(), "tag")
