"""Typical use levels: the formulator keeps every material at or below the top of its
typical use range (``typical_use_pct``), and the validator warns about a formula that does
not, whoever wrote it."""

from __future__ import annotations

import pytest

from ml.recipe.brief import Brief
from ml.recipe.formula import Formula
from ml.recipe.formulator import FormulationError, Formulator
from ml.recipe.materials import MaterialBook, load_materials
from ml.recipe.sweep import sweep_briefs
from ml.recipe.validator import validate

try:
    from recipe_fixtures import BALANCED, ROWS, make_formula
except ImportError:  # tests/ml imported as a package
    from tests.ml.recipe_fixtures import BALANCED, ROWS, make_formula

pytestmark = pytest.mark.unit

BOOK = load_materials()
FORMULATOR = Formulator(BOOK)

# the briefs a black-box tester found formulas for with materials at 3-200x their use level
TESTER_BRIEFS = [
    {"fragrance_family": "floral", "notes_include": ["rose"], "notes_exclude": ["musk"]},
    {"fragrance_family": "oriental"},
    {"fragrance_family": "aquatic"},
    {"fragrance_family": "floral", "notes_exclude": ["floral"]},
    {"fragrance_family": "woody_amber", "intensity": "strong", "concentration": "parfum",
     "notes_include": ["oud", "saffron"]},
]


def _above_use(formula: Formula) -> list[tuple[str, float, float]]:
    lines = []
    for ingredient in formula.ingredients:
        material = BOOK.get(ingredient.material_id)
        assert material is not None and material.typical_use_pct is not None
        if ingredient.pct > material.typical_use_pct[1]:
            lines.append((ingredient.material_id, ingredient.pct, material.typical_use_pct[1]))
    return lines


@pytest.mark.parametrize("brief", TESTER_BRIEFS, ids=lambda b: "-".join(map(str, b.values())))
def test_the_formulator_keeps_every_material_within_its_typical_use(brief: dict) -> None:
    for seed in range(4):
        formula = FORMULATOR.formulate(Brief.from_dict({**brief, "seed": seed}))
        assert not _above_use(formula), (seed, _above_use(formula))
        report = validate(formula, BOOK)
        assert report.valid and not report.warnings, report.warnings
        assert round(sum(i.pct for i in formula.ingredients) * 100) == 10000


def test_every_family_intensity_and_concentration_stays_within_typical_use() -> None:
    """One seed of the formulator sweep: every formula within its use levels, its pyramid
    within the bands (bulk materials carry the share potent ones cannot)."""
    for brief in sweep_briefs(1):
        formula = FORMULATOR.formulate(brief)
        assert not _above_use(formula), (brief, _above_use(formula))
        codes = {w.code for w in validate(formula, BOOK).warnings}
        assert not codes & {"above_typical_use", "pyramid"}, (brief, codes)


def test_exclusions_that_leave_too_few_materials_are_refused_with_the_reason() -> None:
    """With twenty families excluded, what is left (diacetyl, guaiacol, pyrazines...) holds
    a third of a concentrate at its use levels: no formula, and the error says why, instead
    of diacetyl at 22 % (its use tops at 0.1 %)."""
    excluded = ["floral", "woods", "citrus", "musk", "amber", "green", "fruity", "aromatic",
                "spicy", "vanilla", "rose", "jasmine", "aldehydes", "water", "powdery",
                "leather", "sweet", "fresh", "herbal", "resin"]  # fmt: skip
    with pytest.raises(FormulationError, match="too few materials for a plausible formula"
                       ) as caught:  # fmt: skip
        FORMULATOR.formulate(Brief("floral", notes_exclude=excluded))
    assert "notes_exclude leaves" in str(caught.value)
    assert "exclude fewer notes" in str(caught.value)


def test_the_validator_warns_about_a_material_above_its_typical_use() -> None:
    """Ambroxan is used at up to 10 %: at 20 % (a line of 15 % beside the formula's 5 %) the
    formula is legal (no limit binds it) but no perfumer would write it. A warning, not a
    violation."""
    book = MaterialBook.from_rows(ROWS)
    lines = [("ambroxan", pct, pos) if m == "galaxolide" else (m, pct, pos)
             for m, pct, pos in BALANCED]  # fmt: skip
    report = validate(make_formula(lines), book)
    assert report.valid, report.violations
    warned = [w for w in report.warnings if w.code == "above_typical_use"]
    assert [w.subject for w in warned] == ["ambroxan"]
    assert "20.00 %" in warned[0].message and "at most 10 %" in warned[0].message
    assert validate(make_formula(BALANCED), book).warnings == []


