from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml.recipe.brief import FAMILY_WORDS, INTENSITIES, WHEEL_FAMILIES, Brief
from ml.recipe.formulator import FormulationError, Formulator
from ml.recipe.materials import MaterialBook, normalise_term
from ml.recipe.selection import note_matches
from ml.recipe.validator import validate

try:
    from recipe_fixtures import ROWS, fixture_book
except ImportError:  # tests/ml imported as a package
    from tests.ml.recipe_fixtures import ROWS, fixture_book

pytestmark = pytest.mark.unit

BOOK = fixture_book()
FORMULATOR = Formulator(BOOK)
MOODS = ["", "romantic", "fresh", "calm", "sensual elegant", "mysterious", "playful", "따뜻한"]

briefs = st.builds(
    Brief,
    fragrance_family=st.sampled_from(WHEEL_FAMILIES + tuple(w for w in FAMILY_WORDS
                                                            if w.isascii())),
    mood=st.sampled_from(MOODS),
    intensity=st.sampled_from(INTENSITIES),
    gender=st.sampled_from(["feminine", "masculine", "unisex"]),
    season=st.sampled_from([None, "spring", "summer", "autumn", "winter"]),
    concentration=st.sampled_from([None, "parfum", "edp", "edt", "edc", "eau_fraiche"]),
    language=st.sampled_from(["en", "ko"]),
    seed=st.integers(min_value=0, max_value=2**31),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(brief=briefs)
def test_formulas_are_valid_and_deterministic(brief: Brief) -> None:
    formula = FORMULATOR.formulate(brief)
    report = validate(formula, BOOK)
    assert report.valid, report.violations
    assert 10 <= len(formula.ingredients) <= 25
    assert round(sum(i.pct for i in formula.ingredients) * 100) == 10000
    assert all(round(i.pct, 2) == i.pct and i.pct > 0 for i in formula.ingredients)
    assert not [w for w in report.warnings if w.code == "pyramid"]
    headroom = report.min_ifra_headroom_pct
    assert headroom is None or headroom >= 20.0
    assert formula.concentration == brief.concentration
    assert Formulator(BOOK).formulate(brief) == formula  # same seed -> same formula


def test_different_seeds_give_different_formulas() -> None:
    formulas = {FORMULATOR.formulate(Brief("floral", seed=s)) for s in range(8)}
    assert len(formulas) >= 6


def test_family_drives_material_choice() -> None:
    def share(family: str, odor: str) -> float:
        total = 0.0
        for seed in range(10):
            formula = FORMULATOR.formulate(Brief(family, seed=seed))
            total += sum(i.pct for i in formula.ingredients
                         if BOOK.get(i.material_id).odor_family == odor)  # type: ignore[union-attr]
        return total / 10

    assert share("citrus", "citrus") > 2 * share("amber", "citrus")
    assert share("gourmand", "gourmand") > 2 * share("citrus", "gourmand")


def test_notes_include_and_exclude() -> None:
    brief = Brief("woody", notes_include=["oakmoss", "rose"], notes_exclude=["vanilla", "musk"])
    for seed in range(10):
        formula = FORMULATOR.formulate(Brief(**{**brief.to_dict(), "seed": seed}))
        ids = {i.material_id for i in formula.ingredients}
        assert {"oakmoss-extract", "rose-oil"} <= ids
        for material_id in ids:
            material = BOOK.get(material_id)
            assert material is not None
            assert not note_matches(material, "vanilla") and not note_matches(material, "musk")


def test_references_pull_in_their_notes() -> None:
    refs = [{"top_notes": ["grapefruit"], "heart_notes": ["clary sage"],
             "base_notes": ["vetiver", "patchouli"]}] * 3  # fmt: skip

    def uses(material_id: str, references: list) -> int:
        formulas = [FORMULATOR.formulate(Brief("woody", seed=s), references) for s in range(12)]
        return sum(material_id in {i.material_id for i in f.ingredients} for f in formulas)

    assert uses("clary-sage-oil", refs) > uses("clary-sage-oil", [])


def test_bad_references_are_ignored() -> None:
    brief = Brief("citrus", seed=1)
    junk = [{"top_notes": "lemon"}, "not a dict", {"base_notes": [3, None]}]
    assert FORMULATOR.formulate(brief, junk) == FORMULATOR.formulate(brief)  # type: ignore[arg-type]


def test_korean_brief_gets_korean_name() -> None:
    formula = FORMULATOR.formulate(Brief("floral", language="ko", seed=2))
    assert any("\uac00" <= ch <= "\ud7a3" for ch in formula.name + formula.description)


def test_too_few_usable_materials_is_a_formulation_error() -> None:
    keep = {"hedione", "galaxolide", "lilial"}
    tiny = MaterialBook.from_rows([r for r in ROWS if r["id"] in keep])
    with pytest.raises(FormulationError, match="usable materials"):
        Formulator(tiny).formulate(Brief("floral"))


def test_shipped_knowledge_base_gives_valid_formulas() -> None:
    from ml.recipe.materials import load_materials

    book = load_materials()  # ml/knowledge/materials.json: must ship with the package
    formulator = Formulator(book)
    families = ["floral", "amber", "woody", "fresh", "gourmand", "chypre", "fougere", "water"]
    for seed, family in enumerate(families):
        formula = formulator.formulate(Brief(family, seed=seed, intensity="strong"))
        assert validate(formula, book).valid


@pytest.mark.parametrize(("note", "material_id", "part"), [
    ("rose", "rose-oil", None),
    ("Turkish Rose", "rose-oil", "rose"),          # a modifier dropped
    ("white musk", None, "musk"),                   # a musk, named by a word of its name
    ("vanilla bean", "vanilla-absolute", "vanilla"),  # the first word before the second
    ("oud wood", "agarwood-oil", "oud"),
    ("장미", "rose-oil", None),                      # Korean, by its English words
    ("바닐라", "vanilla-absolute", None),
    ("침향", "agarwood-oil", None),
])
def test_a_note_as_people_type_it_finds_its_material(note: str, material_id: str | None,
                                                     part: str | None) -> None:
    from ml.recipe.materials import load_materials
    from ml.recipe.selection import stand_in

    usable = [m for m in load_materials() if not m.forbidden]
    found = stand_in(note, usable)
    assert found is not None
    assert material_id is None or found.material.id == material_id
    assert "musk" in found.material.odor_family or material_id is not None
    assert found.whole == (part is None) and (part is None or found.key == part)


@pytest.mark.parametrize(("note", "material_id"), [
    ("bourbon vanilla", "vanilla-absolute"),  # was Geranium oil (Bourbon / Egypt)
    ("madagascar vanilla", "vanilla-absolute"),
    ("sandle wood", "sandalwood-oil-album"),        # was Rosewood oil, for "wood"
    ("cedar wood", "cedarwood-virginia-oil"), ("lemon grass", "lemongrass-oil"),
    ("guaiac wood", "guaiacwood-oil"),        # was Rosewood oil
    ("fig", "stemone"), ("freesia", "linalool"), ("lotus", "floralozone"),
    ("water lily", "floralozone"),            # was Aldehyde C-12 lauric, for "lily"
    ("amberwood", "cedramber"), ("ozone", "helional"), ("praline", "maltol"),
    ("hazelnut", "cyclotene"), ("mango", "oxane"), ("sakura", "heliotropin"),
    ("fresh laundry", "galaxolide"), ("sea salt", "calone"), ("sugar", "ethyl-maltol"),
    ("red berries", "raspberry-ketone"),     # was Thyme oil (red, thymol type), for "red"
    ("warm amber", "labdanum-absolute"),     # was Myrrh oil, described "warm"
    ("gin", "juniper-berry-oil"), ("skin", "ambroxide"),
])  # fmt: skip
def test_a_note_no_material_is_named_after_finds_what_perfumers_use(
        note: str, material_id: str) -> None:
    """Each of these found no material, or the wrong one by a word of its name."""
    from ml.recipe.materials import load_materials
    from ml.recipe.selection import stand_in

    usable = [m for m in load_materials() if not m.forbidden]
    assert material_id in {m.id for m in usable}
    found = stand_in(note, usable)
    assert found is not None and found.material.id == material_id, found


def test_joining_words_never_stand_for_a_note() -> None:
    from ml.recipe.materials import load_materials
    from ml.recipe.selection import stand_in

    usable = [m for m in load_materials() if not m.forbidden]
    found = stand_in("lily of the valley", usable)
    assert found is None or found.key not in {"of", "the", "of the"}
    assert stand_in("of the", usable) is None and stand_in("  ", usable) is None


def test_a_result_says_which_requested_notes_it_does_not_hold() -> None:
    from ml.recipe import RecipePipeline
    from ml.recipe.generator import FormulatorGenerator
    from ml.recipe.materials import load_materials

    book = load_materials()
    pipeline = RecipePipeline(FormulatorGenerator(book), book)
    outcome = pipeline.run(Brief("amber", notes_include=["rose", "white musk", "sycamore",
                                                         "sea salt"], seed=3))
    assert outcome.status == "succeeded"
    assert not any("'rose'" in line for line in outcome.notes)  # it is there, as asked
    assert any("'white musk'" in line and "stands for 'musk'" in line for line in outcome.notes)
    assert any("'sycamore'" in line and "not in the formula" in line for line in outcome.notes)
    # no material is named after sea salt: perfumers build it as a marine accord
    assert "requested note 'sea salt': no material of that name; Calone (watermelon ketone) " \
           "stands for it (as 'calone')" in outcome.notes


@pytest.mark.parametrize("note", ["musk", "머스크"])
def test_an_excluded_note_removes_the_materials_it_describes(note: str) -> None:
    from ml.recipe.materials import load_materials

    book = load_materials()
    formulator = Formulator(book)
    for seed in range(15):
        formula = formulator.formulate(Brief("amber", mood="sensual", notes_exclude=[note],
                                             seed=seed))
        families = {book.get(i.material_id).odor_family for i in formula.ingredients}  # type: ignore[union-attr]
        assert "musky" not in families  # galaxolide is described musky, not named musk


@pytest.mark.parametrize(("family", "note", "smelling_of_it"), [
    ("floral", "jasmine", "hedione"),  # "transparent jasmine": jasmine's own molecule
    ("citrus", "jasmine", "hedione"),
    ("gourmand", "almond", "benzaldehyde"),  # "bitter almond"
])
def test_an_excluded_note_removes_the_materials_described_as_smelling_of_it(
        family: str, note: str, smelling_of_it: str) -> None:
    """Hedione (21-23 % of a floral) stayed in a brief that excluded jasmine: it is
    described "transparent jasmine", not "jasmine". ("bois de rose", linalool, is no rose:
    rosewood.)"""
    from ml.recipe.materials import load_materials

    book = load_materials()
    formulator = Formulator(book)
    for seed in range(8):
        formula = formulator.formulate(Brief(family, notes_exclude=[note], seed=seed))
        assert smelling_of_it not in {i.material_id for i in formula.ingredients}, seed


@pytest.mark.parametrize(("family", "note", "odour_family", "group_note"), [
    ("citrus", "citrus", "citrus", "bergamot"),
    ("citrus", "시트러스", "citrus", "lemon"),
    ("floral", "floral", "floral", "rose"),
    ("woods", "woods", "woody", "cedar"),
    ("water", "water", "aquatic", "calone"),  # the wheel's name of the aquatic family
])
def test_an_excluded_family_removes_its_materials_and_its_notes(
        family: str, note: str, odour_family: str, group_note: str) -> None:
    """"No citrus" in a citrus brief: no citrus-family material (nootkatone, citral) and no
    material described by a citrus note (linalyl acetate smells of bergamot)."""
    from ml.recipe.materials import load_materials

    book = load_materials()
    formulator = Formulator(book)
    for seed in range(10):
        formula = formulator.formulate(Brief(family, notes_exclude=[note], seed=seed))
        used = [book.get(i.material_id) for i in formula.ingredients]
        assert all(m is not None and m.odor_family != odour_family for m in used), seed
        assert not any(note_matches(m, group_note) for m in used if m is not None), seed


def test_a_note_is_found_by_its_other_names() -> None:
    """Lily of the valley is muguet (not "lily", an aldehyde's descriptor); agarwood is
    oud; a Korean note through its English name and then its other names."""
    from ml.recipe.materials import load_materials
    from ml.recipe.selection import stand_in

    usable = [m for m in load_materials() if not m.forbidden]
    for note in ("lily of the valley", "은방울꽃", "lily-of-the-valley"):
        found = stand_in(note, usable)
        assert found is not None and found.whole and found.key == "muguet", (note, found)
    oud = stand_in("agarwood", usable)
    assert oud is not None and "oud" in oud.material.name.lower()


@pytest.mark.parametrize("concentration", ["edt", "edp"])
def test_a_requested_note_under_a_tight_limit_is_placed_in_traces(concentration: str) -> None:
    """Safranal (saffron) may hold 0.012 % of the product: less than the 0.1 % of the
    concentrate asked of a material the formulator picks itself, enough when it is asked for."""
    from ml.recipe import RecipePipeline
    from ml.recipe.generator import FormulatorGenerator
    from ml.recipe.materials import load_materials

    book = load_materials()
    pipeline = RecipePipeline(FormulatorGenerator(book), book)
    for seed in (32, 40, 41):
        outcome = pipeline.run(Brief("woods", notes_include=["saffron"], seed=seed,
                                     concentration=concentration))
        assert outcome.status == "succeeded" and outcome.notes == [], outcome.notes
        assert outcome.formula is not None
        assert any(i.name == "Safranal" for i in outcome.formula.ingredients)


def test_a_requested_note_the_brief_also_excludes_is_said_to_be_excluded() -> None:
    from ml.recipe import RecipePipeline
    from ml.recipe.generator import FormulatorGenerator
    from ml.recipe.materials import load_materials

    book = load_materials()
    outcome = RecipePipeline(FormulatorGenerator(book), book).run(
        Brief("amber", notes_include=["바닐라"], notes_exclude=["vanilla"], seed=1))
    assert outcome.status == "succeeded"
    assert any("'바닐라'" in line and "excluded by notes_exclude" in line
               for line in outcome.notes), outcome.notes


def test_a_long_note_is_looked_up_whole_only() -> None:
    from ml.recipe.materials import load_materials
    from ml.recipe.selection import stand_in

    usable = [m for m in load_materials() if not m.forbidden]
    assert stand_in("a b c d e f g rose", usable) is None  # eight words: not split up
    assert stand_in("fresh dewy turkish rose", usable) is not None


@pytest.mark.parametrize("concentration", ["parfum", "edp"])
@pytest.mark.parametrize("notes", [["saffron"], ["oud", "saffron"], ["saffron", "oud"]])
def test_saffron_is_placed_in_traces_in_a_parfum_too(concentration: str, notes: list) -> None:
    """In a parfum (20 % dose) safranal may hold 0.04 % of the concentrate (0.012 % of the
    product less the headroom): below the 0.05 % the formulator asks of its own picks, but a
    formula can write it, so a requested saffron is placed, with oud or without."""
    from ml.recipe import RecipePipeline
    from ml.recipe.generator import FormulatorGenerator
    from ml.recipe.materials import load_materials

    book = load_materials()
    pipeline = RecipePipeline(FormulatorGenerator(book), book)
    for seed in range(3):
        outcome = pipeline.run(Brief("woody_amber", intensity="strong", notes_include=notes,
                                     concentration=concentration, seed=seed))
        assert outcome.status == "succeeded" and outcome.notes == [], outcome.notes
        assert outcome.formula is not None
        safranal = [i.pct for i in outcome.formula.ingredients if i.material_id == "safranal"]
        assert safranal and 0 < safranal[0] <= 0.05, safranal


def _shipped_pipeline():  # type: ignore[no-untyped-def]
    from ml.recipe import RecipePipeline
    from ml.recipe.generator import FormulatorGenerator
    from ml.recipe.materials import load_materials

    book = load_materials()
    return RecipePipeline(FormulatorGenerator(book), book)


def test_a_brief_excluding_its_own_family_says_so() -> None:
    outcome = _shipped_pipeline().run(Brief("floral", notes_exclude=["floral"], seed=3))
    assert outcome.status == "succeeded"
    assert any(line.startswith("the family floral is excluded by notes_exclude")
               for line in outcome.notes), outcome.notes
    assert outcome.to_dict()["notes"] == outcome.notes


def test_a_brief_excluding_part_of_its_family_says_which_part() -> None:
    outcome = _shipped_pipeline().run(Brief("woody_amber", notes_exclude=["woods"], seed=1))
    assert any("removes the woody materials of the family woody amber" in line
               for line in outcome.notes), outcome.notes


def test_a_brief_excluding_a_few_of_its_notes_gets_no_family_note() -> None:
    outcome = _shipped_pipeline().run(Brief("floral", notes_exclude=["rose", "jasmine"]))
    assert outcome.status == "succeeded" and outcome.notes == [], outcome.notes


def test_a_failed_brief_still_says_its_family_is_excluded() -> None:
    excluded = ["floral", "woods", "citrus", "musk", "amber", "green", "fruity", "aromatic"]
    outcome = _shipped_pipeline().run(Brief("floral", notes_exclude=excluded))
    assert outcome.status == "failed"
    assert outcome.error is not None and "too few materials" in outcome.error
    assert any(line.startswith("the family floral is excluded") for line in outcome.notes)


def test_a_formula_made_mostly_outside_the_brief_s_families_says_so() -> None:
    """Floral without flowers, woods, citrus, musk, amber or green: what is left of the
    floral profile (fruity) cannot carry it, and the rest comes from outside it."""
    excluded = ["floral", "woods", "citrus", "musk", "amber", "green"]
    outcome = _shipped_pipeline().run(Brief("floral", notes_exclude=excluded))
    assert outcome.status == "succeeded"
    assert any(line.startswith("notes_exclude leaves few materials of the family floral")
               for line in outcome.notes), outcome.notes


@pytest.mark.parametrize(("family", "mood", "start"), [
    ("aquatic", "", "An aquatic eau de parfum "), ("amber", "", "An amber eau de parfum "),
    ("floral", "", "A floral eau de parfum "),
    ("floral", "elegant", "An elegant floral eau de parfum "),
    ("amber", "romantic", "A romantic amber eau de parfum "),
])
def test_a_description_uses_an_before_a_vowel_sound(family: str, mood: str, start: str) -> None:
    formula = FORMULATOR.formulate(Brief(family, mood=mood, concentration="edp"))
    assert formula.description.startswith(start), formula.description


@pytest.mark.parametrize(("family", "english", "korean"), [
    ("gourmand", "A gourmand eau de parfum ", " 구르망 계열 오 드 퍼퓸 향수입니다."),
    ("leather", "A leather eau de parfum ", " 레더 계열 오 드 퍼퓸 향수입니다."),
    ("chypre", "A chypre eau de parfum ", " 시프레 계열 오 드 퍼퓸 향수입니다."),
    ("fougere", "A fougère eau de parfum ", " 푸제르 계열 오 드 퍼퓸 향수입니다."),
    ("musk", "A musky soft floral eau de parfum ",
     " 머스키 소프트 플로럴 계열 오 드 퍼퓸 향수입니다."),
    ("spicy", "A spicy woody amber eau de parfum ",
     " 스파이시 우디 앰버 계열 오 드 퍼퓸 향수입니다."),
    ("fresh", "A citrus eau de parfum ", " 시트러스 계열 오 드 퍼퓸 향수입니다."),
    ("soft_amber", "A soft amber eau de parfum ", " 소프트 앰버 계열 오 드 퍼퓸 향수입니다."),
])
def test_a_description_names_the_sub_family_the_brief_asked_for(
        family: str, english: str, korean: str) -> None:
    """A gourmand brief was described as "A soft amber parfum", a leather one as "A dry
    woods eau de parfum": the wheel family the word maps to, not the word."""
    en = FORMULATOR.formulate(Brief(family, concentration="edp")).description
    assert en.startswith(english), en
    ko = FORMULATOR.formulate(Brief(family, concentration="edp", language="ko")).description
    assert ko.endswith(korean), ko


@pytest.mark.parametrize(("family", "english", "korean"), [
    ("Fruity Chypre", "A fruity chypre eau de parfum ",
     " 프루티 시프레 계열 오 드 퍼퓸 향수입니다."),
    ("woody leather", "A woody leather eau de parfum ", " 우디 레더 계열 오 드 퍼퓸 향수입니다."),
    ("floral gourmand", "A floral gourmand eau de parfum ",
     " 플로럴 구르망 계열 오 드 퍼퓸 향수입니다."),
    ("Amber Vanilla", "A gourmand eau de parfum ", " 구르망 계열 오 드 퍼퓸 향수입니다."),
])
def test_a_description_keeps_the_family_a_label_put_before_its_sub_family(
        family: str, english: str, korean: str) -> None:
    """A "Fruity Chypre" brief was described as "A chypre eau de parfum": the label's own
    family word went missing when the sub-family's word replaced the family."""
    en = FORMULATOR.formulate(Brief(family, concentration="edp")).description
    assert en.startswith(english), en
    ko = FORMULATOR.formulate(Brief(family, concentration="edp", language="ko")).description
    assert ko.endswith(korean), ko


def test_a_description_names_its_materials_as_the_ingredient_list_shows_them() -> None:
    """A tester read "opens on bergamiol ... settles on iso e super, vertofix" beside an
    ingredient list of Linalyl acetate, Iso E Super (OTNE), Acetyl cedrene (Vertofix): a
    material is named as its ingredient line, without a parenthesised qualifier at its end,
    trade names with their capitals; no synonym ("bergamiol", "musk T", "abbalide")."""
    from ml.recipe.materials import load_materials
    from ml.recipe.naming import short_name

    book = load_materials()
    names = {m.id: short_name(m) for m in book}
    assert names["linalyl-acetate"] == "Linalyl acetate" and names["geraniol"] == "Geraniol"
    assert names["hedione"] == "Hedione" and names["iso-e-super"] == "Iso E Super"
    assert names["ethylene-brassylate"] == "Ethylene brassylate"
    assert names["aldehyde-c12-mna"] == "Aldehyde C-12 MNA"
    assert names["bergamot-oil"] == "Bergamot oil" and names["alpha-terpinene"] == (
        "alpha-Terpinene")
    pear = next(m for m in book if m.name.startswith("Ethyl (E,Z)"))
    assert short_name(pear) == "Ethyl (E,Z)-2,4-decadienoate"  # only the last qualifier
    synonyms = {s.lower() for m in book for s in m.synonyms} - {
        n.lower() for m in book for n in (m.name, short_name(m))}
    for seed in range(24):
        family = ["floral", "amber", "citrus", "woods", "aromatic", "green"][seed % 6]
        formula = Formulator(book).formulate(Brief(family, seed=seed))
        listed = [i.name for i in formula.ingredients]
        named = formula.description.split(" that opens on ", 1)[1].rstrip(".")
        for part in re.split(r", blooms into |, and settles on | and ", named):
            assert any(name == part or name.startswith(part + " (") for name in listed), (
                part, formula.description, listed)
            assert part.lower() not in synonyms, part


def test_a_korean_description_names_the_listed_materials_the_family_and_class_in_korean(
        ) -> None:
    from ml.recipe.materials import load_materials

    book = load_materials()
    formula = Formulator(book).formulate(Brief("woods", language="ko", concentration="edt",
                                               seed=3))
    text = formula.description
    assert text.endswith("로 잔향을 남기는 우디 계열 오 드 뚜왈렛 향수입니다."), text
    assert "edt" not in text and "woods" not in text
    first = text.split("의 첫인상으로", 1)[0].split(", ")
    listed = [i.name for i in formula.ingredients]
    assert all(any(n == f or n.startswith(f + " (") for n in listed) for f in first), (
        first, listed)


@pytest.mark.parametrize(("concentration", "english", "korean"), [
    ("parfum", "parfum", "퍼퓸"), ("edp", "eau de parfum", "오 드 퍼퓸"),
    ("edt", "eau de toilette", "오 드 뚜왈렛"), ("edc", "eau de cologne", "오 드 코롱"),
])
def test_a_description_names_the_concentration_as_people_read_it(
        concentration: str, english: str, korean: str) -> None:
    """Not "A citrus edp" nor "floral 계열 edp 향수입니다"."""
    en = FORMULATOR.formulate(Brief("citrus", concentration=concentration)).description
    assert en.startswith(f"A citrus {english} that opens on "), en
    ko = FORMULATOR.formulate(Brief("floral", concentration=concentration,
                                    language="ko")).description
    assert ko.endswith(f" 플로럴 계열 {korean} 향수입니다."), ko


@pytest.mark.parametrize(("note", "materials", "key"), [
    ("green tea", None, "tea"),  # "green" modifies tea; a tea-described material
    ("wood smoke", {"birch-tar-oil-rectified", "guaiacol", "cade-oil-rectified"}, None),
    ("white flowers", {"jasmine-grandiflorum-absolute", "jasmine-sambac-absolute",
                       "tuberose-absolute", "neroli-oil"}, None),
    ("sea breeze", {"calone"}, None),
    ("oud wood", {"agarwood-oil"}, "oud"),  # the family word "wood" only after "oud"
])
def test_a_note_of_several_words_is_stood_for_by_its_meaning(
        note: str, materials: set[str] | None, key: str | None) -> None:
    from ml.recipe.materials import load_materials
    from ml.recipe.selection import stand_in

    usable = [m for m in load_materials() if not m.forbidden]
    found = stand_in(note, usable)
    assert found is not None, note
    assert materials is None or found.material.id in materials, found
    assert key is None or found.key == key, found
    assert found.key not in {"green", "wood", "white", "sea", "oil"}, found
    if key == "tea":
        assert "tea" in found.material.descriptors, found


def test_a_generic_word_never_stands_for_a_note() -> None:
    """With no rose material left, "rose oil" has no stand-in: not any oil for "oil"."""
    from ml.recipe.materials import load_materials
    from ml.recipe.selection import stand_in

    usable = [m for m in load_materials()
              if not m.forbidden and m.match_rank("rose") is None]  # fmt: skip
    assert stand_in("oil", usable) is not None  # oils are left
    assert stand_in("rose oil", usable) is None
    assert stand_in("rose absolute", usable) is None


@pytest.mark.parametrize("note", ["mango leaf", "banana leaves", "apple bark", "lotus root"])
def test_a_word_for_a_plant_part_never_stands_for_a_note(note: str) -> None:
    """"tomato leaf" was stood for by petitgrain, the leaf oil of the bitter orange: the
    word "leaf" alone named it. A plant part names no smell."""
    from ml.recipe.materials import load_materials
    from ml.recipe.selection import stand_in

    found = stand_in(note, [m for m in load_materials() if not m.forbidden])
    assert found is None or found.key not in {"leaf", "leaves", "bark", "root"}, found


def test_tomato_leaf_is_built_of_the_green_notes_perfumers_use() -> None:
    outcome = _shipped_pipeline().run(Brief("green", notes_include=["tomato leaf"], seed=1))
    assert outcome.status == "succeeded"
    assert any("'tomato leaf'" in line and "(as 'violet leaf')" in line
               for line in outcome.notes), outcome.notes


@pytest.mark.parametrize("note", ["rain", "rainy day", "wet earth"])
def test_rain_is_built_of_an_ozonic_accord(note: str) -> None:
    """"rain" became the search's rain notes, petrichor first: geosmin, a trace, and the
    note was "not in the formula"."""
    outcome = _shipped_pipeline().run(Brief("aquatic", notes_include=[note], seed=1))
    assert outcome.status == "succeeded"
    assert any(f"{note!r}" in line and "(as 'ozonic')" in line
               for line in outcome.notes), outcome.notes


def test_marshmallow_is_spun_sugar() -> None:
    outcome = _shipped_pipeline().run(Brief("gourmand", notes_include=["marshmallow"], seed=1))
    assert any("'marshmallow'" in line and "(as 'cotton candy')" in line
               for line in outcome.notes), outcome.notes


def test_a_note_only_a_trace_material_gives_says_why_it_is_absent() -> None:
    """"petrichor" said "Geosmin (for 'petrichor') could not be placed": geosmin is used at
    parts per million, under the hundredth of a percent a formula writes."""
    outcome = _shipped_pipeline().run(Brief("woods", notes_include=["petrichor"], seed=1))
    assert outcome.status == "succeeded"
    assert any("'petrichor'" in line and "Geosmin" in line and "dilution" in line
               for line in outcome.notes), outcome.notes


@pytest.mark.parametrize(("note", "says"), [
    ("lilial", "Lilial is prohibited by IFRA and banned in the EU"),
    ("lyral", "Lyral (HICC) is prohibited by IFRA and banned in the EU"),
    ("costus", "Costus root oil is prohibited by IFRA"),
])
def test_a_note_naming_a_prohibited_material_says_it_is_prohibited(note: str,
                                                                  says: str) -> None:
    """"lilial" said only "no usable material stands for it"."""
    outcome = _shipped_pipeline().run(Brief("floral", notes_include=[note], seed=1))
    assert outcome.status == "succeeded"
    assert f"requested note {note!r} is not in the formula: {says}; no usable material " \
        "stands for it" in outcome.notes, outcome.notes


def test_a_requested_note_whose_head_word_is_excluded_says_so() -> None:
    outcome = _shipped_pipeline().run(Brief("floral", notes_include=["rose oil"],
                                            notes_exclude=["rose"], seed=1))
    assert outcome.status == "succeeded" and outcome.formula is not None
    assert [line for line in outcome.notes if "'rose oil'" in line] == [
        "requested note 'rose oil' is not in the formula: it is excluded by notes_exclude "
        "('rose')"]
    assert "bergamot-oil-fcf" not in outcome.formula.amounts() or not any(
        "'oil'" in line for line in outcome.notes)


@pytest.mark.parametrize(("note", "says"), [
    ("green tea", "(as 'tea')"), ("white flowers", "(as 'jasmine')"),
    ("sea breeze", "(as 'calone')"), ("wood smoke", "(as 'birch tar')"),
])
def test_a_result_says_which_known_note_stands_for_a_requested_one(note: str, says: str) -> None:
    outcome = _shipped_pipeline().run(Brief("floral", notes_include=[note], seed=1))
    assert outcome.status == "succeeded"
    assert any(f"'{note}'" in line and "stands for it" in line and says in line
               for line in outcome.notes), outcome.notes


@pytest.mark.parametrize(("family", "groups"), [
    ("fougere", [{"lavender-oil", "lavandin-oil", "spike-lavender-oil"},
                 {"coumarin", "tonka-bean-absolute"}, {"oakmoss-absolute", "evernyl"}]),
    ("chypre", [{"bergamot-oil-fcf", "bergamot-oil"}, {"oakmoss-absolute", "evernyl"},
                {"labdanum-absolute", "patchouli-oil"}]),
])
def test_a_sub_family_brief_holds_its_accord(family: str, groups: list[set[str]]) -> None:
    """A fougere is lavender over coumarin and oakmoss, a chypre bergamot over oakmoss and
    labdanum: scored by odour family alone, a fougere brief's only coumarin was 0.0026 %
    carried by lavandin (and 2 % of coffee absolute beside it)."""
    from ml.recipe.materials import load_materials

    formulator = Formulator(load_materials())
    for seed in range(12):
        brief = Brief(family, mood=MOODS[seed % len(MOODS)], seed=seed,
                      intensity=INTENSITIES[seed % len(INTENSITIES)])
        held = {ingredient.material_id for ingredient in formulator.formulate(brief).ingredients}
        assert all(held & group for group in groups), (brief, sorted(held))
    no_lavender = formulator.formulate(Brief(family, notes_exclude=["lavender"], seed=1))
    assert not {i.material_id for i in no_lavender.ingredients} & groups[0] \
        or family != "fougere"  # what the brief excludes stays out, accord or not


def test_a_materials_reference_hits_count_every_listing_as_matches_does() -> None:
    """`Material.hits` (one set intersection) counts what summing `matches` over every
    listed note counts: a note three references list is three hits, descriptors count."""
    notes = ["grapefruit", "grapefruit", "citrus", "vetiver", "clary sage", "", "nothing-like-it"]
    keys: dict[str, int] = {}
    for note in notes:
        keys[normalise_term(note)] = keys.get(normalise_term(note), 0) + 1
    for material in BOOK:
        assert material.hits(keys) == sum(material.matches(normalise_term(n)) for n in notes)
    assert any(material.hits(keys) >= 2 for material in BOOK)


@pytest.mark.parametrize(("note", "material", "exclusion"), [
    ("iso e super", "Iso E Super (OTNE)", "amber"),  # ambery
    ("cashmere wood", "Cashmeran (DPMI)", "musk"),  # musky
])
def test_a_note_naming_an_excluded_material_is_not_stood_for_by_a_part_of_its_name(
        note: str, material: str, exclusion: str) -> None:
    """"Iso E Super" with "amber" excluded: its own material is out, and no part of its
    name stands for it ("Geraniol stands for 'e'" was the note, and geraniol in the formula
    for it); the result says which material the note names and why it is absent."""
    outcome = _shipped_pipeline().run(Brief("woody", notes_include=[note],
                                            notes_exclude=["musk", "amber"], seed=1))
    assert outcome.status == "succeeded" and outcome.formula is not None
    [said] = [line for line in outcome.notes if repr(note) in line]
    assert said.startswith(f"requested note {note!r} is not in the formula: {material} (for ")
    assert said.endswith(f") is excluded by notes_exclude ({exclusion!r})")
    assert "stands for" not in " ".join(outcome.notes)


def test_a_single_letter_of_a_note_never_stands_for_it() -> None:
    from ml.recipe.materials import load_materials
    from ml.recipe.selection import stand_in

    usable = [m for m in load_materials() if not m.forbidden]
    found = stand_in("zzz e qqq", usable)
    assert found is None  # "e" is a run of geraniol's "(E)-3,7-dimethylocta-..." name


@pytest.mark.parametrize(("note", "material"), [
    ("bergamont", "bergamot-oil"), ("vanila", "vanilla-absolute"),
    ("sandlewood", "sandalwood-oil-album"), ("lavendar", "lavender-oil"),
    ("tubrose", "tuberose-absolute"), ("frankincence", "olibanum-oil"),
    ("black currant", "blackcurrant-bud-absolute"), ("pink peppercorn", "pink-pepper-oil"),
])
def test_a_note_as_people_misspell_it_finds_its_material(note: str, material: str) -> None:
    """"vanila" found no material ("no usable material stands for it"), and "black
    currant" was stood for by black pepper (the word "black")."""
    from ml.recipe.materials import load_materials
    from ml.recipe.selection import stand_in

    usable = [m for m in load_materials() if not m.forbidden]
    found = stand_in(note, usable)
    assert found is not None and found.material.id == material and found.whole


@pytest.mark.parametrize(("note", "material"), [
    ("cedar", "cedarwood-virginia-oil"), ("cinnamon", "cinnamon-bark-oil"),
    ("clove", "clove-bud-oil"), ("violet leaf", "violet-leaf-absolute"),
    ("cedar leaf", "cedar-leaf-oil"), ("pine", "scotch-pine-needle-oil"),
])
def test_a_plants_note_is_what_perfumers_mean_by_it_not_its_leaves(note: str,
                                                                    material: str) -> None:
    """"cedar" was stood for by cedar leaf oil (thuja: camphoraceous, herbal), the first of
    two materials with the run "cedar" in a name; the cedar note is the wood. A leaf oil
    still stands for its leaf ("violet leaf"), and other parts are the note ("pine": pine
    needles)."""
    from ml.recipe.materials import load_materials
    from ml.recipe.selection import stand_in

    usable = [m for m in load_materials() if not m.forbidden]
    found = stand_in(note, usable)
    assert found is not None and found.material.id == material


def test_a_misspelt_note_is_said_how_it_was_read_and_excludes_as_written() -> None:
    outcome = _shipped_pipeline().run(Brief("citrus", notes_include=["vanila"],
                                            notes_exclude=["lavendar"], seed=1))
    assert outcome.status == "succeeded" and outcome.formula is not None
    assert "requested note 'vanila' read as 'vanilla'" in outcome.notes
    held = {i.material_id for i in outcome.formula.ingredients}
    assert "vanilla-absolute" in held and "lavender-oil" not in held
    assert _shipped_pipeline().run(Brief("citrus", notes_include=["good"], seed=1)).notes[0] == (
        "requested note 'good' is not in the formula: no usable material stands for it")


@pytest.mark.parametrize(("mood", "start"), [
    ("for a summer wedding", "A floral eau de parfum, for a summer wedding, that opens on "),
    ("like a walk in the forest", "A floral eau de parfum, like a walk in the forest, that "),
    ("not too sweet", "A floral eau de parfum, not too sweet, that opens on "),
    ("sexy but classy", "A sexy but classy floral eau de parfum that opens on "),
    ("warm and cozy", "A warm and cozy floral eau de parfum that opens on "),
    ("", "A floral eau de parfum that opens on "),
])
def test_a_mood_reads_as_adjectives_or_as_a_phrase_of_its_own(mood: str, start: str) -> None:
    """"A for a summer wedding floral eau de parfum" was how a mood that is no adjective
    read: such a mood now follows the concentration, between commas."""
    description = FORMULATOR.formulate(Brief("floral", mood=mood, seed=2)).description
    assert description.startswith(start), description


def test_a_descriptor_s_last_word_is_what_it_smells_of_unless_a_phrase() -> None:
    from ml.recipe.materials import load_materials

    book = load_materials()
    hedione, linalool = book.get("hedione"), book.get("linalool")
    assert hedione is not None and linalool is not None
    assert hedione.smells_of("jasmine") and hedione.match_rank("jasmine") is None
    assert not linalool.smells_of("rose")  # "bois de rose": rosewood


def test_a_family_s_own_materials_lead_its_formula_or_the_notes_say_they_do_not() -> None:
    """A green brief was 2.5 % green by weight and 20 % by odour, 60 % floral, described
    as green and with no note: a position's picks now hold its core families' materials
    (`CORE_PICKS`), and a formula where they make under a third of the odour says so."""
    from ml.recipe.materials import load_materials
    from ml.recipe.selection import core_families, odour_shares

    book = load_materials()
    formulator, by_id = Formulator(book), {m.id: m for m in book}
    for seed in range(8):
        brief = Brief("green", seed=seed)
        formula = formulator.formulate(brief)
        shares = odour_shares([(by_id[i.material_id], i.pct) for i in formula.ingredients])
        assert max(shares, key=shares.__getitem__) in core_families(brief), shares
    water = _shipped_pipeline().run(Brief("water", seed=1))
    assert water.status == "succeeded"
    assert any("family's own materials (aquatic) make" in note for note in water.notes), \
        water.notes
