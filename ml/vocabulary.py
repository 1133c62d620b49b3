"""Controlled vocabularies (SCHEMA.md) and the English words that point at them.

Plain data shared by document building (`ml.documents`) and query facet extraction
(`ml.facets`).
"""

from __future__ import annotations

FAMILIES = ("floral", "soft_floral", "floral_amber", "soft_amber", "amber", "woody_amber",
            "woods", "mossy_woods", "dry_woods", "aromatic", "citrus", "water", "green", "fruity")
FAMILY_GROUPS: dict[str, tuple[str, ...]] = {
    "floral": ("floral", "soft_floral", "floral_amber"),
    "amber": ("soft_amber", "amber", "woody_amber"),
    "woody": ("woods", "mossy_woods", "dry_woods"),
    "fresh": ("aromatic", "citrus", "water", "green", "fruity"),
}
SEASONS = ("spring", "summer", "autumn", "winter")
GENDERS = ("feminine", "masculine", "unisex")
ODOR_FAMILIES = ("citrus", "floral", "fruity", "green", "herbal", "aromatic", "spicy", "woody",
                 "amber", "balsamic", "musky", "animalic", "leather", "mossy", "powdery",
                 "gourmand", "aquatic", "aldehydic", "earthy", "smoky")

# Words written into a perfume's document for its family slug (embedding + lexical text).
FAMILY_WORDS: dict[str, str] = {
    "floral": "floral flowery", "soft_floral": "soft floral powdery",
    "floral_amber": "floral amber", "soft_amber": "soft amber warm sweet",
    "amber": "amber oriental warm", "woody_amber": "woody amber",
    "woods": "woody woods", "mossy_woods": "mossy woody chypre",
    "dry_woods": "dry woody leathery smoky", "aromatic": "aromatic herbal",
    "citrus": "citrus zesty", "water": "aquatic marine watery", "green": "green leafy",
    "fruity": "fruity",
}
GENDER_WORDS: dict[str, str] = {
    "feminine": "feminine for women", "masculine": "masculine for men",
    "unisex": "unisex for women and men",
}

# Query words -> family slugs. Two-word phrases are matched before single words.
FAMILY_PHRASES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("woody", "amber"): ("woody_amber",), ("soft", "floral"): ("soft_floral",),
    ("floral", "amber"): ("floral_amber",), ("soft", "amber"): ("soft_amber",),
    ("mossy", "woods"): ("mossy_woods",), ("dry", "woods"): ("dry_woods",),
}
_WOODY = FAMILY_GROUPS["woody"] + ("woody_amber",)
_AMBER = FAMILY_GROUPS["amber"] + ("floral_amber",)
FAMILY_TERMS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("floral", "flowery", "flower", "flowers", "bouquet"),
                    FAMILY_GROUPS["floral"]),
    **dict.fromkeys(("woody", "wood", "woods", "woodsy"), _WOODY),
    **dict.fromkeys(("amber", "ambery", "oriental"), _AMBER),
    **dict.fromkeys(("citrus", "citrusy", "citric", "zesty"), ("citrus",)),
    **dict.fromkeys(("aquatic", "marine", "ocean", "oceanic", "sea", "watery", "ozonic"),
                    ("water",)),
    **dict.fromkeys(("green", "leafy", "grassy"), ("green",)),
    **dict.fromkeys(("fruity", "fruit", "fruits"), ("fruity",)),
    **dict.fromkeys(("aromatic", "herbal", "herbaceous", "fougere"), ("aromatic",)),
    **dict.fromkeys(("chypre", "mossy"), ("mossy_woods",)),
    **dict.fromkeys(("leathery", "smoky"), ("dry_woods",)),
    "gourmand": ("soft_amber", "amber", "floral_amber"),
    "powdery": ("soft_floral",),
}
SEASON_TERMS: dict[str, str] = {
    "spring": "spring", "springtime": "spring", "summer": "summer", "summery": "summer",
    "beach": "summer", "autumn": "autumn", "autumnal": "autumn", "fall": "autumn",
    "winter": "winter", "wintry": "winter", "christmas": "winter", "snow": "winter",
}
GENDER_TERMS: dict[str, str] = {
    **dict.fromkeys(("men", "man", "men's", "mens", "male", "masculine", "him", "his", "homme",
                     "gentleman", "gentlemen", "guy", "guys", "boyfriend", "husband", "father",
                     "dad"), "masculine"),
    **dict.fromkeys(("women", "woman", "women's", "womens", "female", "feminine", "her",
                     "femme", "lady", "ladies", "girl", "girls", "girlfriend", "wife",
                     "mother", "mom"), "feminine"),
    **dict.fromkeys(("unisex", "genderless", "gender-neutral", "shared"), "unisex"),
}
MOOD_ALIASES: dict[str, str] = {
    "sexy": "sensual", "seductive": "sensual", "cosy": "cozy", "relaxing": "calm",
    "refreshing": "fresh", "lovely": "romantic", "chic": "sophisticated",
    "luxurious": "elegant", "intense": "bold", "strong": "bold", "mature": "sophisticated",
    "cute": "playful", "innocent": "clean", "mystery": "mysterious", "energizing": "energetic",
}
NOTE_ALIASES: dict[str, str] = {
    "orris": "iris", "agarwood": "oud", "ylang": "ylang-ylang", "tonka": "tonka bean",
    "muguet": "lily of the valley", "lily-of-the-valley": "lily of the valley",
    "frankincense": "incense", "olibanum": "incense", "cassis": "blackcurrant",
    "sandal": "sandalwood", "cedarwood": "cedar", "tangerine": "mandarin",
    "ambrette": "musk", "cacao": "chocolate", "cocoa": "chocolate",
}
