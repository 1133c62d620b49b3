from __future__ import annotations

import json

import pytest

from ml.recipe.materials import MaterialBook
from ml.recipe.proportions import to_hundred
from ml.recipe.rules import Rules
from ml.recipe.validator import repair, validate

try:
    from recipe_fixtures import BALANCED, fixture_book, make_formula
except ImportError:  # tests/ml imported as a package
    from tests.ml.recipe_fixtures import BALANCED, fixture_book, make_formula

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def book() -> MaterialBook:
    return fixture_book()


def replaced(material_id: str, pct: float, lines=BALANCED) -> list[tuple[str, float, str]]:
    return [(m, pct if m == material_id else p, pos) for m, p, pos in lines]


def test_balanced_formula_is_valid(book: MaterialBook) -> None:
    report = validate(make_formula(BALANCED), book)
    assert report.valid, report.violations
    assert report.violations == [] and report.warnings == []
    assert report.material_count == 9
    assert report.pyramid == {"top": 20.0, "heart": 40.0, "base": 40.0}
    json.dumps(report.to_dict())  # JSON-safe


def test_sum_must_be_100_and_repair_normalises(book: MaterialBook) -> None:
    formula = make_formula(replaced("hedione", 25.0))  # sums to 105
    assert "sum" in validate(formula, book).codes()
    fixed, repairs = repair(formula, book)
    assert abs(fixed.total_pct - 100) < 1e-9
    assert any("normalised" in r for r in repairs)
    assert validate(fixed, book).valid


def test_sum_within_tolerance_passes(book: MaterialBook) -> None:
    assert validate(make_formula(replaced("hedione", 20.009)), book).valid


def test_unknown_material_is_a_violation_and_repair_drops_it(book: MaterialBook) -> None:
    formula = make_formula([*replaced("hedione", 15.0), ("unobtainium", 5.0, "heart")])
    report = validate(formula, book)
    assert not report.valid and "unknown_material" in report.codes()
    fixed, repairs = repair(formula, book)
    assert "unobtainium" not in {i.material_id for i in fixed.ingredients}
    assert any("unobtainium" in r for r in repairs)
    assert validate(fixed, book).valid


def test_ifra_limit_applies_to_the_finished_product(book: MaterialBook) -> None:
    lines = replaced("bergamot-oil", 6.0, replaced("linalyl-acetate", 6.0))
    edp = validate(make_formula(lines), book)  # 6 % x 15 % = 0.9 % > 0.4 %
    assert "ifra_limit" in edp.codes()
    entry = next(e for e in edp.ifra if e["substance"] == "bergamot-oil")
    assert entry["finished_pct"] == pytest.approx(0.9) and entry["limit_pct"] == 0.4
    edc = validate(make_formula(lines, dose=4.0, concentration="edc"), book)  # 0.24 %
    assert edc.valid, edc.violations
    assert next(e for e in edc.ifra if e["substance"] == "bergamot-oil")["headroom_pct"] == (
        pytest.approx(40.0))


def test_ifra_sums_direct_use_and_ncs_constituents(book: MaterialBook) -> None:
    # citral: direct 2.6 % + lemon oil 10 % x 4 % (upper bound) = 3.0 % of the concentrate;
    # at parfum 20 %: 0.6 % finished = the limit; direct use alone would be 0.52 %.
    base = [("citral", 2.6, "top"), ("lemon-oil", 10.0, "top"), ("hedione", 37.4, "heart"),
            ("iso-e-super", 30.0, "base"), ("galaxolide", 20.0, "base")]  # fmt: skip
    ok = validate(make_formula(base, dose=20.0, concentration="parfum"), book)
    citral = next(e for e in ok.ifra if e["substance"] == "citral")
    assert citral["finished_pct"] == pytest.approx(0.6)
    assert citral["sources"] == {"citral": 2.6, "lemon-oil": pytest.approx(0.4)}
    over = validate(make_formula(replaced("citral", 2.8, base), dose=20.0,
                                 concentration="parfum"), book)  # fmt: skip
    assert any(f.code == "ifra_limit" and f.subject == "citral" for f in over.violations)


def test_ifra_repair_restores_headroom(book: MaterialBook) -> None:
    formula = make_formula(replaced("bergamot-oil", 6.0, replaced("linalyl-acetate", 6.0)))
    fixed, repairs = repair(formula, book)
    report = validate(fixed, book)
    assert report.valid, report.violations
    assert any("reduced bergamot-oil" in r for r in repairs)
    assert report.min_ifra_headroom_pct is not None and report.min_ifra_headroom_pct >= 19.9


