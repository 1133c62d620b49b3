"""A name and a one-sentence description for a formula, in English or Korean."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from ml.recipe.brief import Brief
from ml.recipe.materials import Material

ADJECTIVES = {
    "en": ["Velvet", "Golden", "Silent", "Luminous", "Midnight", "Wild", "Quiet", "Radiant",
           "Hidden", "Soft", "Bright", "Secret"],
    "ko": ["벨벳", "황금빛", "고요한", "빛나는", "한밤의", "야생의", "잔잔한", "찬란한",
           "숨겨진", "부드러운", "눈부신", "비밀의"],
}  # fmt: skip
NOUNS = {
    "en": {"floral": "Bloom", "woods": "Grove", "amber": "Ember", "citrus": "Zest",
           "water": "Tide", "green": "Meadow", "fruity": "Orchard", "aromatic": "Field"},
    "ko": {"floral": "꽃", "woods": "숲", "amber": "잔불", "citrus": "햇살", "water": "파도",
           "green": "들판", "fruity": "과수원", "aromatic": "허브밭"},
}  # fmt: skip
FAMILY_NOUN = {"soft_floral": "floral", "floral_amber": "floral", "soft_amber": "amber",
               "woody_amber": "amber", "mossy_woods": "woods", "dry_woods": "woods"}  # fmt: skip
FAMILY_LABEL = {"water": "aquatic", "woods": "woody"}


def short_name(material: Material) -> str:
    """A plain note word for prose: the first short synonym, else the material name."""
    for synonym in material.synonyms:
        if len(synonym) <= 20 and synonym.replace(" ", "").replace("-", "").isalpha():
            return synonym.lower()
    return material.name


def name_formula(brief: Brief, rng: random.Random) -> str:
    lang = brief.language
    noun_key = FAMILY_NOUN.get(brief.fragrance_family, brief.fragrance_family)
    return f"{rng.choice(ADJECTIVES[lang])} {NOUNS[lang][noun_key]}"


def describe(brief: Brief, by_position: Mapping[str, Sequence[Material]]) -> str:
    """One sentence naming the family, the mood and the leading note of each tier."""
    lead = {p: ", ".join(short_name(m) for m in ms[:2]) for p, ms in by_position.items()}
    family = brief.fragrance_family.replace("_", " ")
    family = FAMILY_LABEL.get(family, family)
    if brief.language == "ko":
        return (f"{lead['top']}의 첫인상으로 시작해 {lead['heart']}의 하트를 지나 "
                f"{lead['base']}로 잔향을 남기는 {family} 계열 {brief.concentration} 향수입니다.")
    mood = f"{brief.mood} " if brief.mood else ""
    return (f"A {mood}{family} {brief.concentration} that opens on {lead['top']}, "
            f"blooms into {lead['heart']} and settles on {lead['base']}.")
