"""A small hand-written materials fixture for the recipe tests (independent of the shipped KB).

Values follow the shipped knowledge base where it gives them; the rest are plausible test values.
"""

from __future__ import annotations

from typing import Any

from ml.recipe.formula import Formula, Ingredient
from ml.recipe.materials import MaterialBook


def _m(ident: str, name: str, position: str, family: str, use: tuple[float, float],
       **extra: Any) -> dict[str, Any]:  # fmt: skip
    row: dict[str, Any] = {
        "id": ident, "name": name, "note_position": position, "odor_family": family,
        "typical_use_pct": list(use), "type": extra.pop("type", "molecule"),
        "synonyms": extra.pop("synonyms", []), "descriptors": extra.pop("descriptors", [family]),
        "ifra": None, "eu_allergen": None, "eu_banned": False,
    }  # fmt: skip
    limit = extra.pop("limit", None)
    if limit is not None:
        row["ifra"] = {"type": "restriction", "cat4_limit_pct": limit}
    row.update(extra)
    return row


def _r(kind: str) -> dict[str, Any]:
    return {"type": kind, "cat4_limit_pct": None}


ROWS: list[dict[str, Any]] = [
    # top
    _m("bergamot-oil", "Bergamot oil (expressed)", "top", "citrus", (2, 15), type="ncs",
       limit=0.4, synonyms=["bergamot"], eu_allergen="2023",
       constituents={"limonene": [25, 50], "linalool": [2, 20]}),
    _m("lemon-oil", "Lemon oil (cold-pressed)", "top", "citrus", (1, 10), type="ncs", limit=2.0,
       synonyms=["lemon"], constituents={"limonene": [60, 80], "citral": [1, 4]}),
    _m("grapefruit-oil", "Grapefruit oil", "top", "citrus", (1, 8), type="ncs", limit=4.0,
       synonyms=["grapefruit"], constituents={"limonene": [85, 95]}),
    _m("mandarin-oil", "Mandarin oil", "top", "citrus", (1, 8), type="ncs",
       synonyms=["mandarin"], constituents={"limonene": [65, 75]}),
    _m("sweet-orange-oil", "Sweet orange oil", "top", "citrus", (1, 10), type="ncs",
       synonyms=["orange"], constituents={"limonene": [90, 96]}),
    _m("citral", "Citral", "top", "citrus", (0.1, 2), limit=0.6, eu_allergen="26",
       synonyms=["lemon aldehyde"]),
    _m("limonene", "d-Limonene", "top", "citrus", (1, 10), eu_allergen="26",
       ifra=_r("specification")),
    _m("linalool", "Linalool", "top", "floral", (1, 15), eu_allergen="26",
       ifra=_r("specification")),
    _m("linalyl-acetate", "Linalyl acetate", "top", "aromatic", (1, 10), eu_allergen="2023"),
    _m("lavender-oil", "Lavender oil", "top", "aromatic", (1, 10), type="ncs",
       synonyms=["lavender"], constituents={"linalool": [25, 45], "linalyl-acetate": [25, 46]}),
    _m("pink-pepper", "Pink pepper extract", "top", "spicy", (0.2, 3), type="ncs",
       synonyms=["pink pepper"], constituents={"limonene": [10, 25]}),
    _m("cardamom-oil", "Cardamom oil", "top", "spicy", (0.2, 3), type="ncs",
       synonyms=["cardamom"], constituents={"linalool": [1, 6]}),
    _m("galbanum-oil", "Galbanum oil", "top", "green", (0.1, 2), type="ncs",
       synonyms=["galbanum", "green notes"]),
    _m("methyl-octynoate", "Methyl 2-octynoate", "top", "green", (0.01, 0.3), limit=0.047,
       eu_allergen="26", synonyms=["folione", "violet leaf"]),
    _m("calone", "Calone", "top", "aquatic", (0.05, 1), synonyms=["marine notes"]),
    _m("aldehyde-c12", "Aldehyde C-12 MNA", "top", "aldehydic", (0.1, 1),
       synonyms=["aldehydes"]),
    # heart
    _m("hedione", "Hedione", "heart", "floral", (2, 30), synonyms=["methyl dihydrojasmonate"]),
    _m("phenylethyl-alcohol", "Phenylethyl alcohol", "heart", "floral", (1, 15),
       synonyms=["rose alcohol"], descriptors=["rose", "honey"]),
    _m("geraniol", "Geraniol", "heart", "floral", (0.5, 8), limit=4.7, eu_allergen="26",
       descriptors=["rose", "geranium"]),
    _m("citronellol", "Citronellol", "heart", "floral", (1, 10), limit=12.0, eu_allergen="26",
       descriptors=["rose"]),
    _m("rose-oil", "Rose oil (Bulgarian)", "heart", "floral", (0.1, 3), type="ncs",
       synonyms=["rose"], constituents={"citronellol": [20, 45], "geraniol": [10, 25],
       "eugenol": [0.5, 3], "methyl-eugenol": [1, 3.5]}),
    _m("jasmine-absolute", "Jasmine absolute", "heart", "floral", (0.1, 3), type="ncs",
       limit=0.6, synonyms=["jasmine"], constituents={"benzyl-benzoate": [8, 20]}),
    _m("ylang-ylang-oil", "Ylang-ylang oil", "heart", "floral", (0.2, 4), type="ncs",
       limit=0.73, synonyms=["ylang-ylang"],
       constituents={"linalool": [2, 20], "benzyl-benzoate": [4, 10]}),
    _m("hydroxycitronellal", "Hydroxycitronellal", "heart", "floral", (0.5, 8), limit=2.1,
       eu_allergen="26", synonyms=["lily of the valley"]),
    _m("alpha-isomethyl-ionone", "alpha-Isomethyl ionone", "heart", "powdery", (1, 15),
       limit=30.0, eu_allergen="26", synonyms=["violet", "orris"]),
    _m("hexyl-cinnamal", "Hexyl cinnamal", "heart", "floral", (1, 10), limit=9.9,
       eu_allergen="26"),
    _m("eugenol", "Eugenol", "heart", "spicy", (0.1, 3), limit=2.5, eu_allergen="26",
       synonyms=["clove"]),
    _m("methyl-eugenol", "Methyl eugenol", "heart", "spicy", (0.01, 0.1), limit=0.02),
    _m("isoeugenol", "Isoeugenol", "heart", "spicy", (0.01, 0.5), limit=0.11, eu_allergen="26",
       synonyms=["carnation"]),
    _m("geranium-oil", "Geranium oil", "heart", "floral", (0.5, 5), type="ncs",
       synonyms=["geranium"], constituents={"citronellol": [25, 40], "geraniol": [8, 20]}),
    _m("clary-sage-oil", "Clary sage oil", "heart", "herbal", (0.5, 5), type="ncs",
       synonyms=["clary sage", "sage"], constituents={"linalyl-acetate": [50, 75]}),
    _m("lilial", "Lilial", "heart", "floral", (1, 10), eu_banned=True,
       ifra={"type": "restriction", "cat4_limit_pct": 1.4}, eu_allergen="26"),
    _m("lyral", "Lyral", "heart", "floral", (1, 10), eu_banned=True, eu_allergen="26"),
    # base
    _m("coumarin", "Coumarin", "base", "gourmand", (0.5, 8), limit=1.5, eu_allergen="26",
       synonyms=["tonka bean"]),
    _m("vanillin", "Vanillin", "base", "gourmand", (0.5, 10), eu_allergen="2023",
       synonyms=["vanilla"]),
    _m("ethyl-vanillin", "Ethyl vanillin", "base", "gourmand", (0.1, 3), synonyms=["vanilla"]),
    _m("iso-e-super", "Iso E Super", "base", "woody", (5, 30), limit=20.0, eu_allergen="2023",
       synonyms=["iso e super"]),
    _m("galaxolide", "Galaxolide", "base", "musky", (3, 25), eu_allergen="2023",
       synonyms=["white musk", "musk"]),
    _m("ambroxan", "Ambroxan", "base", "amber", (0.5, 10), synonyms=["ambergris", "amber"]),
    _m("cashmeran", "Cashmeran", "base", "musky", (0.5, 5), limit=3.8),
    _m("sandalore", "Sandalore", "base", "woody", (1, 8), limit=1.2, synonyms=["sandalwood"]),
    _m("benzyl-salicylate", "Benzyl salicylate", "base", "balsamic", (1, 15), limit=7.3,
       eu_allergen="26"),
    _m("benzyl-benzoate", "Benzyl benzoate", "base", "balsamic", (1, 10), limit=4.8,
       eu_allergen="26"),
    _m("oakmoss-extract", "Oakmoss extract (low atranol)", "base", "mossy", (0.1, 2), type="ncs",
       limit=0.1, eu_allergen="26", synonyms=["oakmoss"]),
    _m("cedarwood-oil", "Cedarwood oil (Virginia)", "base", "woody", (2, 15), type="ncs",
       synonyms=["cedar"]),
    _m("vetiver-oil", "Vetiver oil", "base", "woody", (1, 8), type="ncs", synonyms=["vetiver"]),
    _m("patchouli-oil", "Patchouli oil", "base", "earthy", (1, 10), type="ncs",
       synonyms=["patchouli"]),
    _m("labdanum-absolute", "Labdanum absolute", "base", "amber", (0.5, 5), type="ncs",
       synonyms=["labdanum", "cistus"]),
    _m("benzoin-resinoid", "Benzoin resinoid", "base", "balsamic", (1, 10), type="ncs",
       synonyms=["benzoin"], constituents={"benzyl-benzoate": [5, 20]}),
    _m("musk-xylene", "Musk xylene", "base", "musky", (1, 5), ifra=_r("prohibition")),
    _m("birch-tar", "Birch tar oil (rectified)", "base", "leather", (0.05, 1), type="ncs",
       synonyms=["birch", "leather"]),
    _m("guaiacwood-oil", "Guaiac wood oil", "base", "smoky", (1, 8), type="ncs",
       synonyms=["guaiac wood"]),
]


def fixture_book() -> MaterialBook:
    return MaterialBook.from_rows(ROWS)


def make_formula(
    lines: list[tuple[str, float, str]], *, dose: float = 15.0, concentration: str = "edp"
) -> Formula:
    """A hand-made formula from ``(material_id, pct, position)`` lines."""
    return Formula(
        name="Test",
        description="A hand-made test formula.",
        concentration=concentration,
        dose_pct=dose,
        ingredients=tuple(Ingredient(m, m, pct, pos) for m, pct, pos in lines),
    )


# A balanced formula that passes every check (at EdP, 15 %).
BALANCED = [
    ("bergamot-oil", 2.0, "top"),
    ("linalyl-acetate", 10.0, "top"),
    ("mandarin-oil", 8.0, "top"),
    ("hedione", 20.0, "heart"),
    ("phenylethyl-alcohol", 10.0, "heart"),
    ("alpha-isomethyl-ionone", 10.0, "heart"),
    ("iso-e-super", 20.0, "base"),
    ("galaxolide", 15.0, "base"),
    ("ambroxan", 5.0, "base"),
]
