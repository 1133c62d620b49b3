"""Server-Sent Events, parsed from the lines of a `text/event-stream` body."""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Event:
    """One event: its name (`event:`), id (`id:`) and JSON data (`data:`)."""

    event: str
    id: str | None
    data: Any


class _Assembler:
    """Feeds lines; returns an event at each blank line that ends one (comments and pings,
    which have no data, give none)."""

    def __init__(self) -> None:
        self._event = "message"
        self._id: str | None = None
        self._data: list[str] = []

    def feed(self, line: str) -> Event | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "id":
            self._id = value
        elif name == "data":
            self._data.append(value)
        return None

    def _dispatch(self) -> Event | None:
        event = (Event(self._event, self._id, json.loads("\n".join(self._data)))
                 if self._data else None)
        self._event, self._data = "message", []
        return event


def events(lines: Iterable[str]) -> Iterator[Event]:
    assembler = _Assembler()
    for line in lines:
        event = assembler.feed(line)
        if event is not None:
            yield event


async def aevents(lines: AsyncIterable[str]) -> AsyncIterator[Event]:
    assembler = _Assembler()
    async for line in lines:
        event = assembler.feed(line)
        if event is not None:
            yield event
