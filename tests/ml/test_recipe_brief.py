from __future__ import annotations

import json
import re

import pytest

from ml.recipe.brief import INTENSITIES, MAX_MOOD_CHARS, Brief
from ml.recipe.concentration import CONCENTRATIONS, concentration_class
from ml.recipe.formula import Formula, Ingredient
from ml.recipe.mood import read_mood

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
        # as perfume sites and shops name them
        ("Fruity Floral", "fruity", None),
        ("floral-fruity", "fruity", None),
        ("Musk", "soft_floral", "musky"),
        ("Amber Woody", "woody_amber", None),
        ("Ozonic", "water", "aquatic"),
        ("powdery", "soft_floral", None),
        ("프루티 플로럴", "fruity", None),
        ("머스크", "soft_floral", "musky"),
        ("그린", "green", None),
    ],
)
def test_family_words_map_to_wheel_families(word: str, family: str, subfamily: str | None) -> None:
    brief = Brief(word)
    assert brief.fragrance_family == family
    assert brief.subfamily == subfamily


@pytest.mark.parametrize(("label", "family", "subfamily"), [
    ("Woody Spicy", "woods", "spicy"), ("Chypre Floral", "mossy_woods", "chypre"),
    ("Fruity Chypre", "fruity", "chypre"), ("Floral Fruity Gourmand", "fruity", "gourmand"),
    ("Floral Woody Musk", "floral", "musky"), ("Woody Floral Musk", "woods", "musky"),
    ("Citrus Aromatic", "citrus", None), ("Aromatic Green", "aromatic", None),
    ("Woody Aquatic", "woods", "aquatic"), ("Woody Chypre", "mossy_woods", "chypre"),
    ("Fresh Aquatic", "water", "aquatic"), ("White Floral", "floral", None),
    ("Fresh Spicy", "aromatic", "spicy"), ("Amber Vanilla", "soft_amber", "gourmand"),
    ("Oriental Vanilla", "soft_amber", "gourmand"), ("Oriental Floral", "floral_amber", None),
    ("Floral Aldehyde", "soft_floral", None), ("Aldehydic Floral", "soft_floral", None),
    ("woody-leather", "woods", "leather"), ("우디 스파이시", "woods", "spicy"),
])  # fmt: skip
def test_a_family_as_perfume_sites_label_it_is_its_main_family_and_sub_family(
        label: str, family: str, subfamily: str | None) -> None:
    """Every one of these was refused ("'Woody Spicy' is not a wheel family")."""
    brief = Brief(label)
    assert (brief.fragrance_family, brief.subfamily) == (family, subfamily)


@pytest.mark.parametrize("label", ["sweet", "smelly", "floral banana", "fresh " * 5,
                                   "woody x", "white soft"])
def test_a_label_with_a_word_no_family_has_is_refused_naming_the_field(label: str) -> None:
    with pytest.raises(ValueError, match=r"^fragrance_family: .*not a wheel family"):
        Brief(label)


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
        ({"fragrance_family": "floral", "concentration": "eau de vie"}, "concentration"),
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
    assert brief.notes_include == ("Cedar",)  # the client's spelling, repeats compared as one
    assert brief.moods == ("calm", "warm")
    assert Brief.from_dict(json.loads(json.dumps(brief.to_dict()))) == brief


def test_concentration_classes_follow_domain_table() -> None:
    expected = {"parfum": (20, 15, 30), "edp": (15, 10, 20), "edt": (10, 5, 15), "edc": (4, 2, 8),
                "eau_fraiche": (2, 1, 3)}
    for slug, (default, low, high) in expected.items():
        klass = CONCENTRATIONS[slug]
        assert (klass.default_pct, klass.min_pct, klass.max_pct) == (default, low, high)
        assert klass.contains(default) and not klass.contains(high + 0.1)
    assert concentration_class("EDT").clamp(40) == 15


FULL_NAMES = [("Eau de Parfum", "edp"), ("eau de toilette", "edt"), ("Eau de Cologne", "edc"),
              ("extrait", "parfum"), ("extrait de parfum", "parfum"),
              ("Extrait de Parfum", "parfum"),
              ("parfum", "parfum"), ("EDP", "edp"), ("EdT", "edt"), ("eau-de-parfum", "edp"),
              ("  Eau  de_Toilette ", "edt"), ("Parfum Extrait", "parfum")]


