"""A thread's wake-up from Redis pub/sub: set an event on every message of a channel (the
loop it wakes also runs on a timer, so a message lost while Redis is away costs a delay,
never work)."""

from __future__ import annotations

import threading

import redis


def wake_on_publish(client: redis.Redis, channel: str, wake: threading.Event,
                    stop: threading.Event) -> None:
    """Until `stop` is set: `wake.set()` for each message on `channel`; after a Redis error,
    subscribe again a second later."""
    while not stop.is_set():
        try:
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(channel)
            for _ in pubsub.listen():
                wake.set()
                if stop.is_set():
                    return
        except (redis.RedisError, OSError):
            stop.wait(1.0)
