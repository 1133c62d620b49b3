"""A name and a one-sentence description for a formula, in English or Korean."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence

from ml.korean import contains_hangul, translate
from ml.recipe.brief import FAMILY_WORDS, Brief
from ml.recipe.concentration import concentration_prose
from ml.recipe.formula import Formula
from ml.recipe.materials import POSITIONS, Material, MaterialBook
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
# The wheel families in Korean descriptions, transliterated as Korean perfumery writes family
# names (플로럴, 우디, 앰버, 시트러스, 아쿠아틱 ... are words `ml/knowledge/ko_lexicon.json` and
# `ml.recipe.brief.FAMILY_WORDS` read back); the compound families in the English order.
FAMILY_LABEL_KO = {
    "floral": "플로럴", "soft_floral": "소프트 플로럴", "floral_amber": "플로럴 앰버",
    "soft_amber": "소프트 앰버", "amber": "앰버", "woody_amber": "우디 앰버", "woods": "우디",
    "mossy_woods": "모시 우디", "dry_woods": "드라이 우디", "aromatic": "아로마틱",
    "citrus": "시트러스", "water": "아쿠아틱", "green": "그린", "fruity": "프루티",
}  # fmt: skip


# The sub-families a brief names by their own word ("gourmand", "chypre", "leather"), as its
# description says them, in place of the wheel family or before it: a gourmand brief read
# "A soft amber parfum", a leather one "A dry woods eau de parfum". "fresh" (a citrus
# cologne) and "aquatic" (the water family's label already) keep the family.
SUBFAMILY_LABEL = {"gourmand": "gourmand", "chypre": "chypre", "fougere": "fougère",
                   "leather": "leather", "musky": "musky {family}", "spicy": "spicy {family}"}
SUBFAMILY_LABEL_KO = {"gourmand": "구르망", "chypre": "시프레", "fougere": "푸제르",
                      "leather": "레더", "musky": "머스키 {family}",
                      "spicy": "스파이시 {family}"}  # fmt: skip


def brief_family_label(brief: Brief) -> str:
    """The family a description names: the sub-family the brief asked for by its word, else
    the wheel family (`family_label`). A sub-family asked for beside another family than its
    own keeps that family's word, as the label was written: "fruity chypre", "floral
    gourmand" (a plain "chypre" is a chypre)."""
    family = family_label(brief.fragrance_family, brief.language)
    labels = SUBFAMILY_LABEL_KO if brief.language == "ko" else SUBFAMILY_LABEL
    label = labels.get(brief.subfamily or "", "{family}")
    home = FAMILY_WORDS.get(brief.subfamily or "", (brief.fragrance_family, None))[0]
    if "{family}" not in label and home != brief.fragrance_family:
        label = "{family} " + label
    return label.format(family=family)


def family_label(family: str, language: str = "en") -> str:
    """A wheel family as prose: "woody_amber" -> "woody amber", "water" -> "aquatic";
    Korean: "우디 앰버", "아쿠아틱" (a family without a Korean word as in English)."""
    if language == "ko" and family in FAMILY_LABEL_KO:
        return FAMILY_LABEL_KO[family]
    plain = family.replace("_", " ")
    return FAMILY_LABEL.get(plain, plain)


def short_name(material: Material) -> str:
    """How prose names a material: as the ingredient list shows it (`Material.name`, the
    name a formula's ingredient line carries), without a parenthesised qualifier at its end
    ("Hedione (methyl dihydrojasmonate)": Hedione; "Iso E Super (OTNE)": Iso E Super), so a
    reader finds each named material in the list. No synonym ("bergamiol" for Linalyl
    acetate) and no re-casing: trade names keep their capitals."""
    return _QUALIFIER.sub("", material.name).strip() or material.name


# a parenthesised qualifier at the end of a name (the last one, not "(E,Z)-2,4-" inside it)
_QUALIFIER = re.compile(r"\s*\([^()]*\)\s*$")

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
    a mood), the concentration as people read it ("eau de parfum", "오 드 퍼퓸") and the
    leading materials of each tier by the names the ingredient list shows."""
    family = brief_family_label(brief)
    strength = concentration_prose(str(brief.concentration), brief.language)
    if brief.language == "ko":
        lead = {p: ", ".join(short_name(m) for m in ms[:2]) for p, ms in by_position.items()}
        return (f"{lead['top']}의 첫인상으로 시작해 {lead['heart']}의 하트를 지나 "
                f"{lead['base']}로 잔향을 남기는 {family} 계열 {strength} 향수입니다.")
    # "and" within a tier: a name may hold a comma ("Orange oil, sweet"); two grades of one
    # material are named once ("settles on Cedarwood oil and Cedarwood oil")
    lead = {p: " and ".join(list(dict.fromkeys(short_name(m) for m in ms))[:2])
            for p, ms in by_position.items()}
    mood = english_mood(brief.mood_phrase).strip()
    if len(mood.split()) > MAX_DESCRIBED_MOOD_WORDS:  # a story, not a mood: it stays a brief's
        mood = ""
    before, after = ("", "") if not mood else (
        (f"{mood} ", "") if _adjectival(mood) else ("", f", {mood},"))
    article = indefinite_article(before + family).capitalize()
    return (f"{article} {before}{family} {strength}{after} that opens on {lead['top']}, "
            f"blooms into {lead['heart']}, and settles on {lead['base']}.")


# a mood of more words is a request told as a story ("for my mom's 60th birthday, she
# loves roses..."): the description leaves it out rather than paste it in
MAX_DESCRIBED_MOOD_WORDS = 8
# words that make a mood a phrase of its own rather than adjectives before the family ("for
# a summer wedding", "like a walk in the forest", "not too sweet")
_PHRASE_WORDS = frozenset((
    "a", "an", "the", "for", "like", "to", "with", "without", "in", "on", "at", "as", "of",
    "from", "into", "not", "no", "never", "isn", "isn't", "isnt", "t", "is", "are", "be",
    "that", "which", "too", "smells", "smell", "smelling", "my", "your", "our", "her", "his",
    "me", "him", "them", "when", "while", "after", "before", "during"))


def _adjectival(mood: str) -> bool:
    """Whether the mood reads as adjectives before the family ("warm and cozy", "sexy but
    classy"): a few words, none of them a preposition, article, negation or verb."""
    words = re.findall(r"[a-z']+", mood.lower())
    return len(words) <= 4 and not any(word in _PHRASE_WORDS for word in words)


def describe_formula(brief: Brief, formula: Formula, book: MaterialBook) -> str:
    """`describe` for the materials a formula holds, the largest of each position first (a
    repaired formula's description names what its ingredient list shows, not the materials
    the repair removed or swapped)."""
    by_position: dict[str, list[Material]] = {p: [] for p in POSITIONS}
    for ingredient in sorted(formula.ingredients, key=lambda i: -i.pct):
        material = book.get(ingredient.material_id)
        named = by_position.get(ingredient.position)
        if material is not None and named is not None and all(
                m.id != material.id for m in named):
            named.append(material)
    return describe(brief, by_position)
