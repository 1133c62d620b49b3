"""The words a brief may name notes with: odour-family words, the notes of `ml.notes`, the
materials' names, and the words that never name a note on their own ("oil", "absolute").

Shared by the brief (which words after "no" in a mood are notes) and by material selection
(which material stands for a requested note, which ones an excluded note removes).
"""

from __future__ import annotations

from functools import cache, lru_cache

from ml.edit_distance import MIN_LENGTH, nearest
from ml.notes import CHARACTER_GROUPS, GROUPS, RAIN_WORDS, SYNONYMS
from ml.notes import material as note_of
from ml.recipe.materials import load_materials, normalise_term
from ml.tokens import singular_forms
from ml.translation import korean_lexicon, translation_of

# words that name an odour family of materials (`Material.odor_family`)
ODOUR_FAMILY_WORDS: dict[str, str] = {
    **dict.fromkeys(("citrus", "citrusy", "citruses", "citrus notes", "citrus fruits"),
                    "citrus"),
    **dict.fromkeys(("floral", "florals", "flower", "flowers", "flowery", "floral notes"),
                    "floral"),
    **dict.fromkeys(("fruity", "fruit", "fruits", "fruity notes"), "fruity"),
    **dict.fromkeys(("woody", "wood", "woods", "woody notes"), "woody"),
    **dict.fromkeys(("spicy", "spice", "spices", "spicy notes"), "spicy"),
    **dict.fromkeys(("gourmand", "gourmand notes", "sweets"), "gourmand"),
    **dict.fromkeys(("aromatic", "aromatics"), "aromatic"),
    **dict.fromkeys(("musky", "musk", "musks", "musky notes"), "musky"),
    **dict.fromkeys(("green", "greens", "green notes"), "green"),
    **dict.fromkeys(("herbal", "herb", "herbs", "herbal notes"), "herbal"),
    **dict.fromkeys(("balsamic", "resinous", "resin", "resins", "balsam", "balsams"),
                    "balsamic"),
    **dict.fromkeys(("amber", "ambery", "amber notes"), "amber"),
    **dict.fromkeys(("aldehydic", "aldehyde", "aldehydes"), "aldehydic"),
    **dict.fromkeys(("powdery", "powder"), "powdery"),
    **dict.fromkeys(("animalic", "animal"), "animalic"),
    **dict.fromkeys(("earthy", "earth"), "earthy"),
    **dict.fromkeys(("mossy", "moss"), "mossy"),
    **dict.fromkeys(("leather", "leathery", "leathers"), "leather"),
    **dict.fromkeys(("aquatic", "marine", "marine notes", "sea notes", "aquatic notes",
                     "watery", "water"), "aquatic"),  # "water": the wheel's aquatic family
    **dict.fromkeys(("smoky", "smoke", "smokey"), "smoky"),
}

# Words of material names that say what kind of material it is, not what it smells of:
# "rose oil" is rose, never "oil" (which would find any oil).
GENERIC_WORDS = frozenset({
    "oil", "oils", "absolute", "absolutes", "extract", "extracts", "resinoid", "tincture",
    "essence", "concrete", "co2", "fcf", "rectified", "crude", "natural", "synthetic",
    "note", "notes", "accord", "accords", "type", "alcohol", "acetate", "otto", "grade",
})  # fmt: skip
# Words for a part of a plant: on their own they name no smell ("leaf" of "tomato leaf" found
# petitgrain, the leaf oil of the bitter orange).
PLANT_PART_WORDS = frozenset({
    "leaf", "leaves", "bark", "root", "roots", "seed", "seeds", "bud", "buds", "petal",
    "petals", "stem", "stems", "peel", "rind", "twig", "twigs", "needle", "needles", "vine",
})  # fmt: skip


