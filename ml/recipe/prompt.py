"""Prompt for LLM back ends: the brief, reference perfumes (RAG) and the allowed materials."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ml.recipe.brief import Brief
from ml.recipe.materials import POSITIONS, Material, MaterialBook
from ml.recipe.selection import excluded, reference_notes, score_materials

MAX_MATERIALS_IN_PROMPT = 60
MAX_REFERENCES = 5

INSTRUCTIONS = (
    "You are a perfumer. Compose a fragrance concentrate for the brief below using only the "
    "listed materials. Answer with JSON only: "
    '{"ingredients": [{"material_id": "<id>", "pct": <number>, "position": "top|heart|base"}]}. '
    "Use 10 to 25 materials; percentages of the concentrate sum to 100; top 10-40 %, "
    "heart 20-60 %, base 15-60 %."
)


def allowed_materials(
    brief: Brief,
    book: MaterialBook,
    references: Sequence[Mapping[str, Any]] = (),
    limit: int = MAX_MATERIALS_IN_PROMPT,
) -> list[Material]:
    """The best-scoring usable materials for the brief, balanced across positions."""
    usable = [m for m in book if not m.forbidden and not excluded(m, brief)]
    scores = score_materials(brief, usable, references)
    per_position = max(1, limit // len(POSITIONS))
    chosen: list[Material] = []
    for position in POSITIONS:
        ranked = sorted((m for m in usable if m.note_position == position),
                        key=lambda m: (-scores[m.id], m.id))  # fmt: skip
        chosen += ranked[:per_position]
    return chosen


def _brief_lines(brief: Brief) -> list[str]:
    lines = [
        f"family: {brief.fragrance_family.replace('_', ' ')}"
        + (f" ({brief.subfamily})" if brief.subfamily else ""),
        f"mood: {brief.mood or 'any'}",
        f"intensity: {brief.intensity}; concentration: {brief.concentration}",
        f"gender: {brief.gender}; season: {brief.season or 'any'}",
    ]
    if brief.notes_include or brief.mood_notes:
        lines.append("must include notes: "
                     + ", ".join((*brief.notes_include, *brief.mood_notes)))
    if brief.notes_exclude:
        lines.append("avoid notes: " + ", ".join(brief.notes_exclude))
    return lines


def build_prompt(
    brief: Brief, references: Sequence[Mapping[str, Any]], materials: Sequence[Material]
) -> str:
    """A plain-text prompt; deterministic for the same inputs."""
    notes = reference_notes(references[:MAX_REFERENCES])
    refs = [f"{p}: {', '.join(dict.fromkeys(notes[p]))}" for p in POSITIONS if notes[p]]
    catalogue = [f"{m.id} | {m.name} | {m.note_position} | {m.odor_family}" for m in materials]
    parts = [INSTRUCTIONS, "Brief:", *_brief_lines(brief)]
    if refs:
        parts += ["Reference perfumes' notes:", *refs]
    parts += ["Materials (id | name | position | family):", *catalogue, "JSON:"]
    return "\n".join(parts)
