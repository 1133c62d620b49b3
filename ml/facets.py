"""Facet hints: the seasons, genders, families, notes, moods and perfumes a query asks for,
as sets, and the intensity it wishes.

They feed the soft facet score of the hybrid ranking (`ml.ranking`) and the `hints` of a
result. They are derived from the query's parse (`ml.parsing`), positive wishes only: an
excluded note never becomes a hint, so it can never add to a score.
"""

from __future__ import annotations

from dataclasses import dataclass

from ml.parsing import QueryParse
from ml.query_words import CHARACTERS


@dataclass(frozen=True)
class FacetHints:
    seasons: frozenset[str] = frozenset()
    genders: frozenset[str] = frozenset()
    families: frozenset[str] = frozenset()
    notes: frozenset[str] = frozenset()
    moods: frozenset[str] = frozenset()
    perfumes: frozenset[str] = frozenset()
    lines: frozenset[str] = frozenset()
    intensity: str | None = None  # "strong" or "light"

    def is_empty(self) -> bool:
        return not (self.seasons or self.genders or self.families or self.notes or self.moods
                    or self.perfumes or self.lines or self.intensity)

    def to_dict(self) -> dict[str, list[str]]:
        return {"season": sorted(self.seasons), "gender": sorted(self.genders),
                "family": sorted(self.families), "notes": sorted(self.notes),
                "mood": sorted(self.moods)}


def hints_from(parse: QueryParse) -> FacetHints:
    """The positive facets of a parse (families: those of its character words; perfumes:
    the ones written out in full, lines: their editions and flankers)."""
    families = {family for key in parse.characters for family in CHARACTERS[key].families}
    return FacetHints(seasons=frozenset(parse.seasons), genders=frozenset(parse.genders),
                      families=frozenset(families),
                      notes=frozenset(note for options in parse.notes for note in options),
                      moods=frozenset(parse.moods), perfumes=frozenset(parse.named_exactly),
                      lines=frozenset(parse.named), intensity=parse.intensity)