@pytest.mark.parametrize(("name", "slug"), FULL_NAMES)
def test_a_concentration_s_full_name_is_its_class_in_a_brief_and_a_formula(
        name: str, slug: str) -> None:
    """A tester's "Eau de Parfum" read as `unknown concentration 'eau de parfum'` in a
    formula to validate: a formula keeps the class slug, whatever name it was given."""
    assert Brief("floral", concentration=name).concentration == slug
    line = Ingredient("hedione", "Hedione", 100.0, "heart")
    assert Formula("N", "D", name, 15.0, (line,)).concentration == slug
    data = Formula("N", "D", "edp", 15.0, (line,)).to_dict() | {"concentration": name}
    assert Formula.from_dict(data).concentration == slug


def test_a_concentration_no_class_has_stays_for_the_validator_to_report() -> None:
    line = Ingredient("hedione", "Hedione", 100.0, "heart")
    assert Formula("N", "D", "Eau  de Vie", 3.0, (line,)).concentration == "eau de vie"
    with pytest.raises(ValueError, match="concentration"):
        Brief("floral", concentration="eau de vie")


def test_notes_keep_the_client_s_spelling_and_match_whatever_the_case() -> None:
    """The echoed brief said "iso e super" for the client's "Iso E Super"."""
    brief = Brief("woods", notes_include=["Iso E Super", "ISO E SUPER", " Hedione "],
                  notes_exclude=["Oakmoss"])
    assert brief.notes_include == ("Iso E Super", "Hedione")
    assert brief.to_dict()["notes_include"] == ["Iso E Super", "Hedione"]
    assert brief.notes_exclude == ("Oakmoss",)
    with pytest.raises(ValueError, match="notes_exclude"):
        Brief("floral", notes_include=["Rose"], notes_exclude=["ROSE"])
    with pytest.raises(ValueError, match="mood"):
        Brief("floral", mood="no rose", notes_include=["Rose"])


def test_formula_round_trips_and_rejects_bad_shapes() -> None:
    formula = Formula("N", "D", "edp", 15.0, (Ingredient("hedione", "Hedione", 100.0, "heart"),))
    assert Formula.from_dict(json.loads(json.dumps(formula.to_dict()))) == formula
    bad = formula.to_dict() | {"ingredients": [{"material_id": "x", "pct": "5", "position": "top"}]}
    with pytest.raises(ValueError, match=r"ingredients\[0\]\.pct"):
        Formula.from_dict(bad)
    with pytest.raises(ValueError, match="position"):
        Ingredient("x", "x", 1.0, "middle")


# ---- exclusions written in the mood ---------------------------------------------------
@pytest.mark.parametrize(("mood", "excluded", "phrase"), [
    ("romantic but no musk please, vanilla-free", ("musk", "vanilla"), "romantic"),
    ("calm, without oud, incense or leather", ("oud", "incense", "leather"), "calm"),
    ("no tonka, vanilla for women", ("tonka",), "vanilla for women"),  # a comma ends the list
    ("elegant, not musky", ("musky",), "elegant"),
    ("fresh and clean, hold the rose oil", ("rose oil",), "fresh and clean"),
    ("로맨틱 바닐라 빼고", ("vanilla",), "로맨틱"),
    ("머스크는 없이 따뜻한", ("musk",), "따뜻한"),
])
def test_a_mood_s_negated_notes_join_notes_exclude(mood: str, excluded: tuple[str, ...],
                                                   phrase: str) -> None:
    brief = Brief("floral", mood=mood, notes_exclude=["oakmoss"])
    assert brief.notes_exclude == ("oakmoss", *excluded)
    assert brief.mood_exclusions == excluded and brief.mood_phrase == phrase
    assert Brief.from_dict(json.loads(json.dumps(brief.to_dict()))) == brief


@pytest.mark.parametrize("mood", ["not too sweet", "not heavy, calm", "romantic",
                                  "nothing loud", "no alcohol"])  # fmt: skip
