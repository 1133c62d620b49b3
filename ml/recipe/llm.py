"""Shared flow of the LLM back ends: prompt -> completion -> parse, one outcome per brief.

A back end supplies ``complete(requests)``: one text (or an exception) per request, in order.
Parsing failures and per-item back-end errors become error outcomes; they never fail the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ml.recipe.brief import Brief
from ml.recipe.generator import GenerationOutcome, References, references_for
from ml.recipe.materials import MaterialBook
from ml.recipe.parsing import ParseError, parse_formula
from ml.recipe.prompt import allowed_materials, build_prompt
from ml.recipe.schema import formula_schema


@dataclass(frozen=True)
class CompletionRequest:
    brief: Brief
    prompt: str
    schema: dict[str, Any]
    allowed_ids: tuple[str, ...]


def completion_requests(
    briefs: Sequence[Brief], references: Sequence[References], book: MaterialBook
) -> list[CompletionRequest]:
    requests = []
    for brief, refs in zip(briefs, references_for(references, len(briefs)), strict=True):
        materials = allowed_materials(brief, book, refs)
        ids = tuple(m.id for m in materials)
        requests.append(CompletionRequest(brief, build_prompt(brief, refs, materials),
                                          formula_schema(ids), ids))  # fmt: skip
    return requests


def outcomes_from_texts(
    requests: Sequence[CompletionRequest],
    texts: Sequence[str | BaseException],
    book: MaterialBook,
) -> list[GenerationOutcome]:
    outcomes = []
    for request, text in zip(requests, texts, strict=True):
        if isinstance(text, BaseException):
            outcomes.append(GenerationOutcome(error=f"{type(text).__name__}: {text}"))
            continue
        try:
            formula = parse_formula(text, request.brief, book, request.allowed_ids)
            outcomes.append(GenerationOutcome(formula, raw=text))
        except ParseError as exc:
            outcomes.append(GenerationOutcome(error=f"ParseError: {exc}", raw=text))
    return outcomes
