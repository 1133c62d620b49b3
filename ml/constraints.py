"""A parsed query as sets of perfumes: constraints to meet, exclusions never to break.

Constraints are met first (see `ml.ranking.order`), in this priority when not every one can
be: the named perfume, the brand, each note, each character, gender, season, intensity,
each occasion, each mood. Each constraint holds the perfumes that meet it, taken from a
`FacetIndex` (a posting list per facet value, built once per pipeline, as a search engine
indexes its filters), so checking a hit is a set lookup. Exclusions are hard filters: a
perfume carrying an excluded note (or any note it stands for, see `ml.notes`), of an
excluded family, gender or line, or the reference perfume of a "like X" query and its
editions, is never returned. Avoided things (`not too sweet`, `less powdery`) only lower
relevance; they hold the perfumes they would hold as wishes (`build_avoided`): a perfume
avoided for a character is one that has it, read as the character's constraint reads it; an
avoided mood holds those tagged with it, and in part those with the notes that give it.
Preferred things ("like X but fresher") raise relevance as avoided ones lower it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ml.knowledge import Perfume
from ml.notes import CHARACTER_GROUPS, FLOWERS, NoteTaxonomy
from ml.parsing import QueryParse
from ml.query_words import CHARACTERS, INTENSITIES, MOOD_NOTES, OCCASIONS
from ml.vector_index import Condition, PayloadFilter

PARTIAL = 0.5
PRIORITY = ("perfume", "brand", "note", "character", "gender", "season", "intensity",
            "occasion", "mood")
FIELDS = ("note", "mood", "season", "gender", "family", "subfamily", "concentration", "brand")


class FacetIndex:
    """Field -> value -> the ids of the perfumes that have it."""

    def __init__(self, perfumes: Iterable[Perfume]) -> None:
        self._postings: dict[tuple[str, str], set[str]] = {}
        self.ids: frozenset[str] = frozenset()
        ids = set()
        for perfume in perfumes:
            ids.add(perfume.id)
            values = {"note": perfume.notes, "mood": perfume.mood, "season": perfume.season,
                      "gender": (perfume.gender,), "family": (perfume.family,),
                      "subfamily": (perfume.subfamily or "",),
                      "concentration": (perfume.concentration or "",),
                      "brand": (perfume.brand,)}
            for field, found in values.items():
                for value in found:
                    self._postings.setdefault((field, value), set()).add(perfume.id)
        self.ids = frozenset(ids)

    def having(self, field: str, values: Iterable[str]) -> frozenset[str]:
        """The perfumes whose `field` holds any of `values`."""
        found: set[str] = set()
        for value in values:
            found |= self._postings.get((field, value), set())
        return frozenset(found)


@dataclass(frozen=True)
class Constraint:
    """A stated wish and the perfumes that meet it; for an avoided one, `partial` holds the
    perfumes that carry a little of it (the notes of an avoided mood, `PARTIAL`)."""

    kind: str
    value: str
    members: frozenset[str]
    partial: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return f"{self.kind}: {self.value}"

    def degree(self, perfume_id: str) -> float:
        """1 for a member, `PARTIAL` for a perfume that carries a little of it, else 0."""
        if perfume_id in self.members:
            return 1.0
        return PARTIAL if perfume_id in self.partial else 0.0


@dataclass(frozen=True)
class Exclusions:
    notes: frozenset[str] = frozenset()
    families: frozenset[str] = frozenset()
    subfamilies: frozenset[str] = frozenset()
    genders: frozenset[str] = frozenset()
    perfumes: frozenset[str] = frozenset()

    def payload_conditions(self) -> tuple[Condition, ...]:
        """The exclusions as index conditions (perfume ids are filtered after)."""
        pairs = (("notes", self.notes), ("family", self.families),
                 ("subfamily", self.subfamilies), ("gender", self.genders))
        return tuple(Condition(name, tuple(sorted(values))) for name, values in pairs if values)


def _character(key: str, facets: FacetIndex) -> frozenset[str]:
    character = CHARACTERS[key]
    return (facets.having("family", character.families)
            | facets.having("subfamily", character.subfamilies)
            | facets.having("mood", character.moods) | facets.having("note", character.notes)
            | facets.having("concentration", character.concentrations))


def build_constraints(parse: QueryParse, taxonomy: NoteTaxonomy, facets: FacetIndex,
                      names: Mapping[str, str]) -> tuple[Constraint, ...]:
    """The parse's constraints in priority order (see the module doc)."""
    found: list[Constraint] = []
    if parse.named:
        label = " / ".join(dict.fromkeys(names[i] for i in parse.named))
        found.append(Constraint("perfume", label, frozenset(parse.named) & facets.ids))
    if parse.brands:
        found.append(Constraint("brand", " / ".join(parse.brands),
                                facets.having("brand", parse.brands)))
    for options in parse.notes:
        covered = set().union(*map(taxonomy.expand, options))
        found.append(Constraint("note", " or ".join(options), facets.having("note", covered)))
    found += [Constraint("character", key, _character(key, facets)) for key in parse.characters]
    if parse.genders:
        found.append(Constraint("gender", " or ".join(parse.genders),
                                facets.having("gender", parse.genders)))
    if parse.seasons:
        found.append(Constraint("season", " or ".join(parse.seasons),
                                facets.having("season", parse.seasons)))
    if parse.intensity:
        found.append(Constraint("intensity", parse.intensity, facets.having(
            "concentration", INTENSITIES[parse.intensity])))
    found += [Constraint("occasion", o, facets.having("mood", OCCASIONS[o]))
              for o in parse.occasions]
    found += [Constraint("mood", mood, facets.having("mood", [mood])) for mood in parse.moods]
    return tuple(found)


