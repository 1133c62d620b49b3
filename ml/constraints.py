"""A parsed query as checks on perfumes: constraints to meet, exclusions never to break.

Constraints are met first (see `ml.ranking.order`), in this priority when not every one can
be: the named perfume, the brand, each note, each character, gender, season, intensity,
each occasion, each mood. Exclusions are hard filters: a perfume carrying an excluded note
(or any note it stands for, see `ml.notes`), of an excluded family, gender or line, or the
reference perfume of a "like X" query and its editions, is never returned. Avoided things
(`not too sweet`) only lower a perfume's relevance.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ml.knowledge import Perfume
from ml.notes import CHARACTER_GROUPS, NoteTaxonomy
from ml.parsing import QueryParse
from ml.query_words import CHARACTERS, INTENSITIES, OCCASIONS, Character
from ml.vector_index import Condition, PayloadFilter

PRIORITY = ("perfume", "brand", "note", "character", "gender", "season", "intensity",
            "occasion", "mood")


@dataclass(frozen=True)
class Profile:
    """A perfume's facets as sets, built once per pipeline for fast checks."""

    id: str
    brand: str
    family: str
    subfamily: str | None
    gender: str
    concentration: str | None
    notes: frozenset[str]
    moods: frozenset[str]
    seasons: frozenset[str]

    @classmethod
    def of(cls, perfume: Perfume) -> Profile:
        return cls(perfume.id, perfume.brand, perfume.family, perfume.subfamily,
                   perfume.gender, perfume.concentration, frozenset(perfume.notes),
                   frozenset(perfume.mood), frozenset(perfume.season))


def has_character(profile: Profile, character: Character) -> bool:
    return (profile.family in character.families or profile.subfamily in character.subfamilies
            or not profile.moods.isdisjoint(character.moods)
            or not profile.notes.isdisjoint(character.notes)
            or profile.concentration in character.concentrations)


@dataclass(frozen=True)
class Constraint:
    kind: str
    value: str
    test: Callable[[Profile], bool]

    @property
    def label(self) -> str:
        return f"{self.kind}: {self.value}"


@dataclass(frozen=True)
class Exclusions:
    notes: frozenset[str] = frozenset()
    families: frozenset[str] = frozenset()
    subfamilies: frozenset[str] = frozenset()
    genders: frozenset[str] = frozenset()
    perfumes: frozenset[str] = frozenset()

    def rejects(self, profile: Profile) -> bool:
        return bool(profile.id in self.perfumes or profile.gender in self.genders
                    or profile.family in self.families or profile.subfamily in self.subfamilies
                    or not profile.notes.isdisjoint(self.notes))

    def payload_conditions(self) -> tuple[Condition, ...]:
        """The same exclusions for the vector index (perfume ids are filtered after)."""
        pairs = (("notes", self.notes), ("family", self.families),
                 ("subfamily", self.subfamilies), ("gender", self.genders))
        return tuple(Condition(name, tuple(sorted(values))) for name, values in pairs if values)


def _named(parse: QueryParse, names: dict[str, str]) -> list[Constraint]:
    found: list[Constraint] = []
    if parse.named:
        ids = frozenset(parse.named)
        label = " / ".join(dict.fromkeys(names[i] for i in parse.named))
        found.append(Constraint("perfume", label, lambda p: p.id in ids))
    if parse.brands:
        brands = frozenset(parse.brands)
        found.append(Constraint("brand", " / ".join(parse.brands), lambda p: p.brand in brands))
    return found


def _any_of(kind: str, label: str, values: Iterable[str], attribute: str) -> Constraint:
    """Met when the profile's `attribute` (a set) shares a value with `values`."""
    wanted = frozenset(values)
    return Constraint(kind, label, lambda p: not wanted.isdisjoint(getattr(p, attribute)))


def _character(key: str) -> Constraint:
    character = CHARACTERS[key]
    return Constraint("character", key, lambda p: has_character(p, character))


def build_constraints(parse: QueryParse, taxonomy: NoteTaxonomy,
                      names: dict[str, str]) -> tuple[Constraint, ...]:
    """The parse's constraints in priority order (see the module doc)."""
    found = _named(parse, names)
    for options in parse.notes:
        covered = set().union(*map(taxonomy.expand, options))
        found.append(_any_of("note", " or ".join(options), covered, "notes"))
    found += [_character(key) for key in parse.characters]
    if parse.genders:
        genders = frozenset(parse.genders)
        found.append(Constraint("gender", " or ".join(parse.genders),
                                lambda p: p.gender in genders))
    if parse.seasons:
        found.append(_any_of("season", " or ".join(parse.seasons), parse.seasons, "seasons"))
    if parse.intensity:
        allowed = INTENSITIES[parse.intensity]
        found.append(Constraint("intensity", parse.intensity,
                                lambda p: p.concentration in allowed))
    found += [_any_of("occasion", o, OCCASIONS[o], "moods") for o in parse.occasions]
    found += [_any_of("mood", mood, [mood], "moods") for mood in parse.moods]
    return tuple(found)


def build_exclusions(parse: QueryParse, taxonomy: NoteTaxonomy,
                     reference: frozenset[str] = frozenset()) -> Exclusions:
    """Hard exclusions of a parse; `reference`: the "like X" perfume and its editions."""
    notes = set().union(*map(taxonomy.expand, parse.excluded_notes))
    families: set[str] = set()
    subfamilies: set[str] = set()
    for key in parse.excluded_characters:
        notes |= taxonomy.vocabulary & set(CHARACTER_GROUPS.get(key, ()))
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
