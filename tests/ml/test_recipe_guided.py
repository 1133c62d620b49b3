"""Constrained decoding on the transformers back end: a random-weight tiny Llama, steered by
llguidance to each request's JSON schema, gives a parsable formula for every brief.

Assertions are on structure (schema, allowed ids, determinism), never on the text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ml.recipe.brief import Brief
from ml.recipe.generator import GenerationOutcome
from ml.recipe.llm import CompletionRequest, completion_requests
from ml.recipe.materials import POSITIONS
from ml.recipe.pipeline import RecipePipeline
from ml.recipe.schema import MAX_ITEMS, MIN_ITEMS
from ml.recipe.transformers_backend import TransformersGenerator

try:
    from recipe_fixtures import fixture_book
except ImportError:  # tests/ml imported as a package
    from tests.ml.recipe_fixtures import fixture_book

BOOK = fixture_book()
BRIEFS = [
    Brief("floral", seed=1),
    Brief("woody", mood="calm", seed=2),
    Brief("fresh", intensity="light", season="summer", seed=3),
    Brief("citrus", notes_exclude=("bergamot",), seed=4),
    Brief("oriental", gender="masculine", concentration="parfum", seed=5),
    Brief("gourmand", notes_include=("vanilla",), seed=6),
]


def assert_schema_valid(outcome: GenerationOutcome, request: CompletionRequest) -> None:
    """The raw output is compact JSON of the request's schema, and it parsed."""
    assert outcome.ok, outcome.error
    assert outcome.raw is not None and outcome.formula is not None
    data = json.loads(outcome.raw)
    assert list(data) == ["ingredients"]
    items = data["ingredients"]
    assert MIN_ITEMS <= len(items) <= MAX_ITEMS
    for item in items:
        assert list(item) == ["material_id", "pct", "position"]
        assert item["material_id"] in request.allowed_ids
        assert 0.01 <= item["pct"] <= 40
        assert item["position"] in POSITIONS
    parsed = [(i.material_id, i.pct, i.position) for i in outcome.formula.ingredients]
    assert parsed == [(i["material_id"], i["pct"], i["position"]) for i in items]


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ml.recipe.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-llama"), BOOK.ids(), seed=0)


@pytest.fixture(scope="module")
def generator(tiny_model_dir: Path) -> TransformersGenerator:
    return TransformersGenerator(tiny_model_dir, BOOK, max_new_tokens=384, batch_size=4)


@pytest.mark.model
def test_every_brief_gets_a_schema_valid_formula(generator: TransformersGenerator) -> None:
    outcomes = generator.generate(BRIEFS)
    assert len(outcomes) == len(BRIEFS)
    for outcome, request in zip(outcomes, completion_requests(BRIEFS, [], BOOK), strict=True):
        assert_schema_valid(outcome, request)


@pytest.mark.model
def test_guided_greedy_decoding_is_deterministic(generator: TransformersGenerator) -> None:
    assert generator.generate(BRIEFS) == generator.generate(BRIEFS)


@pytest.mark.model
def test_pipeline_validates_every_parsed_formula(generator: TransformersGenerator) -> None:
    outcomes = RecipePipeline(generator, BOOK).run_many(BRIEFS)
    assert [o.backend for o in outcomes] == ["transformers"] * len(BRIEFS)
    for outcome in outcomes:
        json.dumps(outcome.to_dict())
        assert outcome.formula is not None and outcome.report is not None  # parsed: validated
        assert outcome.status == "succeeded" or (outcome.error or "").startswith(
            "unrepairable violations"
        )


@pytest.mark.model
def test_a_completion_cut_off_by_the_token_budget_is_a_parse_error(tiny_model_dir: Path) -> None:
    short = TransformersGenerator(tiny_model_dir, BOOK, max_new_tokens=8)
    outcomes = short.generate(BRIEFS[:2])
    assert [o.ok for o in outcomes] == [False, False]
    for outcome in outcomes:
        assert (outcome.error or "").startswith("ParseError")
        assert (outcome.raw or "").startswith('{"ingredients":[')  # the grammar held