def test_the_validator_warns_about_the_tester_s_formula_on_the_shipped_catalogue() -> None:
    lines = [("diacetyl", 22.67, "top"), ("floralozone", 30.63, "heart"),
             ("guaiacol", 5.58, "heart"), ("furfuryl-mercaptan", 0.12, "heart"),
             ("evernyl", 18.53, "base"), ("patchouli-oil", 15.0, "base"),
             ("cedarwood-virginia-oil", 7.47, "base")]  # fmt: skip
    report = validate(make_formula(lines), BOOK)
    warned = {w.subject for w in report.warnings if w.code == "above_typical_use"}
    assert warned == {"diacetyl", "floralozone", "guaiacol", "furfuryl-mercaptan", "evernyl"}


def test_a_material_without_a_typical_use_range_is_not_warned_about() -> None:
    rows = [{k: v for k, v in row.items() if k != "typical_use_pct"}
            if row["id"] == "galaxolide" else row for row in ROWS]  # fmt: skip
    book = MaterialBook.from_rows(rows)
    lines = [(m, 30.0 if m == "galaxolide" else pct, pos) for m, pct, pos in BALANCED]
    report = validate(make_formula(lines), book)
    assert not [w for w in report.warnings if w.code == "above_typical_use"]


def _with(material_id: str, pct: float) -> list[tuple[str, float, str]]:
    """The balanced fixture formula with `material_id` taking `pct` from hedione."""
    return [(m, p - pct if m == "hedione" else p, pos) for m, p, pos in BALANCED] + [
        (material_id, pct, "heart")]


@pytest.mark.parametrize("pct", [1.0, 5.0])
def test_lilial_is_reported_prohibited_not_above_a_0_percent_use_or_an_ifra_limit(
        pct: float) -> None:
    """BMHCA is prohibited by IFRA (49th Amendment) and banned in the EU (CMR 1B, from
    1 March 2022): no IFRA limit of 1.4 %, and no typical-use warning beside the
    prohibition (a tester read "lilial is 5.00 % ... a material that is not used: it is
    prohibited" as a second finding of the same fact)."""
    lilial = BOOK.get("lilial")
    assert lilial is not None and lilial.forbidden and lilial.eu_banned
    assert lilial.ifra is not None and lilial.ifra.prohibited and not lilial.ifra.limited
    report = validate(make_formula(_with("lilial", pct)), BOOK)
    assert not report.valid
    prohibited = {(v.code, v.subject) for v in report.violations}
    assert ("prohibited", "lilial") in prohibited or any(
        v.subject == "lilial" and "prohibited by IFRA" in v.message for v in report.violations)
    assert not any(entry["substance"] == "lilial" for entry in report.ifra), report.ifra
    warned = [w.message for w in report.warnings if w.subject == "lilial"]
    assert warned == [], warned
    assert not any("at most 0 %" in w.message for w in report.warnings)


def test_the_formulator_never_uses_lilial() -> None:
    for brief in sweep_briefs(1, families=("floral", "soft_floral", "water")):
        assert "lilial" not in FORMULATOR.formulate(brief).amounts()
    muguet = Brief("floral", notes_include=["lilial", "muguet"], seed=3)
    assert "lilial" not in FORMULATOR.formulate(muguet).amounts()


def test_a_material_listed_twice_is_named_in_its_warning() -> None:
    lines = [*_with("hedione", 1.0)]  # hedione 19 % and, again, 1 %
    report = validate(make_formula(lines), MaterialBook.from_rows(ROWS))
    duplicate = [w for w in report.warnings if w.code == "duplicate_material"]
    assert [w.subject for w in duplicate] == ["hedione"], duplicate
    assert duplicate[0].message.startswith("hedione is listed twice"), duplicate


def test_a_material_split_over_two_lines_is_checked_at_its_summed_amount() -> None:
    """Iso E Super at 25 % twice (50 % of the concentrate) drew no dominant-material warning:
    each line was checked alone; listed once at 50 %, it did."""
    split = [(m, p - 10.0 if m == "galaxolide" else p, pos) for m, p, pos in BALANCED] + [
        ("iso-e-super", 10.0, "base"), ("iso-e-super", 20.0, "base")]  # 20 + 10 + 20 = 50
    report = validate(make_formula(split), BOOK)
    dominant = [w.message for w in report.warnings if w.code == "dominant_material"]
    assert dominant == ["iso-e-super is 50.00 % of the concentrate (> 40 %)"], report.warnings
