"""The golden set (see recipe_golden.py): every expected per-rule verdict, exactly."""

from __future__ import annotations

import json

import pytest

from ml.recipe.compliance import rulebook
from ml.recipe.materials import MaterialBook, load_materials
from ml.recipe.validator import validate

try:
    from recipe_golden import CASES, FILLERS, Case
except ImportError:  # tests/ml imported as a package
    from tests.ml.recipe_golden import CASES, FILLERS, Case

pytestmark = pytest.mark.unit

BOOK = load_materials()
POSITIONS = {m.id: m.note_position for m in BOOK}


def test_the_golden_set_is_big_enough_and_names_are_unique() -> None:
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


def test_fillers_touch_no_rule() -> None:
    compiled = rulebook(BOOK)
    for material_id, _ in FILLERS:
        material = BOOK.get(material_id)
        assert material is not None and not material.eu_allergen and not material.ifra
        assert not compiled.material_coefs[material_id], material_id


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_verdict(case: Case) -> None:
    report = validate(case.formula(POSITIONS), BOOK)
    json.dumps(report.to_dict())
    status = report.rule_status()
    wrong = {rule: (expected, status.get(rule)) for rule, expected in case.expect.items()
             if status.get(rule) != expected}  # fmt: skip
    assert not wrong, f"{case.name}: expected vs actual {wrong}\n" + "\n".join(report.lines())
    failing = {rule for rule, s in status.items() if s == "fail"}
    expected_failing = {rule for rule, s in case.expect.items() if s == "fail"}
    assert failing == expected_failing, "\n".join(report.lines())
    assert report.codes() - {"ifra_limit", "ifra_group", "ifra_phototoxic", "eu_limit",
                             "prohibited"} == set(case.violations)  # fmt: skip
    assert report.valid is case.valid
    rows = {r["rule"]: r for r in report.verdict}
    for rule, amount in case.amounts.items():
        assert rows[rule]["amount"] == pytest.approx(amount, rel=1e-6, abs=1e-9), rule
        if rows[rule]["limit"]:
            assert rows[rule]["ratio"] == pytest.approx(amount / rows[rule]["limit"], rel=1e-3)
    labelling = {r["name"]: r["label"] for r in report.labelling}
    for name, labelled in case.labelled.items():
        assert labelling[name] is labelled, name


def test_a_verdict_row_reads_like_a_regulatory_line() -> None:
    case = next(c for c in CASES if c.name == "tarragon 4 % EdP")
    report = validate(case.formula(POSITIONS), BOOK)
    row = next(r for r in report.verdict if r["rule"] == "ifra-099-estragole")
    assert row["status"] == "fail" and row["standard"] == "IFRA_STD_099"
    assert row["amendment"] == "51st" and row["verified"] in ("text", "secondary")
    assert row["limit"] == 0.014 and row["ratio"] == pytest.approx(34.2857, rel=1e-4)
    assert row["members"][0]["sources"] == {"tarragon-oil": pytest.approx(0.48)}
    assert row["text"].startswith("FAIL IFRA_STD_099 (51st Amendment) Estragole: 0.48 % in the ")
    assert "from tarragon-oil 0.48 %" in row["text"]
    assert report.lines()[0].startswith("FAIL ")


def test_group_and_sum_rows_show_their_members() -> None:
    case = next(c for c in CASES if c.name == "four citrus oils EdP")
    report = validate(case.formula(POSITIONS), BOOK)
    row = next(r for r in report.verdict if r["rule"] == "ifra-phototoxic-sum")
    members = {m["substance"]: m for m in row["members"]}
    assert set(members) == {"bergamot-oil", "lemon-oil", "lime-oil-expressed", "grapefruit-oil"}
    assert members["lime-oil-expressed"]["limit_pct"] == 0.7
    assert members["lime-oil-expressed"]["ratio"] == pytest.approx(0.6 / 0.7, rel=1e-3)
    assert row["unit"].startswith("sum of ratios")


def test_the_knowledge_base_is_the_shipped_one() -> None:
    assert isinstance(BOOK, MaterialBook) and "bergamot-oil-fcf" in BOOK
