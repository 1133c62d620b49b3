"""Controlled vocabularies (SCHEMA.md) and the English words that point at them.

Plain data shared by document building (`ml.documents`) and query parsing (`ml.phrases`).
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

# Query words -> season and gender (character words, moods, occasions: ml.query_words).
SEASON_TERMS: dict[str, str] = {
    "spring": "spring", "springtime": "spring", "summer": "summer", "summery": "summer",
    "autumn": "autumn", "autumnal": "autumn", "fall": "autumn",
    "winter": "winter", "wintry": "winter", "snow": "winter",
    # the weather a perfume is for ("hot humid weather" ranked Chergui, an amber, first)
    **dict.fromkeys(("hot weather", "warm weather", "humid", "humidity", "heat", "heatwave",
                     "hot days", "hot climate", "tropical weather"), "summer"),
    **dict.fromkeys(("cold weather", "cold days", "chilly", "freezing", "cold climate"),
                    "winter"),
    # Spanish, French, Italian, Portuguese and German (accents are dropped before matching:
    # été, otoño, Frühling)
    **dict.fromkeys(("primavera", "printemps", "fruhling", "fruhjahr"), "spring"),
    **dict.fromkeys(("verano", "ete", "estate", "verao", "sommer"), "summer"),
    **dict.fromkeys(("otono", "automne", "autunno", "outono", "herbst"), "autumn"),
    **dict.fromkeys(("invierno", "hiver", "inverno"), "winter"),
    # Turkish (dotless ı folds to i: kış, sonbahar)
    **dict.fromkeys(("ilkbahar", "bahar"), "spring"), "yaz": "summer", "yazlik": "summer",
    "sonbahar": "autumn", **dict.fromkeys(("kis", "kislik"), "winter"),
}
GENDER_TERMS: dict[str, str] = {
    **dict.fromkeys(("men", "man", "men's", "mens", "male", "masculine", "him", "his", "homme",
                     "gentleman", "gentlemen", "guy", "guys", "boyfriend", "husband", "father",
                     "dad", "boy", "boys", "brother", "uncle", "bf", "grandson", "nephew",
                     "fiance", "daddy",
                     # not the grandparents: "smells like my grandpa" is the classic mood
                     # not "son" alone: Diptyque's Do Son
                     "my son", "our son", "teenage son", "teen son"), "masculine"),
    **dict.fromkeys(("women", "woman", "women's", "womens", "female", "feminine", "her",
                     "femme", "lady", "ladies", "girl", "girls", "girlfriend", "wife",
                     "mother", "mom", "mum", "daughter", "sister", "aunt", "gf",
                     "granddaughter", "niece", "fiancee", "mommy"), "feminine"),
    **dict.fromkeys(("unisex", "genderless", "gender-neutral", "shared"), "unisex"),
    # Spanish, French, Italian, Portuguese and German
    **dict.fromkeys(("hombre", "hombres", "caballero", "caballeros", "uomo", "pour homme",
                     "homem", "homens", "masculino", "masculina", "para ele", "herren",
                     "herrenduft", "manner", "mann", "fur ihn"), "masculine"),
    **dict.fromkeys(("mujer", "mujeres", "dama", "damas", "donna", "pour femme", "mulher",
                     "mulheres", "feminino", "feminina", "femenino", "femenina", "para ela",
                     "damen", "damenduft", "frau", "frauen", "fur sie"), "feminine"),
    **dict.fromkeys(("unissex",), "unisex"),
    # Turkish
    **dict.fromkeys(("erkek", "erkekler", "erkek icin", "erkeklere"), "masculine"),
    **dict.fromkeys(("kadin", "kadinlar", "kadin icin", "kadinlara", "bayan"), "feminine"),
}
