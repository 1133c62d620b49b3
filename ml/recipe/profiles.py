"""Which material odor families suit a brief: written by us from general perfumery practice.

Weights are relative preferences (0 = not typical, 3 = defining). The formulator adds them
up per material; nothing here is a regulatory fact.
"""

from __future__ import annotations

Profile = dict[str, float]

FAMILY: dict[str, Profile] = {
    "floral": {"floral": 3, "powdery": 1.5, "musky": 1.5, "citrus": 1, "green": 1, "fruity": 0.8},
    "soft_floral": {"powdery": 3, "floral": 2, "musky": 2, "aldehydic": 2, "amber": 0.6},
    "floral_amber": {"floral": 2.5, "amber": 2, "spicy": 1.2, "balsamic": 1.5, "gourmand": 1},
    "soft_amber": {"amber": 2, "gourmand": 2.5, "balsamic": 2, "musky": 1.5, "powdery": 1},
    "amber": {"amber": 3, "balsamic": 2.5, "spicy": 2, "gourmand": 1.5, "woody": 1, "smoky": 1},
    "woody_amber": {"woody": 2.5, "amber": 2.5, "spicy": 1.5, "balsamic": 1.2, "smoky": 1},
    "woods": {"woody": 3, "earthy": 1.8, "aromatic": 1, "spicy": 1, "musky": 1, "citrus": 0.8},
    "mossy_woods": {"mossy": 3, "woody": 2, "earthy": 2, "citrus": 1.5, "floral": 1,
                    "amber": 1},
    "dry_woods": {"leather": 3, "smoky": 2.5, "woody": 2.5, "spicy": 1, "earthy": 1},
    "aromatic": {"aromatic": 3, "herbal": 2.5, "citrus": 1.5, "woody": 1.5, "gourmand": 0.8,
                 "mossy": 0.8},
    "citrus": {"citrus": 3, "aromatic": 1.5, "herbal": 1.2, "green": 1, "floral": 1,
               "musky": 1, "woody": 0.8},
    "water": {"aquatic": 3, "citrus": 1.5, "green": 1.2, "floral": 1, "musky": 1.5,
              "woody": 1},
    "green": {"green": 3, "herbal": 1.5, "floral": 1.2, "citrus": 1, "woody": 1, "mossy": 0.8},
    "fruity": {"fruity": 3, "citrus": 1.5, "floral": 1.5, "gourmand": 1, "musky": 1},
}

SUBFAMILY: dict[str, Profile] = {
    "gourmand": {"gourmand": 3, "balsamic": 1},
    "fougere": {"aromatic": 2, "herbal": 1, "mossy": 1, "gourmand": 1},
    "chypre": {"mossy": 2, "citrus": 1.5, "amber": 1, "earthy": 1},
    "cologne": {"citrus": 2, "aromatic": 1, "herbal": 1},
    "aquatic": {"aquatic": 2},
    "leather": {"leather": 2, "smoky": 1},
    "musky": {"musky": 2},
    "spicy": {"spicy": 2},
}

# The accord that names a sub-family: a formula of it holds one material of each group (the
# first the brief allows and the limits leave room for), whatever the sampling draws. A
# fougere is lavender over coumarin and oakmoss; a chypre bergamot over oakmoss and
# labdanum. Scored by odour family alone, a "fougere" brief drew coumarin in traces (carried
# by lavandin) or not at all, and a chypre might lack its oakmoss.
ACCORD: dict[str, tuple[tuple[str, ...], ...]] = {
    "fougere": (("lavender-oil", "lavandin-oil", "spike-lavender-oil"),
                ("coumarin", "tonka-bean-absolute"), ("oakmoss-absolute", "evernyl")),
    "chypre": (("bergamot-oil-fcf", "bergamot-oil"), ("oakmoss-absolute", "evernyl"),
               ("labdanum-absolute", "patchouli-oil")),
}

MOOD: dict[str, Profile] = {
    "romantic": {"floral": 1.2, "powdery": 1, "gourmand": 0.6, "musky": 0.6},
    "fresh": {"citrus": 1, "green": 0.8, "aquatic": 0.8, "aromatic": 0.6},
    "energetic": {"citrus": 1.2, "spicy": 0.6, "green": 0.6},
    "calm": {"herbal": 0.8, "woody": 0.8, "aromatic": 0.8, "musky": 0.5},
    "relaxing": {"herbal": 0.8, "woody": 0.8, "aromatic": 0.8},
    "sensual": {"amber": 1, "musky": 1, "animalic": 1, "balsamic": 0.6},
    "seductive": {"amber": 1, "animalic": 1, "gourmand": 0.6, "spicy": 0.5},
    "elegant": {"floral": 0.8, "aldehydic": 1, "powdery": 0.8, "woody": 0.5},
    "mysterious": {"smoky": 1, "amber": 0.8, "leather": 0.8, "earthy": 0.6},
    "playful": {"fruity": 1.2, "gourmand": 0.8, "citrus": 0.5},
    "cozy": {"gourmand": 1, "amber": 0.8, "balsamic": 0.8},
    "warm": {"amber": 1, "balsamic": 0.8, "spicy": 0.6},
    "clean": {"musky": 1, "aldehydic": 0.8, "aquatic": 0.6, "citrus": 0.5},
    "confident": {"woody": 0.8, "leather": 0.6, "spicy": 0.6},
    "bold": {"spicy": 0.8, "leather": 0.8, "amber": 0.6},
    "natural": {"green": 1, "herbal": 0.8, "earthy": 0.6},
}

SEASON: dict[str, Profile] = {
    "spring": {"floral": 0.6, "green": 0.6, "fruity": 0.4},
    "summer": {"citrus": 0.7, "aquatic": 0.6, "green": 0.4, "aromatic": 0.4},
    "autumn": {"spicy": 0.5, "woody": 0.6, "amber": 0.4, "earthy": 0.3},
    "winter": {"amber": 0.6, "balsamic": 0.5, "gourmand": 0.5, "smoky": 0.4, "leather": 0.3},
}

GENDER: dict[str, Profile] = {
    "feminine": {"floral": 0.4, "fruity": 0.3, "powdery": 0.3},
    "masculine": {"woody": 0.4, "aromatic": 0.4, "leather": 0.3, "herbal": 0.3},
    "unisex": {},
}

# Pyramid targets (top, heart, base) by intensity, before jitter and family tilt.
PYRAMID: dict[str, tuple[float, float, float]] = {
    "light": (30.0, 42.0, 28.0),
    "moderate": (22.0, 43.0, 35.0),
    "strong": (16.0, 40.0, 44.0),
}
TOP_HEAVY = frozenset({"citrus", "water", "green", "aromatic", "fruity"})
BASE_HEAVY = frozenset({"amber", "woody_amber", "soft_amber", "woods", "dry_woods"})

# Korean mood words -> English keys above (the seed guide's vocabulary).
KO_MOOD = {"로맨틱": "romantic", "상쾌한": "fresh", "상큼한": "fresh", "차분한": "calm",
           "관능적인": "sensual", "우아한": "elegant", "신비로운": "mysterious",
           "따뜻한": "warm", "포근한": "cozy", "깨끗한": "clean",
           "활기찬": "energetic"}  # fmt: skip
