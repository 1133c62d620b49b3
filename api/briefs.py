"""Checking a recipe brief at submit time, with the recipe library's own vocabulary.

`ml.recipe.brief` is plain Python (no torch): importing it keeps one source of truth for
which family words are accepted. The import-linter contract still forbids torch here.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from api.schemas import BriefIn
from ml.recipe.brief import Brief
from ml.recipe.brief import warm as warm_brief_vocabulary

__all__ = ["brief_errors", "warm_brief_vocabulary"]


def brief_errors(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Field errors of a brief (a recipe request without its webhook; a batch item) ([]
    when it is valid)."""
    try:
        body = BriefIn.model_validate(payload)
    except ValidationError as exc:
        return [{"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"],
                 "type": err["type"]} for err in exc.errors()]
    try:
        Brief.from_dict(body.job_input())
    except ValueError as exc:
        field, _, message = str(exc).partition(": ")
        return [{"field": field if message else "", "message": message or str(exc),
                 "type": "value_error"}]
    return []
