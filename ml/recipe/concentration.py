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
    )
}

_ALIASES = {
    "extrait": "parfum",
    "extrait de parfum": "parfum",
    "perfume": "parfum",
    "eau de parfum": "edp",
    "eau de toilette": "edt",
    "eau de cologne": "edc",
    "cologne": "edc",
}

INTENSITY_DEFAULT = {"light": "edt", "moderate": "edp", "strong": "parfum"}


def concentration_slug(value: str) -> str:
    """Normalise 'EdP', 'Eau de Parfum', 'edp' ... to a slug; ``ValueError`` if unknown."""
    key = " ".join(str(value).lower().replace("_", " ").replace("-", " ").split())
    slug = _ALIASES.get(key, key.replace(" ", ""))
    if slug not in CONCENTRATIONS:
        raise ValueError(
            f"concentration: {value!r} is not one of {sorted(CONCENTRATIONS)}"
        )
    return slug


def concentration_class(value: str) -> ConcentrationClass:
    return CONCENTRATIONS[concentration_slug(value)]
