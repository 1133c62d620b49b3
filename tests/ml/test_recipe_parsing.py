from __future__ import annotations

import json

import pytest

from ml.recipe.brief import Brief
from ml.recipe.parsing import ParseError, parse_formula
from ml.recipe.prompt import allowed_materials, build_prompt
from ml.recipe.schema import formula_schema
from ml.recipe.validator import repair, validate

try:
    from recipe_fixtures import BALANCED, fixture_book
except ImportError:  # tests/ml imported as a package
    from tests.ml.recipe_fixtures import BALANCED, fixture_book

pytestmark = pytest.mark.unit

BOOK = fixture_book()
BRIEF = Brief("floral", mood="romantic", notes_include=["rose"], seed=4)


def output(lines=BALANCED) -> str:
    return json.dumps({"ingredients": [{"material_id": m, "pct": p, "position": pos}
                                       for m, p, pos in lines]})  # fmt: skip


def test_parses_valid_output_and_fills_name_from_brief() -> None:
    formula = parse_formula(output(), BRIEF, BOOK)
    assert [i.material_id for i in formula.ingredients] == [m for m, _, _ in BALANCED]
    assert formula.concentration == "edp" and formula.dose_pct == 15.0
    assert formula.name and formula.description.endswith(".")
    assert validate(formula, BOOK).valid


def test_tolerates_code_fences_and_prose() -> None:
    text = "Here you go:\n```json\n" + output() + "\n```"
    assert len(parse_formula(text, BRIEF, BOOK).ingredients) == len(BALANCED)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("no json here", "no JSON object"),
        ('{"ingredients": [{"material_id": "hedione", "pct": 5,', "no JSON object"),
        ('{"ingredients": [{"material_id": "hedione" "pct": 5}]}', "invalid JSON"),
        ('[{"material_id": "hedione"}]', "'ingredients' missing"),
        ('{"formula": []}', "'ingredients' missing"),
        ('{"ingredients": []}', "'ingredients' missing"),
        ('{"ingredients": ["hedione"]}', r"ingredients\[0\] is not an object"),
        ('{"ingredients": [{"pct": 5}]}', "material_id missing"),
        ('{"ingredients": [{"material_id": "hedione", "pct": "5"}]}', "pct missing or not"),
        ('{"ingredients": [{"material_id": "unobtainium", "pct": 5}]}', "unknown material id"),
        ('{"ingredients": [{"material_id": "hedione", "pct": 5, "position": "middle"}]}',
         "position"),
        ('{"ingredients": [{"material_id": "hed\x01ione", "pct": 5}]}', "control character"),
        ("\x12lemon\x00eran", "control character"),
    ],
)
def test_malformed_output_raises_clear_parse_error(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_formula(text, BRIEF, BOOK)


def test_ids_outside_the_prompt_are_rejected() -> None:
    with pytest.raises(ParseError, match="not offered"):
        parse_formula(output(), BRIEF, BOOK, allowed_ids={"hedione"})


def test_position_defaults_to_the_materials_own() -> None:
    text = '{"ingredients": [{"material_id": "vanillin", "pct": 100}]}'
    assert parse_formula(text, BRIEF, BOOK).ingredients[0].position == "base"


def test_parsed_output_with_bad_numbers_is_repaired() -> None:
    lines = [(m, p * 3, pos) for m, p, pos in BALANCED] + [("lilial", 10.0, "heart")]
    formula = parse_formula(output(lines), BRIEF, BOOK)
    assert not validate(formula, BOOK).valid
    fixed, repairs = repair(formula, BOOK)
    assert validate(fixed, BOOK).valid and len(repairs) >= 2


def test_schema_constrains_ids_and_has_no_free_strings() -> None:
    schema = formula_schema(["b", "a", "a"])
    item = schema["properties"]["ingredients"]["items"]
    assert item["properties"]["material_id"]["enum"] == ["a", "b"]
    assert item["properties"]["position"]["enum"] == ["top", "heart", "base"]
    assert "maxLength" not in json.dumps(schema)

    def strings(node: object) -> list[dict]:
        if isinstance(node, dict):
            own = [node] if node.get("type") == "string" else []
            return own + [s for v in node.values() for s in strings(v)]
        return [s for v in node for s in strings(v)] if isinstance(node, list) else []

    assert all("enum" in s for s in strings(schema))
    with pytest.raises(ValueError):
        formula_schema([])


def test_prompt_carries_brief_references_and_materials() -> None:
    refs = [{"top_notes": ["bergamot"], "heart_notes": ["rose"], "base_notes": ["musk"]}]
    materials = allowed_materials(BRIEF, BOOK, refs, limit=30)
    prompt = build_prompt(BRIEF, refs, materials)
    assert "family: floral" in prompt and "must include notes: rose" in prompt
    assert "top: bergamot" in prompt and "base: musk" in prompt
    assert all(f"{m.id} |" in prompt for m in materials)
    assert not any(m.forbidden for m in materials)
    assert {m.note_position for m in materials} == {"top", "heart", "base"}
    assert build_prompt(BRIEF, refs, materials) == prompt