@pytest.mark.parametrize("banned", ["lilial", "lyral", "musk-xylene"])
def test_prohibited_materials_are_violations_and_removed(book: MaterialBook, banned: str) -> None:
    formula = make_formula([*replaced("hedione", 18.0), (banned, 2.0, "heart")])
    report = validate(formula, book)
    assert any(f.code == "prohibited" and f.subject == banned for f in report.violations)
    fixed, repairs = repair(formula, book)
    assert banned not in {i.material_id for i in fixed.ingredients}
    assert validate(fixed, book).valid and any(banned in r for r in repairs)


def test_pyramid_out_of_band_is_a_warning_and_rebalance_fixes_it(book: MaterialBook) -> None:
    lines = [("bergamot-oil", 2.0, "top"), ("mandarin-oil", 3.0, "top"),
             ("hedione", 70.0, "heart"), ("phenylethyl-alcohol", 10.0, "heart"),
             ("iso-e-super", 10.0, "base"), ("galaxolide", 5.0, "base")]  # fmt: skip
    report = validate(make_formula(lines), book)
    assert report.valid  # soft bands: warnings only
    assert {w.subject for w in report.warnings if w.code == "pyramid"} == {"top", "heart"}
    fixed, repairs = repair(make_formula(lines), book, rebalance=True)
    after = validate(fixed, book)
    assert after.valid and not [w for w in after.warnings if w.code == "pyramid"]
    assert any("rebalanced pyramid" in r for r in repairs)


def test_custom_pyramid_bands(book: MaterialBook) -> None:
    rules = Rules(pyramid_bands={"top": (25.0, 40.0), "heart": (20.0, 60.0),
                                 "base": (15.0, 60.0)})  # fmt: skip
    report = validate(make_formula(BALANCED), book, rules)
    assert [w.subject for w in report.warnings] == ["top"]


def test_material_count_bounds(book: MaterialBook) -> None:
    few = make_formula([("hedione", 50.0, "heart"), ("iso-e-super", 30.0, "base"),
                        ("mandarin-oil", 20.0, "top")])  # fmt: skip
    assert "material_count" in validate(few, book).codes()
    rules = Rules(max_materials=6)
    many = make_formula(BALANCED)
    assert "material_count" in validate(many, book, rules).codes()
    fixed, _repairs = repair(many, book, rules)
    assert len(fixed.ingredients) == 6 and validate(fixed, book, rules).valid


def test_allergens_listed_above_leave_on_threshold(book: MaterialBook) -> None:
    # linalool: 0.01 % of the concentrate x 15 % = 0.0015 % > 0.001 %; 0.005 % -> 0.00075 %.
    no_linalool = [line for line in BALANCED if line[0] != "bergamot-oil"]
    above = make_formula([*replaced("mandarin-oil", 9.99, no_linalool), ("linalool", 0.01, "top"),
                          ("grapefruit-oil", 2.0, "top")])  # fmt: skip
    names = {a["substance"]: a for a in validate(above, book).allergens}
    assert names["linalool"]["finished_pct"] == pytest.approx(0.0015)
    assert names["linalool"]["eu_list"] == "26"
    below = make_formula([*replaced("mandarin-oil", 9.995, no_linalool),
                          ("linalool", 0.005, "top"), ("grapefruit-oil", 2.0, "top")])  # fmt: skip
    assert "linalool" not in {a["substance"] for a in validate(below, book).allergens}


def test_allergens_count_ncs_constituents(book: MaterialBook) -> None:
    report = validate(make_formula(BALANCED), book)
    allergens = {a["substance"]: a["finished_pct"] for a in report.allergens}
    # bergamot 2 % x 15 %: itself (2023 list) 0.3 %, limonene <= 50 %, linalool <= 20 %.
    assert allergens["bergamot-oil"] == pytest.approx(0.3)
    assert allergens["limonene"] == pytest.approx(2.0 * 0.5 * 0.15 + 8.0 * 0.75 * 0.15)
    assert allergens["linalool"] == pytest.approx(2.0 * 0.2 * 0.15)
    assert "linalyl-acetate" in allergens and "iso-e-super" in allergens


