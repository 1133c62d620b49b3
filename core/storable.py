"""What the job store can hold: text without NUL or lone surrogates, finite numbers.

The API refuses poison at the edge. What a worker computes, and what an older row already
holds, is made storable and readable here instead of failing a write or a response:
non-finite numbers become null, NUL and lone surrogates become U+FFFD.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(text: str) -> str:
    """`text` with each NUL and lone surrogate replaced by U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)


def storable_json(value: Any) -> str:
    """JSON text that SQLite and PostgreSQL's JSONB both accept (the engines' JSON
    serializer: see `core.database.make_engine`)."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        if "\\u0000" not in text:
            text.encode("utf-8")
            return text
    except (ValueError, UnicodeEncodeError):  # NaN, or a lone surrogate
        pass
    return json.dumps(storable(value), ensure_ascii=False)


def storable(value: Any) -> Any:
    """`value` with every string made storable and every non-finite number null."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {storable_text(str(key)): storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [storable(item) for item in value]
    return value
