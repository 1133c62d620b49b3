"""Concentration classes: how much fragrance concentrate goes into the finished product.

No law defines the classes; we store a range plus a default dose, in % of
the finished product. Every strength of alcoholic fine fragrance is IFRA Category 4.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConcentrationClass:
    slug: str
    label: str
    default_pct: float
    min_pct: float
    max_pct: float

    def contains(self, dose_pct: float) -> bool:
        return self.min_pct <= dose_pct <= self.max_pct

    def clamp(self, dose_pct: float) -> float:
        return min(self.max_pct, max(self.min_pct, dose_pct))


CONCENTRATIONS: dict[str, ConcentrationClass] = {
    c.slug: c
    for c in (
        ConcentrationClass("parfum", "Parfum", 20.0, 15.0, 30.0),
        ConcentrationClass("edp", "Eau de Parfum", 15.0, 10.0, 20.0),
        ConcentrationClass("edt", "Eau de Toilette", 10.0, 5.0, 15.0),
        ConcentrationClass("edc", "Eau de Cologne", 4.0, 2.0, 8.0),
        # the lightest, 1-3 % (an eau fraîche, a splash): it was refused as unknown
        ConcentrationClass("eau_fraiche", "Eau Fraîche", 2.0, 1.0, 3.0),
    )
}

# Full names, as people write them, of each class ("Parfum" and "Extrait" are one class).
# Keys are normalised by `_key`: lower case, hyphens and underscores as single spaces.
ALIASES = {
    "extrait": "parfum",
    "extrait de parfum": "parfum",
    "parfum extrait": "parfum",
    "perfume": "parfum",
    "eau de parfum": "edp",
    "eau de toilette": "edt",
    "eau de cologne": "edc",
    "cologne": "edc",
    "eau fraiche": "eau_fraiche",
    "eau fraîche": "eau_fraiche",
    "splash": "eau_fraiche",
    "body splash": "eau_fraiche",
    "body mist": "eau_fraiche",
    "parfum intense": "parfum",
    "elixir": "parfum",
}

INTENSITY_DEFAULT = {"light": "edt", "moderate": "edp", "strong": "parfum"}

# How a description names each class, as people read it (not the slug "edp").
PROSE_NAMES = {
    "en": {"parfum": "parfum", "edp": "eau de parfum", "edt": "eau de toilette",
           "edc": "eau de cologne", "eau_fraiche": "eau fraîche"},
    "ko": {"parfum": "퍼퓸", "edp": "오 드 퍼퓸", "edt": "오 드 뚜왈렛", "edc": "오 드 코롱",
           "eau_fraiche": "오 프레쉬"},
}  # fmt: skip


# the Korean names a description writes ("오 드 퍼퓸"), spaced or not: `--concentration`'s
# help named one, and it was refused
_KOREAN_NAMES = {name.replace(" ", ""): slug for slug, name in PROSE_NAMES["ko"].items()}


# what a concentration is called in a brief's mood ("an extrait de parfum, very
# concentrated", "a light body mist for the gym"): its full names and abbreviations, not
# "perfume", which a mood says of any strength
MOOD_NAMES = {**{name: slug for name, slug in ALIASES.items() if name != "perfume"},
              **{slug: slug for slug in ("parfum", "edp", "edt", "edc")}}


def _key(value: object) -> str:
    return " ".join(str(value).lower().replace("_", " ").replace("-", " ").split())


def concentration_slug(value: str) -> str:
    """Normalise 'EdP', 'Eau de Parfum', 'eau-de-parfum', 'extrait', 'edp' ... to a slug
    (case, spaces, hyphens and underscores do not matter); ``ValueError`` if unknown."""
    key = _key(value)
    slug = ALIASES.get(key) or _KOREAN_NAMES.get(key.replace(" ", ""), key.replace(" ", ""))
    if slug not in CONCENTRATIONS:
        raise ValueError(
            f"concentration: {value!r} is not one of {sorted(CONCENTRATIONS)} "
            "or their full names (parfum or extrait, eau de parfum, eau de toilette, "
            "eau de cologne, eau fraîche or splash)"
        )
    return slug


def normalise_concentration(value: str) -> str:
    """The slug of a concentration name; one the classes do not know is kept, in the form
    it is matched in (lower case, single spaces), for a validator to report."""
    try:
        return concentration_slug(value)
    except ValueError:
        return _key(value)


def concentration_prose(slug: str, language: str = "en") -> str:
    """The class as a description names it: "eau de parfum", Korean "오 드 퍼퓸"; an
    unknown slug as it is."""
    return PROSE_NAMES.get(language, PROSE_NAMES["en"]).get(slug, slug)


def concentration_class(value: str) -> ConcentrationClass:
    return CONCENTRATIONS[concentration_slug(value)]