def test_dose_outside_class_range_is_a_violation(book: MaterialBook) -> None:
    formula = make_formula(BALANCED, dose=25.0, concentration="edp")
    assert "dose" in validate(formula, book).codes()
    fixed, _repairs = repair(formula, book)
    assert fixed.dose_pct == 20.0 and validate(fixed, book).valid


@pytest.mark.parametrize(("name", "slug"), [("Eau de Parfum", "edp"), ("extrait", "parfum"),
                                           ("EdT", "edt"), ("eau-de-cologne", "edc"),
                                           # the 1-3 % class was "unknown concentration"
                                           ("Eau Fraîche", "eau_fraiche"),
                                           ("splash", "eau_fraiche")])
def test_a_full_concentration_name_is_validated_as_its_class(book: MaterialBook, name: str,
                                                             slug: str) -> None:
    from ml.recipe.concentration import CONCENTRATIONS

    formula = make_formula(BALANCED, dose=CONCENTRATIONS[slug].default_pct, concentration=name)
    report = validate(formula, book)
    assert "concentration" not in report.codes(), report.violations
    assert report.context["concentration"] == slug


@pytest.mark.parametrize(("concentration", "product_type", "expected"), [
    ("edp", "", "fine_fragrance"), ("edt", "", "eau_de_toilette"),
    ("Eau de Cologne", "", "eau_de_toilette"), ("edt", "fine_fragrance", "fine_fragrance"),
    ("edt", "EDT", "eau_de_toilette"),
])
def test_a_repaired_formula_carries_the_product_type_it_was_repaired_for(
        book: MaterialBook, concentration: str, product_type: str, expected: str) -> None:
    """A tester's repaired formula said `product_type: ""`."""
    from dataclasses import replace as with_

    formula = with_(make_formula(replaced("hedione", 25.0), dose=5.0,
                                 concentration=concentration), product_type=product_type)
    fixed, _repairs = repair(formula, book, rebalance=True)
    assert fixed.product_type == expected
    assert validate(fixed, book).context["product_type"] == expected


def test_an_unknown_concentration_s_repair_takes_the_product_type_of_the_class_set(
        book: MaterialBook) -> None:
    formula = make_formula(BALANCED, dose=4.0, concentration="eau de vie")
    fixed, repairs = repair(formula, book)
    assert fixed.concentration == "edc" and fixed.product_type == "eau_de_toilette"
    assert any("unknown concentration 'eau de vie' set to edc" in r for r in repairs)
    assert validate(fixed, book).valid


def test_never_valid_when_a_check_fails(book: MaterialBook) -> None:
    class BrokenBook(MaterialBook):
        def resolve(self, name: str):  # type: ignore[no-untyped-def]
            raise RuntimeError("index corrupted")

    broken = BrokenBook(list(book))
    report = validate(make_formula(BALANCED), broken)
    assert not report.valid and "validator_error" in report.codes()


def test_empty_formula_is_invalid(book: MaterialBook) -> None:
    report = validate(make_formula([]), book)
    assert not report.valid and {"sum", "material_count"} <= report.codes()


def test_to_hundred_is_exact_and_deterministic() -> None:
    values = to_hundred([1, 1, 1])
    assert values == [33.34, 33.33, 33.33]
    assert round(sum(to_hundred([0.3, 2.7, 11.1, 5.55, 80.35])) * 100) == 10000
    with pytest.raises(ValueError):
        to_hundred([0.0, 0.0])


def test_rhodinol_is_declared_as_citronellol_by_its_inci_name() -> None:
    """Rhodinol (l-citronellol, CAS 6812-78-8) was a label entry of its own, under its trade
    name, beside a "Citronellol" entry that left it out: one "Citronellol" entry sums both."""
    from ml.recipe.materials import load_materials

    shipped = load_materials()
    lines = [("rhodinol", 5.0, "heart"), ("citronellol", 5.0, "heart"),
             ("iso-e-super", 50.0, "base"), ("hedione", 40.0, "heart")]
    allergens = validate(make_formula(lines, dose=20.0, concentration="parfum"),
                         shipped).allergens
    citronellol = [a for a in allergens if a["name"] == "Citronellol"]
    assert len(citronellol) == 1 and citronellol[0]["eu_list"] == "26"
    assert citronellol[0]["finished_pct"] == pytest.approx((5.0 + 5.0) * 0.20)
    assert not any("Rhodinol" in a["name"] for a in allergens)
