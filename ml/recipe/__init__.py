"""Recipe generation: briefs, formulas, the scientific validator and generator back ends.

Importing this package loads no model and touches no network; LLM back ends import their
heavy dependencies (torch, transformers, vllm) lazily.
"""

from __future__ import annotations

from ml.recipe.brief import Brief
from ml.recipe.concentration import CONCENTRATIONS, ConcentrationClass, concentration_class
from ml.recipe.formula import Formula, Ingredient
from ml.recipe.formulator import FormulationError, Formulator
from ml.recipe.generator import FormulatorGenerator, GenerationOutcome, Generator
from ml.recipe.materials import Material, MaterialBook, load_materials
from ml.recipe.pipeline import RecipeOutcome, RecipePipeline
from ml.recipe.regulation import ProductContext, Regulation, load_regulation
from ml.recipe.validator import ValidationReport, repair, validate

__all__ = [
    "CONCENTRATIONS",
    "Brief",
    "ConcentrationClass",
    "Formula",
    "FormulationError",
    "Formulator",
    "FormulatorGenerator",
    "GenerationOutcome",
    "Generator",
    "Ingredient",
    "Material",
    "MaterialBook",
    "ProductContext",
    "RecipeOutcome",
    "RecipePipeline",
    "Regulation",
    "ValidationReport",
    "concentration_class",
    "load_materials",
    "load_regulation",
    "repair",
    "validate",
]
