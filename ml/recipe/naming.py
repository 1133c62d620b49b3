"""A name and a one-sentence description for a formula, in English or Korean."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence

from ml.korean import contains_hangul, translate
from ml.recipe.brief import Brief
from ml.recipe.materials import Material
from ml.recipe.vocabulary import korean_lexicon

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


def family_label(family: str) -> str:
    """A wheel family as prose: "woody_amber" -> "woody amber", "water" -> "aquatic"."""
    plain = family.replace("_", " ")
    return FAMILY_LABEL.get(plain, plain)


def short_name(material: Material) -> str:
    """A plain note word for prose, cased like the rest of the sentence: the first short
    synonym that is not an abbreviation ("PEA" would read as the vegetable), else the
    material's name without its parenthesised qualifier ("Hedione (methyl
    dihydrojasmonate)": hedione). Cased by `prose_case`, so "bergamiol" and "Geraniol" do
    not sit side by side."""
    for synonym in material.synonyms:
        if (len(synonym) <= 20 and synonym.replace(" ", "").replace("-", "").isalpha()
                and not synonym.isupper()):  # fmt: skip
            return prose_case(synonym)
    return prose_case(material.name.split(" (", 1)[0].strip() or material.name)


def prose_case(name: str) -> str:
    """Lower-case each word of a name as running text writes it ("Cedarwood oil": cedarwood
    oil, "alpha-Ionone": alpha-ionone); keep abbreviations and codes, which have more than
    one capital or are a letter and a number ("MNA", "FCF", "C-12")."""
    return " ".join(word if _ABBREVIATION.search(word) else word.lower()
                    for word in name.split(" "))  # fmt: skip


_ABBREVIATION = re.compile(r"[A-Z].*[A-Z]|\b[A-Z]-\d")


# words that begin with a vowel letter but a consonant sound, or the reverse
_A_BEFORE = ("uni", "use", "usu", "uto", "eu", "one", "once")
_AN_BEFORE = ("hour", "honest", "honou", "heir")


def indefinite_article(word: str) -> str:
    """ "a" or "an", by the sound the word begins with: an aquatic, an elegant, a unique."""
    lower = word.lower()
    vowel_sound = (lower[:1] in ("a", "e", "i", "o", "u") and not lower.startswith(_A_BEFORE)
                   ) or lower.startswith(_AN_BEFORE)  # fmt: skip
    return "an" if vowel_sound else "a"


def name_formula(brief: Brief, rng: random.Random) -> str:
    lang = brief.language
    noun_key = FAMILY_NOUN.get(brief.fragrance_family, brief.fragrance_family)
    return f"{rng.choice(ADJECTIVES[lang])} {NOUNS[lang][noun_key]}"


def english_mood(mood: str) -> str:
    """The mood as an English sentence can carry it: a Korean mood ("로맨틱") in its English
    words, what the lexicon cannot translate left out."""
    if not contains_hangul(mood):
        return mood
    return translate(mood, korean_lexicon()).english


def describe(brief: Brief, by_position: Mapping[str, Sequence[Material]]) -> str:
    """One sentence naming the family, the mood (without its exclusions: "no musk" is not
    a mood) and the leading note of each tier."""
    lead = {p: ", ".join(short_name(m) for m in ms[:2]) for p, ms in by_position.items()}
    family = family_label(brief.fragrance_family)
    if brief.language == "ko":
        return (f"{lead['top']}의 첫인상으로 시작해 {lead['heart']}의 하트를 지나 "
                f"{lead['base']}로 잔향을 남기는 {family} 계열 {brief.concentration} 향수입니다.")
    mood = f"{english_mood(brief.mood_phrase)} ".lstrip()
    article = indefinite_article(mood + family).capitalize()
    return (f"{article} {mood}{family} {brief.concentration} that opens on {lead['top']}, "
            f"blooms into {lead['heart']} and settles on {lead['base']}.")
