"""JSON schema for guided decoding of a formula (vLLM ``guided_json`` / OpenAI ``json_schema``).

The model chooses only structure: material ids from an enum of allowed ids, a number, and a
position from an enum. There are no free-text strings (a random or drifting model can put raw
control characters into free strings, and ``maxLength`` on strings trips xgrammar, see
VLLM_CPU.md); the name and description are written by our own code after parsing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ml.recipe.materials import POSITIONS

MIN_ITEMS = 5
MAX_ITEMS = 25


def formula_schema(allowed_ids: Sequence[str]) -> dict[str, Any]:
    """Schema of ``{"ingredients": [{"material_id", "pct", "position"}, ...]}``."""
    if not allowed_ids:
        raise ValueError("formula_schema: allowed_ids must not be empty")
    ingredient = {
        "type": "object",
        "properties": {
            "material_id": {"type": "string", "enum": sorted(set(allowed_ids))},
            "pct": {"type": "number", "minimum": 0.01, "maximum": 40},
            "position": {"type": "string", "enum": list(POSITIONS)},
        },
        "required": ["material_id", "pct", "position"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "ingredients": {
                "type": "array",
                "items": ingredient,
                "minItems": MIN_ITEMS,
                "maxItems": MAX_ITEMS,
            }
        },
        "required": ["ingredients"],
        "additionalProperties": False,
    }
