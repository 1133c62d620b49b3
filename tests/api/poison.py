"""A corpus of hostile values, and every way to put one into a JSON body.

Values are raw JSON text: Python's `json.dumps` cannot even write some of them (a 5,000-digit
integer, a lone surrogate as real text), so a body is dumped with a marker in one field and
the marker is replaced by the raw text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

MARK = "\u2063poison\u2063"

# name -> (raw JSON text, must be refused wherever it goes)
POISON: dict[str, tuple[str, bool]] = {
    "nul": ('"amber\\u0000rose"', True),
    "bell": ('"ro\\u0007se"', True),  # a control character: it was stored
    "c1_control": ('"rose\\u0085"', True),
    "lone_surrogate": ('"\\udc80"', True),
    "lone_high_surrogate": ('"rose \\ud83d"', True),
    "int_5000_digits": ("9" * 5000, True),
    "int_2_63": (str(2**63), True),
    "int_minus_2_63_minus_1": (str(-(2**63) - 1), True),
    "nan": ("NaN", True),
    "infinity": ("-Infinity", True),
    "float_overflow": ("1e999", True),
    "deep_nesting": ("[" * 2000 + "]" * 2000, True),
    "deep_object": ('{"a":' * 200 + "1" + "}" * 200, True),
    "string_1mb": ('"' + "x" * 1_000_000 + '"', True),
    # ordinary text people send: never a 5xx, accepted where a string is
    "rtl_emoji": (json.dumps("עטר ורד 🌹\u200f مسك", ensure_ascii=False), False),
    "korean": (json.dumps("상큼하고 로맨틱한 봄 향수", ensure_ascii=False), False),
    "superscript_two": ('"²"', False),
    "tab_and_newline": ('"rose\\tand\\nvanilla"', False),
    "empty_object": ("{}", False),
    "zero": ("0", False),
}


def leaf_paths(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every place a value sits in `value` (containers themselves included)."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaf_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaf_paths(item, (*path, index))


def with_poison(body: Any, path: tuple[str | int, ...], raw: str) -> bytes:
    """`body` as JSON with the value at `path` replaced by the raw JSON text `raw`."""
    if not path:
        return raw.encode("utf-8", "surrogatepass")
    copy = json.loads(json.dumps(body))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = MARK
    text = json.dumps(copy, ensure_ascii=False).replace(json.dumps(MARK, ensure_ascii=False),
                                                         raw)
    return text.encode("utf-8", "surrogatepass")


def field_name(path: tuple[str | int, ...]) -> str:
    return ".".join(str(step) for step in path)
