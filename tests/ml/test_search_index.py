from __future__ import annotations

import numpy as np
import pytest

from ml.exact_index import InMemoryIndex
from ml.vector_index import Condition, PayloadFilter

pytestmark = pytest.mark.unit


def small_index() -> InMemoryIndex:
    index = InMemoryIndex()
    index.reset("perfume", 2)
    vectors = np.array([[1, 0], [0.8, 0.6], [0, 1]], dtype=np.float32)
    index.upsert("perfume", ["a", "b", "c"], vectors, [
        {"season": ["spring"], "gender": "feminine"},
        {"season": ["winter", "spring"], "gender": "unisex"},
        {"season": ["winter"], "gender": "masculine"}])
    return index


def test_exact_search_orders_by_cosine_and_batches() -> None:
    hits = small_index().search_batch("perfume", np.array([[1, 0], [0, 1]], np.float32), 2)
    assert [[h.id for h in row] for row in hits] == [["a", "b"], ["c", "b"]]
    assert hits[0][0].score == pytest.approx(1.0)


def test_payload_filters() -> None:
    spring_not_feminine = PayloadFilter(must=(Condition("season", ("spring",)),),
                                        must_not=(Condition("gender", ("feminine",)),))
    hits = small_index().search_batch("perfume", np.array([[1, 0]], np.float32), 10,
                                      [spring_not_feminine])
    assert [h.id for h in hits[0]] == ["b"]
    assert PayloadFilter().matches({"anything": 1})


def test_stamp_round_trip() -> None:
    index = small_index()
    assert index.stamp() is None
    index.set_stamp("catalog=x")
    assert index.stamp() == "catalog=x"