# Notes people ask for that no material is named after, and the notes that stand for them,
# best first (as perfumers build the accord). A group of `ml.notes` ("white flowers":
# jasmine, tuberose, gardenia ...) stands for its name the same way.
KNOWN_NOTES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("sea breeze", "ocean breeze", "sea spray", "sea air", "ocean air",
                     "sea water", "seawater"), ("calone", "marine", "ozonic")),
    **dict.fromkeys(("wood smoke", "woodsmoke", "smoked wood", "campfire", "bonfire",
                     "fireplace"), ("birch tar", "guaiacol", "cade", "smoke")),
    **dict.fromkeys(("green tea", "black tea", "white tea", "oolong tea", "oolong", "matcha",
                     "earl grey"), ("tea",)),
    # rain: an ozonic, watery accord; geosmin, its wet earth, is a trace under what a
    # formula writes
    **dict.fromkeys(RAIN_WORDS, ("ozonic", "calone", "marine", "petrichor")),
    # the green of a crushed tomato leaf: perfumers build it of these
    **dict.fromkeys(("tomato leaf", "tomato leaves", "tomato vine", "tomato stem"),
                    ("violet leaf", "galbanum", "cut grass")),
    # clean laundry: the clean musks and the soapy aldehydes of washing powder
    **dict.fromkeys(("laundry", "clean laundry", "fresh laundry", "fabric softener",
                     "detergent", "linen", "clean linen", "fresh linen", "cotton",
                     "clean cotton", "fresh cotton"),
                    ("galaxolide", "aldehyde c-12", "habanolide")),
    # salt: a marine accord over ambrox's mineral warmth
    **dict.fromkeys(("salt", "sea salt", "salty", "salt air", "salted"),
                    ("calone", "ambroxide", "marine")),
    # spun and cooked sugar
    **dict.fromkeys(("sugar", "brown sugar", "burnt sugar", "caramelised sugar"),
                    ("cotton candy", "caramel")),
    "suede": ("isobutyl quinoline", "leather"),
    # fig: the green of its leaf (Stemone)
    **dict.fromkeys(("fig", "figs", "green fig", "fig tree", "fig milk"), ("stemone",)),
    "freesia": ("linalool", "ionone", "hedione"),
    **dict.fromkeys(("lotus", "water lily", "waterlily", "water lilies"),
                    ("floralozone", "hedione", "calone")),
    **dict.fromkeys(("ozone", "ozonic notes", "ozonic accord"), ("ozonic",)),
    **dict.fromkeys(("amberwood", "amber wood", "amberwoods", "ambery woods"),
                    ("cedramber", "iso e super", "ambroxide")),
    **dict.fromkeys(("praline", "pralines", "salted caramel"), ("caramel", "vanilla", "nutty")),
    **dict.fromkeys(("hazelnut", "hazelnuts", "pistachio", "chestnut", "chestnuts", "nuts",
                     "nutty notes"), ("nutty", "caramel")),
    **dict.fromkeys(("mango", "tropical fruit", "tropical fruits", "passion fruit",
                     "passionfruit", "guava"), ("tropical", "peach")),
    **dict.fromkeys(("cherry blossom", "cherry blossoms", "sakura"),
                    ("heliotropin", "hedione", "cherry")),
    **dict.fromkeys(("guaiac", "guaiac wood", "gaiac wood"), ("guaiacwood",)),
    **dict.fromkeys(("berries", "red berries", "red fruits", "forest fruits", "wild berries",
                     "mixed berries", "dark berries", "black berries"),
                    ("raspberry", "blackcurrant", "strawberry")),
    **dict.fromkeys(("wine", "red wine", "white wine", "champagne", "prosecco"), ("cognac",)),
    **dict.fromkeys(("gin", "gin and tonic", "gin tonic"), ("juniper",)),
    # skin scents: the musks and ambrox that smell of warm skin
    **dict.fromkeys(("skin", "skin scent", "my skin but better", "warm skin"),
                    ("ambroxide", "musk")),
}  # fmt: skip


def known_stand_ins(form: str) -> tuple[str, ...]:
    """The notes that stand for a normalised note no material is named after
    (`KNOWN_NOTES`, else the notes of the `ml.notes` group it names), best first."""
    notes = KNOWN_NOTES.get(form) or GROUPS.get(form) or CHARACTER_GROUPS.get(form) or ()
    return tuple(dict.fromkeys(normalise_term(note) for note in notes))


