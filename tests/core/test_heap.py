"""A serving process's heap settled after warm-up (`core.heap.settle_heap`): what is alive
is frozen out of the collector's full passes, what is garbage is collected first, and what
comes later is collected as before."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from core.heap import settle_heap


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process's collector as it was


def test_what_is_alive_is_frozen(unfrozen: None) -> None:
    kept = [Node() for _ in range(100)]
    settle_heap()
    assert gc.get_freeze_count() >= len(kept)
    assert gc.is_tracked(kept[0])


def test_garbage_of_warm_up_is_collected_not_frozen(unfrozen: None) -> None:
    garbage = Node()
    gone = weakref.ref(garbage)
    del garbage
    settle_heap()
    assert gone() is None


def test_cycles_made_after_it_are_still_collected(unfrozen: None) -> None:
    settle_heap()
    later = Node()
    gone = weakref.ref(later)
    del later
    gc.collect()
    assert gone() is None