def test_a_mood_negating_no_note_excludes_nothing(mood: str) -> None:
    brief = Brief("floral", mood=mood)
    assert brief.notes_exclude == () and brief.mood_phrase == mood


def test_a_mood_excluding_a_requested_note_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^mood: .*rose"):
        Brief("floral", mood="no rose", notes_include=["rose"])


def test_a_result_says_which_notes_the_mood_excludes_and_describes_only_the_mood() -> None:
    from ml.recipe import RecipePipeline
    from ml.recipe.generator import FormulatorGenerator
    from ml.recipe.materials import load_materials

    book = load_materials()
    outcome = RecipePipeline(FormulatorGenerator(book), book).run(Brief.from_dict(
        {"fragrance_family": "floral", "mood": "romantic but no musk please, vanilla-free",
         "seed": 2}))
    assert outcome.status == "succeeded" and outcome.formula is not None
    used = [book.get(i.material_id) for i in outcome.formula.ingredients]
    assert not any(m is not None and (m.odor_family == "musky" or "vanilla" in m.descriptors)
                   for m in used), [i.material_id for i in outcome.formula.ingredients]
    assert outcome.formula.description.startswith("A romantic floral eau de parfum that opens on")
    assert any("'no musk please'" in line and "notes_exclude: musk, vanilla" in line
               for line in outcome.notes), outcome.notes


def test_an_english_description_carries_a_korean_mood_in_english() -> None:
    from ml.recipe import RecipePipeline
    from ml.recipe.generator import FormulatorGenerator
    from ml.recipe.materials import load_materials

    book = load_materials()
    outcome = RecipePipeline(FormulatorGenerator(book), book).run(Brief.from_dict(
        {"fragrance_family": "floral", "mood": "머스크 없는 로맨틱", "seed": 2}))
    assert outcome.formula is not None
    assert outcome.formula.description.startswith(
        "A romantic floral eau de parfum that opens on"), outcome.formula.description


# ---- fields that contradict each other ----------------------------------------------------
@pytest.mark.parametrize("concentration", ["parfum", "edp"])
def test_an_eau_de_toilette_at_a_stronger_concentration_is_refused(concentration: str) -> None:
    with pytest.raises(ValueError, match=rf"^product_type: .*contradicts concentration "
                                         rf"'{concentration}'"):
        Brief.from_dict({"fragrance_family": "floral", "product_type": "eau_de_toilette",
                         "concentration": concentration})


@pytest.mark.parametrize("intensity", INTENSITIES)
def test_a_product_type_without_a_concentration_chooses_one_it_is_made_at(
        intensity: str) -> None:
    brief = Brief("floral", intensity=intensity, product_type="eau_de_toilette")
    assert brief.concentration == "edt" and brief.product_type == "eau_de_toilette"
    assert Brief("floral", concentration="edt", product_type="fine_fragrance").concentration \
        == "edt"  # fine fragrance covers every strength


@pytest.mark.parametrize(("brief", "says"), [
    ({"intensity": "light", "concentration": "parfum"},
     "intensity 'light' contradicts concentration 'parfum': the concentration wins, the "
     "formula is dosed at 20 %"),
    ({"intensity": "strong", "concentration": "edc"},
     "intensity 'strong' contradicts concentration 'edc': the concentration wins, the "
     "formula is dosed at 4 %"),
    ({"intensity": "strong", "product_type": "eau_de_toilette"},
     "intensity 'strong' asks for Parfum strength, product_type 'eau_de_toilette' for edt, "
     "edc or eau_fraiche: the product type wins, the formula is edt dosed at 10 %"),
])
def test_a_result_says_which_contradicting_field_won(brief: dict, says: str) -> None:
    from ml.recipe import RecipePipeline
    from ml.recipe.generator import FormulatorGenerator
    from ml.recipe.materials import load_materials

    book = load_materials()
    outcome = RecipePipeline(FormulatorGenerator(book), book).run(
        Brief.from_dict({"fragrance_family": "citrus", **brief}))
    assert outcome.status == "succeeded" and outcome.formula is not None
    assert any(line.startswith(says) for line in outcome.notes), outcome.notes


@pytest.mark.parametrize(("intensity", "concentration"), [
    ("light", "edt"), ("light", "edc"), ("moderate", "parfum"), ("moderate", "edc"),
    ("strong", "parfum"), ("strong", "edp"), ("moderate", None)])