def is_family_word(form: str) -> bool:
    """True for a word that names a whole odour family ("green", "wood", "smoke"): in a
    note of several words it is usually the modifier ("green tea", "wood smoke"), and on its
    own it matches a family, not the note."""
    return form in ODOUR_FAMILY_WORDS


def _made_of(form: str, words: frozenset[str]) -> bool:
    split = form.split()
    return bool(split) and all(word in words for word in split)


def is_generic(form: str) -> bool:
    """True for a normalised form made only of generic words ("oil", "absolute oil")."""
    return _made_of(form, GENERIC_WORDS)


def is_plant_part(form: str) -> bool:
    """True for a normalised form made only of words for plant parts ("leaf", "bark")."""
    return _made_of(form, PLANT_PART_WORDS)


def _note_words() -> frozenset[str]:
    groups = [*GROUPS.values(), *CHARACTER_GROUPS.values(), *SYNONYMS]
    words = {*GROUPS, *CHARACTER_GROUPS, *ODOUR_FAMILY_WORDS, *KNOWN_NOTES}
    words.update(note for group in groups for note in group)
    return frozenset(normalise_term(word) for word in words)


NOTE_WORDS = _note_words()


@lru_cache(maxsize=4096)
def english_form(text: str) -> str:
    """The normalised form of a note as written, by its English words when it is Korean
    ("머스크는" -> "musk"), Japanese or Chinese ("バニラ"), Russian or Arabic ("ваниль",
    "فانيليا": notes_exclude of them excluded nothing, silently)."""
    found = translation_of(text)
    if found is not None and found[0] == "ko":
        return normalise_term(found[1].english)
    return normalise_term(found[1].english if found else "") or normalise_term(text)


@lru_cache(maxsize=4096)
def is_note(text: str) -> bool:
    """True if the text names a note the recipe side knows: a note or group of `ml.notes`,
    an odour-family word, a material's name, or a run of two or more whole words of one
    ("rose oil"; not a generic one such as "absolute oil"). One word of a name alone is
    not enough: "sweet" (of sweet orange oil) is no note. Plurals count ("roses")."""
    return any(f in NOTE_WORDS or (f in _material_names() and not is_generic(f))
               for f in singular_forms(english_form(text)) if f)


@cache
def _material_names() -> frozenset[str]:
    """The shipped materials' names and synonyms, and every run of two or more of their
    whole words."""
    names: set[str] = set()
    for material in load_materials():
        for term in material.terms():
            words = term.split()
            names.add(term)
            names.update(" ".join(words[a:b]) for a in range(len(words))
                         for b in range(a + 2, len(words) + 1))  # fmt: skip
    return frozenset(names)


@lru_cache(maxsize=4096)
def respelled(note: str) -> str | None:
    """The note read with each word that is no note word taken as the one it misspells
    ("vanila": vanilla, "bergamont": bergamot, "sandlewood oil": sandalwood oil): a word of
    four letters or more, the closest note or material word that starts with the same
    letter, within one edit up to seven letters and two beyond (`ml.edit_distance`), and only
    when one word is closest. None when the note is known as typed or nothing changed."""
    form = english_form(note)
    if not form or is_note(note):
        return None
    words = form.split()
    read = [_closest(word) or word for word in words]
    return " ".join(read) if read != words else None


def _closest(word: str) -> str | None:
    vocabulary = _spelling_words()
    if len(word) < MIN_LENGTH or word in vocabulary:
        return None
    found = nearest(word, (known for known in vocabulary if known[0] == word[0]))
    # spellings of one note tie ("bergamotte": bergamote and bergamotto): that note
    named = {note_of(known) for known in found}
    return named.pop() if len(named) == 1 else None


@cache
def _spelling_words() -> frozenset[str]:
    """Every word of a note, a material's name or synonym, or a material's descriptor."""
    phrases = {*NOTE_WORDS, *_material_names()}
    phrases.update(normalise_term(d) for m in load_materials() for d in m.descriptors)
    return frozenset(word for phrase in phrases for word in phrase.split())


def warm() -> None:
    """Build the vocabulary's tables now (a worker's or the API's start), not while the
    first brief with a mood waits."""
    _material_names()
    _spelling_words()
    korean_lexicon()

