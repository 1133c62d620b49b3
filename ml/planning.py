"""Per request: what to search with and what to honour (a `Plan`), and the words that tell
the caller what was understood (`interpreted`) and why each hit is there (`explanation`).

A "like X" request (`similar_to`, or a parsed reference) searches with X's own vector (its
document's, from the index) instead of the query's, ranks by likeness and excludes X and
its editions (unless editions are asked for); an unknown X gives a message and no hits
rather than random ones. Unknown words after "smells like" are searched as a description,
with a `notice` that no perfume has that name (it leads the result's message). The notice
also says what the search had to ignore: a price (the catalogue has none), a limit on the
materials ("hypoallergenic", "vegan": the catalogue lists no ingredients), or the whole
query when nothing in it was understood and none of its words describe any record (the
hits are then only the nearest by embedding, and the result must not pass them off as
matches).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ml.constraints import (
    Constraint,
    Exclusions,
    FacetIndex,
    build_avoided,
    build_constraints,
    build_exclusions,
    build_preferred,
    exclusion_filter,
)
from ml.documents import KINDS, Kind, documents
from ml.knowledge import Catalog
from ml.material_limits import ALLERGEN_FREE, NATURAL_ONLY, VEGAN, limits_said
from ml.names import NameIndex
from ml.notes import NoteTaxonomy
from ml.parsing import QueryParse
from ml.query import InterpretedQuery
from ml.query_words import FUNCTION_WORDS, GENERIC_WORDS
from ml.search_protocol import SearchRequest
from ml.tokens import singular
from ml.translation import english_of
from ml.vector_index import PayloadFilter


@dataclass(frozen=True)
class Plan:
    request: SearchRequest
    query: InterpretedQuery
    constraints: tuple[Constraint, ...] = ()
    exclusions: Exclusions = field(default_factory=Exclusions)
    wanted: PayloadFilter | None = None
    reference: str | None = None
    message: str | None = None
    embed: str | None = None
    asked_notes: frozenset[str] = frozenset()
    notice: str | None = None
    avoided: tuple[Constraint, ...] = ()
    preferred: tuple[Constraint, ...] = ()
    # the perfume whose neighbours are searched: the "like X" reference, or the one perfume
    # a query only names ("YSL Libre": Libre, then the perfumes nearest to it)
    anchor: str | None = None

    @property
    def kind(self) -> Kind:
        return self.request.filters.record_kind


def _simile_notice(parse: QueryParse) -> str | None:
    """What the result says when "smells like" is followed by words that are neither a
    perfume nor query vocabulary: they were searched as a description, maybe a misspelt name."""
    if parse.simile is None:
        return None
    if parse.simile.described:
        return (f"Searched for perfumes that smell like {parse.simile.text!r} by their "
                "descriptions: it names no note, family or perfume of the catalogue.")
    hint = (f" Did you mean: {', '.join(parse.simile.suggestions)}?"
            if parse.simile.suggestions else "")
    return (f"No perfume in the catalogue is called {parse.simile.text!r}; "
            f"searched for perfumes that smell like it.{hint}")


def _intensity_notice(parse: QueryParse) -> str | None:
    if not parse.intensity_clash:
        return None
    return (f"The query asks for intensities that pull apart ({', '.join(parse.intensity_clash)}"
            "): the catalogue knows a perfume's strength by its concentration alone, so neither "
            "was required.")


def _price_notice(parse: QueryParse) -> str | None:
    if not parse.price:
        return None
    said = ", ".join(repr(phrase) for phrase in parse.price)
    return f"The catalogue has no prices, so {said} was ignored."


# what the catalogue cannot check of a material limit the query asks for: it lists no
# perfume's ingredients ("hypoallergenic perfume" ranked perfumes as if it could)
UNCHECKED_LIMITS = {ALLERGEN_FREE: "allergens", NATURAL_ONLY: "synthetic materials",
                    VEGAN: "materials of animal origin"}


def _limits_notice(request: SearchRequest, query: InterpretedQuery) -> str | None:
    # the phrases as written (the Korean ones are in the table), else as translated
    said = limits_said(request.query) or (
        limits_said(query.english) if query.lang != "en" else ())
    if not said or request.filters.record_kind != "perfume":
        return None
    phrases = ", ".join(dict.fromkeys(repr(phrase) for _, phrase in said))
    unchecked = " or ".join(dict.fromkeys(UNCHECKED_LIMITS[limit] for limit, _ in said))
    return (f"The catalogue does not list the perfumes' ingredients, so {phrases} could not "
            f"be checked: these hits are not screened for {unchecked}. A recipe brief "
            "with these words in its mood leaves them out of the formula.")


def _understood(parse: QueryParse) -> bool:
    """Whether the parse found any wish, exclusion or reference in the query (a price is
    no search wish: the catalogue cannot meet it)."""
    return bool(parse.notes or parse.characters or parse.moods or parse.occasions
                or parse.genders or parse.seasons or parse.intensity or parse.brands
                or parse.named or parse.excluded_notes or parse.excluded_characters
                or parse.excluded_genders or parse.excluded_perfumes or parse.avoid
                or parse.reference or parse.simile or parse.intensity_clash)


def _wished(english: str) -> str:
    """The query's English words, or "" when they are only function and generic words
    ("i" of "I hate oud"): embedding those would rank by them."""
    words = english.split()
    return english if any(w not in FUNCTION_WORDS and w not in GENERIC_WORDS
                           for w in words) else ""


# What a wish for how long and how far a perfume carries ("long lasting", "beast mode",
# "good projection") embeds when the query has no other words to: the words descriptions
# use for it (a rich base outlasts a fresh top: perceived freshness and substantivity are
# strongly anti-correlated). Embedding "perfume" ranked the strong concentrations at random:
# a citrus cologne first for "long lasting perfume".
PERFORMANCE_TEXT = {"strong": "a rich, intense, heavy, long-lasting perfume",
                    "light": "a light, sheer, airy perfume"}


NOT_UNDERSTOOD = ("Nothing in the query was understood: it names no perfume, brand, note, "
                  "family, mood, season or occasion, and none of its words describe any "
                  "record in the catalogue. The hits are only the nearest by embedding.")


class Planner:
    """Plans requests against one catalogue (names, editions and note expansions)."""

    def __init__(self, catalog: Catalog,
                 read_notes: Callable[[str], Sequence[str]] = lambda note: ()) -> None:
        """`read_notes`: the notes the query parser reads in a filter's note that names no
        note of the catalogue as written (misspelt, qualified, in another script)."""
        self._catalog = catalog
        self._read_notes = read_notes
        self._names = NameIndex.build(catalog.perfumes)
        self._taxonomy = NoteTaxonomy.build(catalog.note_vocabulary())
        self._facets = FacetIndex(catalog.perfumes)
        self._payloads = {doc.id: doc.payload for doc in documents(catalog, "perfume")}
        self._labels = {p.id: f"{p.name} ({p.brand})" for p in catalog.perfumes}
        self._vocabulary = {kind: frozenset(term for doc in documents(catalog, kind)
                                            for term in doc.terms) - GENERIC_WORDS
                            for kind in KINDS}

    def plan(self, request: SearchRequest, query: InterpretedQuery) -> Plan:
        if request.filters.record_kind == "material":
            return Plan(request, query, wanted=request.filters.payload_filter(),
                        embed=query.english or request.query,
                        notice=self._notice(request, query))
        parse = query.parse
        reference, message = self._reference(request, query)
        keep_editions = request.include_editions or parse.include_editions
        own = frozenset({reference} if keep_editions else self._names.editions(reference)) \
            if reference else frozenset()
        exclusions = build_exclusions(parse, self._taxonomy, own)
        filters = request.filters.payload_filter(self._note_names)
        asked = set(request.filters.notes_include)
        for options in parse.notes:
            asked.update(*map(self._taxonomy.expand, options))
        anchor = reference or (None if message else self._lone_name(parse))
        embed = None if message or anchor else (
            # a query left with nothing to embed embeds "perfume" when it was understood,
            # never its own words: "no sweet" would pull the very perfumes it rules out
            # closer, "good longevity" (an intensity) ranked Good Girl first by "good"
            _wished(query.english) or PERFORMANCE_TEXT.get(parse.intensity or "")
            or ("perfume" if _understood(parse) else request.query))
        constraints = build_constraints(parse, self._taxonomy, self._facets, self._labels)
        return Plan(request, query, constraints,
                    exclusions, exclusion_filter(filters, exclusions),
                    reference, message, embed, frozenset(asked),
                    None if message else self._notice(request, query),
                    build_avoided(parse, self._taxonomy, self._facets,
                                  by_notes=reference is None),
                    build_preferred(parse, self._taxonomy, self._facets), anchor)

    def unknown_notes(self, notes: Sequence[str]) -> list[str]:
        """The notes of a filter that name no note of the catalogue, by any of its names."""
        known = self._taxonomy.vocabulary
        return [note for note in notes if not self._note_names(note) & known]

    def _note_names(self, note: str) -> frozenset[str]:
        """The catalogue's names of a note a filter gives: its synonyms and the notes ending
        in it, of the note as written and of its singular ("roses": rose), and of its
        English words when it is written in another script ("ваниль", "バニラ": a filter
        of them matched nothing, or excluded nothing); for a note none of whose names the
        catalogue knows, those of the notes the query parser reads in it ("vanila",
        "bourbon vanilla": vanilla; a filter of them excluded nothing, silently)."""
        names = self._written_names(note)
        if names & self._taxonomy.vocabulary:
            return names
        return names.union(*map(self._written_names, self._read_notes(note)))

    def _written_names(self, note: str) -> frozenset[str]:
        english = english_of(note).lower()
        return frozenset().union(*(self._taxonomy.expand(form) for form in {
            note, singular(note), english, singular(english)}))

    def filter_notice(self, request: SearchRequest) -> str | None:
        """How the filters' notes that name no catalogue note as written were read, and
        that an excluded one read as nothing excludes nothing."""
        lines: list[str] = []
        known = self._taxonomy.vocabulary
        if request.filters.record_kind != "perfume":  # a material's notes are its names
            return None
        for name in ("notes_include", "notes_exclude"):
            for note in getattr(request.filters, name):
                if self._written_names(note) & known:
                    continue
                read = [n for n in self._read_notes(note) if self._written_names(n) & known]
                if read:
                    more = f" and {len(read) - 6} more" if len(read) > 6 else ""
                    lines.append(f"filters.{name} {note!r} was read as "
                                 f"{', '.join(map(repr, read[:6]))}{more}.")
                elif name == "notes_exclude":
                    lines.append(f"filters.notes_exclude {note!r} names no note of the "
                                 "catalogue: it excludes nothing.")
        return " ".join(lines) or None

    def _lone_name(self, parse: QueryParse) -> str | None:
        """The perfume a query names and asks nothing else of (no note, family, mood,
        season, occasion, gender or intensity; exclusions may come with it), in any of its
        editions; None for several perfumes or none."""
        if not parse.named_exactly or parse.notes or parse.characters or parse.moods \
                or parse.occasions or parse.genders or parse.seasons or parse.intensity \
                or parse.avoid:
            return None
        lines = {self._names.lines[i] for i in parse.named_exactly}
        return parse.named_exactly[0] if len(lines) == 1 else None

    def _notice(self, request: SearchRequest, query: InterpretedQuery) -> str | None:
        """What the result's message leads with: the simile, the ignored price, and that
        nothing was understood (see the module doc)."""
        parse = query.parse
        searchable = request.similar_to is not None or _understood(parse) or (
            not self._vocabulary[request.filters.record_kind].isdisjoint(query.terms))
        lost = None if searchable else NOT_UNDERSTOOD
        return " ".join(n for n in (_simile_notice(parse), _price_notice(parse),
                                    _intensity_notice(parse),
                                    _limits_notice(request, query), lost,
                                    self.filter_notice(request),
                                    self._clash_notice(request, parse)) if n) or None

    def _clash_notice(self, request: SearchRequest, parse: QueryParse) -> str | None:
        """A note the query asks for that the request's own `filters.notes_exclude` leaves
        out: the answer said only "0 of 5 hits meet every constraint; the others relax:
        note: vanilla", as if the catalogue had none (two filters that clash are a 422)."""
        excluded = {note: self._note_names(note) for note in request.filters.notes_exclude}
        clashes = [(asked, note) for options in parse.notes for asked in options
                   for note, names in excluded.items()
                   if names and set(self._taxonomy.expand(asked)) & names]
        if not clashes:
            return None
        said = ", ".join(f"{asked!r} (excluded as {note!r})"
                         for asked, note in dict.fromkeys(clashes))
        return (f"The query asks for {said}, which filters.notes_exclude leaves out: the "
                "filter wins, so no hit has it.")

    def sharing_notes(self, reference: str, wanted: PayloadFilter | None) -> list[str]:
        """The perfumes that share at least two notes with `reference` and pass `wanted`:
        the candidates of a "like" request besides its nearest vectors."""
        shared = Counter(i for note in self._catalog.perfume(reference).notes
                         for i in self._facets.having("note", (note,)))
        return sorted(i for i, n in shared.items() if n >= 2 and (
            wanted is None or wanted.matches(self._payloads[i])))

    def _reference(self, request: SearchRequest,
                   query: InterpretedQuery) -> tuple[str | None, str | None]:
        if request.similar_to is not None:
            if request.similar_to in self._labels:
                return request.similar_to, None
            return None, f"No perfume with id {request.similar_to!r} in the catalogue."
        found = query.parse.reference
        if found is None or found.id is not None:
            return (found.id if found else None), None
        hint = f" Did you mean: {', '.join(found.suggestions)}?" if found.suggestions else ""
        return None, f"No perfume in the catalogue matches {found.text!r}.{hint}"

    def interpreted(self, plan: Plan) -> dict[str, Any]:
        """What the query was understood to ask, JSON-safe, every key always present."""
        parse, query = plan.query.parse, plan.query
        found = parse.reference
        reference = None
        if plan.reference or found:
            perfume = self._catalog.perfume(plan.reference) if plan.reference else None
            reference = {"query": found.text if found else plan.request.similar_to,
                         "id": plan.reference, "name": perfume.name if perfume else None,
                         "brand": perfume.brand if perfume else None,
                         "suggestions": list(found.suggestions) if found else []}
        return {"lang": query.lang, "english": query.english,
                "notes": [" or ".join(options) for options in parse.notes],
                "excluded_notes": list(parse.excluded_notes),
                "excluded_notes_expanded": sorted(plan.exclusions.notes),
                "families": list(parse.characters),
                "excluded_families": list(parse.excluded_characters),
                "genders": list(parse.genders), "excluded_genders": list(parse.excluded_genders),
                "seasons": list(parse.seasons), "moods": list(parse.moods),
                "occasions": list(parse.occasions), "intensity": parse.intensity,
                "brands": list(parse.brands), "perfumes": self._named(parse.named),
                "excluded_perfumes": self._named(parse.excluded_perfumes),
                "avoid": [f"{kind}: {value}" for kind, value in parse.avoid],
                "prefer": [f"{kind}: {value}" for kind, value in parse.prefer],
                "reference": reference, "constraints": [c.label for c in plan.constraints],
                "untranslated": list(query.untranslated),
                "corrected": {typed: read for typed, read in parse.corrections}}

    def _named(self, ids: Sequence[str]) -> list[str]:
        return list(dict.fromkeys(self._labels[i] for i in ids))

    def explanation(self, plan: Plan, perfume_id: str, met: Sequence[bool],
                    shared: Sequence[str] = ()) -> dict[str, Any]:
        """Why a perfume is a hit: the asked notes it has, the constraints it meets and the
        ones relaxed for it, and for "like X" the notes it shares with X."""
        notes = self._catalog.perfume(perfume_id).notes
        found: dict[str, Any] = {
            "matched_notes": [note for note in notes if note in plan.asked_notes],
            "meets": [c.label for c, ok in zip(plan.constraints, met, strict=True) if ok],
            "relaxed": [c.label for c, ok in zip(plan.constraints, met, strict=True) if not ok]}
        if plan.reference:
            found["shared_notes"] = list(shared)
            found["like"] = self._labels[plan.reference]
        return found
