"""The built-in `generator-pairs` dataset: prompt -> formula JSON from the built-in formulator.

One brief per catalogue perfume (its family, moods, gender, one of its seasons, a seeded
intensity), with that perfume as the reference the prompt shows, so the prompt has the same
shape the served generator sees (`ml.recipe.prompt.build_prompt`). The completion is the
JSON object `parse_formula` reads: `{"ingredients": [{material_id, pct, position}, ...]}`.
Materials the formula uses but the prompt did not offer are appended to the prompt's list,
so the model never learns to answer with an id it was not shown.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from typing import Any

from ml.knowledge import Catalog, Perfume
from ml.recipe.brief import INTENSITIES, Brief
from ml.recipe.formula import Formula
from ml.recipe.formulator import FormulationError, Formulator
from ml.recipe.materials import MaterialBook, load_materials
from ml.recipe.prompt import allowed_materials, build_prompt
from ml.training.examples import Dataset, Example

NAME = "generator-pairs"


def brief_for(perfume: Perfume, rng: random.Random) -> Brief:
    """A brief a client could have sent for a perfume like this one."""
    return Brief(fragrance_family=perfume.family, mood=" ".join(perfume.mood[:2]),
                 intensity=rng.choice(INTENSITIES), gender=perfume.gender,
                 season=rng.choice(perfume.season) if perfume.season else None,
                 seed=rng.randrange(1000))


def reference_of(perfume: Perfume) -> dict[str, Any]:
    return {"name": perfume.name, "top_notes": list(perfume.top_notes),
            "heart_notes": list(perfume.heart_notes), "base_notes": list(perfume.base_notes)}


def completion_text(formula: Formula) -> str:
    """The formula as the generator should write it (no free text, no names)."""
    items = [{"material_id": i.material_id, "pct": i.pct, "position": i.position}
             for i in formula.ingredients]
    return json.dumps({"ingredients": items})


def prompt_text(brief: Brief, references: Sequence[Mapping[str, Any]], formula: Formula,
                book: MaterialBook) -> str:
    offered = allowed_materials(brief, book, references)
    shown = {m.id for m in offered}
    missing = {i.material_id: m for i in formula.ingredients
               if i.material_id not in shown and (m := book.get(i.material_id)) is not None}
    return build_prompt(brief, references, [*offered, *missing.values()])


def generator_pairs(catalog: Catalog | None = None, materials: MaterialBook | None = None, *,
                    limit: int | None = None, seed: int = 0) -> Dataset:
    """Up to `limit` pairs (all perfumes by default); briefs the formulator cannot satisfy
    are skipped. Deterministic for a seed."""
    catalog, book = catalog or Catalog.load(), materials or load_materials()
    formulator, rng = Formulator(book), random.Random(seed)
    examples: list[Example] = []
    for perfume in catalog.perfumes:
        if limit is not None and len(examples) >= limit:
            break
        brief, references = brief_for(perfume, rng), [reference_of(perfume)]
        try:
            formula = formulator.formulate(brief, references)
        except FormulationError:
            continue
        examples.append(Example(prompt_text(brief, references, formula, book),
                                completion_text(formula)))
    return Dataset(NAME, "generator", tuple(examples))
