"""JSON the store, the result cache and the API write: what no database or reader could
take is made readable, never a failed write."""

from __future__ import annotations

import json
import math

import pytest

from core.storable import json_bytes, storable_json


def test_plain_values_are_compact_utf8_json() -> None:
    value = {"query": "rosé ø 香水", "top_k": 10, "score": 0.25, "hits": [None, True]}
    assert json_bytes(value) == json.dumps(value, ensure_ascii=False,
                                           separators=(",", ":")).encode()
    assert json.loads(storable_json(value)) == value


def test_what_a_reader_could_not_take_is_made_readable() -> None:
    value = {"nan": math.nan, "inf": -math.inf, "lone": "a\udc80b", "\ud800": 1,
             "big": 2**80, 3: "int key"}
    expected = {"nan": None, "inf": None, "lone": "a\ufffdb", "\ufffd": 1, "big": 2**80,
                "3": "int key"}
    assert json.loads(json_bytes(value)) == expected
    assert json.loads(storable_json(value)) == expected
    fast = {"nan": math.nan, 3: "int key"}  # orjson's own path, no fallback
    assert json.loads(json_bytes(fast)) == json.loads(storable_json(fast)) == \
        {"nan": None, "3": "int key"}


def test_nul_stays_in_responses_but_not_in_the_store() -> None:
    value = {"text": "a\x00b"}
    assert json.loads(json_bytes(value)) == value  # JSON can say it
    assert json.loads(storable_json(value)) == {"text": "a\ufffdb"}  # JSONB cannot


def test_a_value_json_cannot_hold_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        json_bytes({"set": {1, 2}})