def build_preferred(parse: QueryParse, taxonomy: NoteTaxonomy,
                    facets: FacetIndex) -> tuple[Constraint, ...]:
    """What the parse softly prefers ("like X but fresher"), each as the perfumes that have
    it, read as an avoided thing is."""
    return tuple(Constraint(kind, value, _soft_members(kind, value, taxonomy, facets))
                 for kind, value in parse.prefer)


def _soft_members(kind: str, value: str, taxonomy: NoteTaxonomy,
                  facets: FacetIndex) -> frozenset[str]:
    if kind in ("note", "group"):
        return facets.having("note", taxonomy.expand(value))
    if kind == "character":
        return _character(value, facets)
    if kind == "intensity":
        return facets.having("concentration", INTENSITIES[value])
    if kind in ("mood", "season", "gender"):
        return facets.having(kind, (value,))
    if kind == "occasion":  # "not for the office": the moods that suit it
        return facets.having("mood", OCCASIONS[value])
    return frozenset()


def build_avoided(parse: QueryParse, taxonomy: NoteTaxonomy, facets: FacetIndex,
                  by_notes: bool = True) -> tuple[Constraint, ...]:
    """What the parse softly avoids, each as the perfumes that carry it (see the module doc);
    with `by_notes`, an avoided mood also holds, in part, the perfumes with the notes that
    give it (`MOOD_NOTES`: "not too sweet" demotes the vanilla and tonka perfumes not tagged
    sweet). A "like X" request goes without: its hits are ranked by likeness to X, notes
    first, and "X but less sweet" demotes what is tagged sweeter, not what shares notes."""
    found = []
    for kind, value in parse.avoid:
        members = _soft_members(kind, value, taxonomy, facets)
        notes = MOOD_NOTES.get(value, ()) if kind == "mood" and by_notes else ()
        partial = facets.having("note", notes) - members
        found.append(Constraint(kind, value, members, partial))
    for key in parse.excluded_characters if by_notes else ():
        if key in SOFT_NOTE_GROUPS:
            found.append(_carrying_many(key, SOFT_NOTE_GROUPS[key], taxonomy, facets))
    return tuple(found)


# An excluded family whose notes are too common to exclude outright: "no florals" excludes
# the floral families, and avoids the perfumes of other families full of flowers (CK One,
# six flowers, came second).
SOFT_NOTE_GROUPS = {"floral": FLOWERS}
MANY_NOTES = 3  # a perfume with this many of the group's notes carries it fully


def _carrying_many(key: str, group: Iterable[str], taxonomy: NoteTaxonomy,
                   facets: FacetIndex) -> Constraint:
    """The perfumes carrying `MANY_NOTES` or more of the group's notes (members), or fewer
    (partial)."""
    held: Counter[str] = Counter()
    for note in group:
        held.update(facets.having("note", taxonomy.expand(note)))
    many = frozenset(p for p, count in held.items() if count >= MANY_NOTES)
    return Constraint("notes of", key, many, frozenset(held) - many)


def build_exclusions(parse: QueryParse, taxonomy: NoteTaxonomy,
                     reference: frozenset[str] = frozenset()) -> Exclusions:
    """Hard exclusions of a parse; `reference`: the "like X" perfume and its editions. An
    excluded family rules out its notes but those the query asks for: "vanilla but not
    gourmand" wants vanilla, only not in a gourmand perfume."""
    notes = set().union(*map(taxonomy.expand, parse.excluded_notes))
    asked = set().union(*(taxonomy.expand(note) for options in parse.notes for note in options))
    families: set[str] = set()
    subfamilies: set[str] = set()
    for key in parse.excluded_characters:
        notes |= (taxonomy.vocabulary & set(CHARACTER_GROUPS.get(key, ()))) - asked
        families.update(CHARACTERS[key].families)
        subfamilies.update(CHARACTERS[key].subfamilies)
    return Exclusions(frozenset(notes), frozenset(families), frozenset(subfamilies),
                      frozenset(parse.excluded_genders),
                      frozenset(parse.excluded_perfumes) | reference)


def exclusion_filter(base: PayloadFilter | None, exclusions: Exclusions) -> PayloadFilter | None:
    """`base` (the request's filters) with the exclusions added to its must-not part."""
    extra = exclusions.payload_conditions()
    if not extra:
        return base
    return PayloadFilter(base.must if base else (), (*(base.must_not if base else ()), *extra))
