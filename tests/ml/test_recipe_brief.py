from __future__ import annotations

import json

import pytest

from ml.recipe.brief import Brief
from ml.recipe.concentration import CONCENTRATIONS, concentration_class
from ml.recipe.formula import Formula, Ingredient

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("word", "family", "subfamily"),
    [
        ("floral", "floral", None),
        ("citrus", "citrus", None),
        ("woody", "woods", None),
        ("oriental", "amber", None),
        ("amber", "amber", None),
        ("fresh", "citrus", "cologne"),
        ("gourmand", "soft_amber", "gourmand"),
        ("fougere", "aromatic", "fougere"),
        ("Chypre", "mossy_woods", "chypre"),
        ("woody_amber", "woody_amber", None),
        ("Soft Floral", "soft_floral", None),
        ("플로럴", "floral", None),
    ],
)
def test_family_words_map_to_wheel_families(word: str, family: str, subfamily: str | None) -> None:
    brief = Brief(word)
    assert brief.fragrance_family == family
    assert brief.subfamily == subfamily


@pytest.mark.parametrize(("intensity", "conc"), [("light", "edt"), ("moderate", "edp"),
                                                 ("strong", "parfum")])  # fmt: skip
def test_concentration_defaults_from_intensity(intensity: str, conc: str) -> None:
    assert Brief("floral", intensity=intensity).concentration == conc


def test_explicit_concentration_is_normalised() -> None:
    assert Brief("floral", concentration="EdC").concentration == "edc"
    assert Brief("floral", concentration="Eau de Parfum").concentration == "edp"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"fragrance_family": "purple"}, "fragrance_family"),
        ({"fragrance_family": "floral", "intensity": "loud"}, "intensity"),
        ({"fragrance_family": "floral", "gender": "robot"}, "gender"),
        ({"fragrance_family": "floral", "season": "monsoon"}, "season"),
        ({"fragrance_family": "floral", "concentration": "splash"}, "concentration"),
        ({"fragrance_family": "floral", "language": "fr"}, "language"),
        ({"fragrance_family": "floral", "seed": -1}, "seed"),
        ({"fragrance_family": "floral", "notes_include": "rose"}, "notes_include"),
        ({"fragrance_family": "floral", "notes_include": ["rose"], "notes_exclude": ["rose"]},
         "notes_exclude"),
    ],
)
def test_invalid_fields_are_named(kwargs: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        Brief(**kwargs)


def test_from_dict_rejects_unknown_and_missing_fields() -> None:
    with pytest.raises(ValueError, match="colour"):
        Brief.from_dict({"fragrance_family": "floral", "colour": "red"})
    with pytest.raises(ValueError, match="fragrance_family"):
        Brief.from_dict({"mood": "calm"})


def test_brief_round_trips_through_dict() -> None:
    brief = Brief("woody", mood="Calm, Warm", gender="male", season="fall",
                  notes_include=["Cedar", "cedar"], seed=7)  # fmt: skip
    assert brief.gender == "masculine" and brief.season == "autumn"
    assert brief.notes_include == ("cedar",)
    assert brief.moods == ("calm", "warm")
    assert Brief.from_dict(json.loads(json.dumps(brief.to_dict()))) == brief


def test_concentration_classes_follow_domain_table() -> None:
    expected = {"parfum": (20, 15, 30), "edp": (15, 10, 20), "edt": (10, 5, 15), "edc": (4, 2, 8)}
    for slug, (default, low, high) in expected.items():
        klass = CONCENTRATIONS[slug]
        assert (klass.default_pct, klass.min_pct, klass.max_pct) == (default, low, high)
        assert klass.contains(default) and not klass.contains(high + 0.1)
    assert concentration_class("EDT").clamp(40) == 15


def test_formula_round_trips_and_rejects_bad_shapes() -> None:
    formula = Formula("N", "D", "edp", 15.0, (Ingredient("hedione", "Hedione", 100.0, "heart"),))
    assert Formula.from_dict(json.loads(json.dumps(formula.to_dict()))) == formula
    bad = formula.to_dict() | {"ingredients": [{"material_id": "x", "pct": "5", "position": "top"}]}
    with pytest.raises(ValueError, match=r"ingredients\[0\]\.pct"):
        Formula.from_dict(bad)
    with pytest.raises(ValueError, match="position"):
        Ingredient("x", "x", 1.0, "middle")