def test_a_brief_whose_fields_agree_gets_no_note(intensity: str,
                                                 concentration: str | None) -> None:
    from ml.recipe.brief import brief_notes

    assert brief_notes(Brief("citrus", intensity=intensity, concentration=concentration)) == []


@pytest.mark.parametrize(("field", "word", "value"), [
    ("gender", "woman", "feminine"), ("gender", "For Her", "feminine"),
    ("gender", "여성", "feminine"), ("gender", "men's", "masculine"),
    ("gender", "남자", "masculine"),
    ("gender", "gender neutral", "unisex"), ("gender", "공용", "unisex"),
    ("season", "여름", "summer"), ("season", "가을", "autumn"), ("season", "All Seasons", None),
    ("season", "year-round", None), ("season", "사계절", None),
    ("intensity", "intense", "strong"), ("intensity", "Subtle", "light"),
    ("intensity", "medium", "moderate"), ("intensity", "은은한", "light"),
    ("intensity", "강한", "strong"),
])  # fmt: skip
def test_the_words_people_write_for_gender_season_and_intensity_are_read(
        field: str, word: str, value: str | None) -> None:
    """Each was refused, though the family took Korean and plain words."""
    assert getattr(Brief("floral", **{field: word}), field) == value


@pytest.mark.parametrize(("field", "word"), [("gender", "x"), ("season", "spring/summer"),
                                             ("intensity", "loud")])
def test_a_word_for_no_gender_season_or_intensity_is_refused_naming_the_values(
        field: str, word: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field}: '{re.escape(word)}' is not one of"):
        Brief("floral", **{field: word})


@pytest.mark.parametrize(("label", "family", "note"), [
    ("oud", "woody_amber", "oud"), ("tobacco", "woody_amber", "tobacco"),
    ("rose", "floral", "rose"), ("Iris", "soft_floral", "iris"),
    ("vanilla", "soft_amber", "vanilla"), ("woodsy", "woods", None),
    ("citrusy", "citrus", None), ("smoky", "dry_woods", "smoke"),
    ("smokey", "dry_woods", "smoke"), ("leathery", "dry_woods", None), ("rosy", "floral", "rose")])
def test_a_note_or_an_adjective_as_the_family_is_its_family_and_asks_for_the_note(
        label: str, family: str, note: str | None) -> None:
    """"oud", "tobacco", "rose", "woodsy" were 422s: the kinds of perfume people ask for."""
    brief = Brief(label)
    assert brief.fragrance_family == family
    assert brief.notes_include == ((note,) if note else ())
    assert Brief.from_dict(brief.to_dict()) == brief  # read again, the same brief
    assert Brief("oud", notes_exclude=["oud"]).notes_include == ()


@pytest.mark.parametrize(("mood", "excluded", "left"), [
    # what the description carried: "An i'm floral", "a floral ..., react to it,"
    ("cinnamon and clove but i'm allergic to eugenol", ("eugenol",), "cinnamon and clove"),
    ("warm, so no amber", ("amber",), "warm"),
    ("no citrus, i react to it", ("citrus",), ""),
    ("i'm allergic to linalool, fresh", ("linalool",), "fresh"),
    # Japanese and Chinese moods read in their English words (pasted whole, nothing excluded)
    ("バニラなし、甘い", ("vanilla",), "sweet"),
    ("不要玫瑰的浪漫", ("rose",), "romantic"),
])
def test_a_mood_s_leftovers_and_foreign_scripts_read_as_english(
        mood: str, excluded: tuple[str, ...], left: str) -> None:
    reading = read_mood(mood)
    assert reading.excluded == excluded and reading.mood == left


def test_a_mood_may_be_as_long_as_the_api_says() -> None:
    """The API's schema took 1,000 characters; a brief refused 201."""
    story = "for my mother who loves gardens in june, " * 24
    assert len(story) <= MAX_MOOD_CHARS and Brief("floral", mood=story).mood
    with pytest.raises(ValueError, match=f"at most {MAX_MOOD_CHARS} characters"):
        Brief("floral", mood="x" * (MAX_MOOD_CHARS + 1))
