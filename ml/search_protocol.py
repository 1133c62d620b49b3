"""Search requests and results: the plain values that cross into and out of the pipeline.

`SearchFilters` are hard constraints (a record that fails one is never returned);
validation errors raise ValueError with a message fit for a job's error field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ml.documents import Kind
from ml.facets import FacetHints
from ml.vector_index import Condition, PayloadFilter
from ml.vocabulary import FAMILIES, GENDERS, ODOR_FAMILIES, SEASONS

SEARCH_TYPES = ("hybrid", "similarity", "keyword")
MAX_TOP_K = 1000


def _clean(values: list[str] | tuple[str, ...] | None, name: str) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"filters.{name} must be a list of strings")
    return [v.strip().lower() for v in values if v.strip()]


def _check(values: list[str], allowed: tuple[str, ...], name: str) -> None:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValueError(f"filters.{name}: unknown value(s) {unknown}; allowed: {list(allowed)}")


@dataclass
class SearchFilters:
    """All optional. `family` is a wheel family slug for perfumes and an odor family for
    materials; season/gender apply to perfumes only; `notes_include` requires EVERY note
    listed, `notes_exclude` rejects records with ANY (for materials: their names)."""

    family: list[str] = field(default_factory=list)
    season: list[str] = field(default_factory=list)
    gender: list[str] = field(default_factory=list)
    notes_include: list[str] = field(default_factory=list)
    notes_exclude: list[str] = field(default_factory=list)
    kind: Kind | None = None

    def __post_init__(self) -> None:
        for name in ("family", "season", "gender", "notes_include", "notes_exclude"):
            setattr(self, name, _clean(getattr(self, name), name))
        if self.kind not in (None, "perfume", "material"):
            raise ValueError(f"filters.kind must be 'perfume' or 'material', not {self.kind!r}")
        _check(self.family, ODOR_FAMILIES if self.kind == "material" else FAMILIES, "family")
        _check(self.season, SEASONS, "season")
        _check(self.gender, GENDERS, "gender")

    @property
    def record_kind(self) -> Kind:
        return self.kind or "perfume"

    def payload_filter(self, names: Callable[[str], Iterable[str]] | None = None
                       ) -> PayloadFilter | None:
        """These filters as payload conditions (see `ml.documents` payloads); None if none.
        `names`: the catalogue's names of a note as written ("tonka": tonka bean, coumarin;
        "roses": rose), any of which a record may carry; else the note only."""
        notes_field = "names" if self.record_kind == "material" else "notes"
        if self.record_kind == "material":
            must = [Condition("odor_family", tuple(self.family))] if self.family else []
        else:
            must = [Condition(name, tuple(getattr(self, name)))
                    for name in ("family", "season", "gender") if getattr(self, name)]

        def written(note: str) -> tuple[str, ...]:
            return tuple(sorted({note, *names(note)})) if names else (note,)

        must += [Condition(notes_field, written(note)) for note in self.notes_include]
        excluded = sorted({name for note in self.notes_exclude for name in written(note)})
        must_not = [Condition(notes_field, tuple(excluded))] if excluded else []
        return PayloadFilter(tuple(must), tuple(must_not)) if must or must_not else None


@dataclass(frozen=True)
class SearchRequest:
    """A search. `similar_to` (a perfume id) asks for perfumes that smell like it, the query
    then being optional; `include_editions` keeps the reference's own editions in."""

    query: str
    top_k: int = 10
    search_type: str = "hybrid"
    filters: SearchFilters = field(default_factory=SearchFilters)
    similar_to: str | None = None
    include_editions: bool = False

    def __post_init__(self) -> None:
        if self.similar_to is not None and (not isinstance(self.similar_to, str)
                                            or not self.similar_to.strip()):
            raise ValueError("similar_to must be a non-empty perfume id")
        if not isinstance(self.query, str) or not (self.query.strip() or self.similar_to):
            raise ValueError("query must be a non-empty string")
        if not 1 <= self.top_k <= MAX_TOP_K:
            raise ValueError(f"top_k must be between 1 and {MAX_TOP_K}")
        if self.search_type not in SEARCH_TYPES:
            raise ValueError(f"search_type must be one of {list(SEARCH_TYPES)}")
        if self.filters is None:
            object.__setattr__(self, "filters", SearchFilters())


@dataclass(frozen=True)
class SearchHit:
    id: str
    kind: Kind
    score: float
    payload: Mapping[str, Any]
    matched_notes: tuple[str, ...] = ()
    notes: Mapping[str, list[str]] | None = None
    explanation: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        p = self.payload
        if self.kind == "material":
            return {"id": self.id, "kind": "material", "name": p["name"], "cas": list(p["cas"]),
                    "odor_family": p["odor_family"], "note_position": p["note_position"],
                    "score": self.score}
        return {"id": self.id, "kind": "perfume", "name": p["name"], "brand": p["brand"],
                "family": p["family"], "score": self.score,
                "matched_notes": list(self.matched_notes), "season": list(p["season"]),
                "gender": p["gender"], "year": p["year"], "notes": dict(self.notes or {}),
                "explanation": dict(self.explanation or {})}


@dataclass(frozen=True)
class SearchResult:
    """`interpreted` is what the query was understood to ask (see `ml.planning`);
    `relaxed` the constraints some hits do not meet (fewer perfumes met them all than
    asked for); `message` says why a result is empty or partial, in a sentence."""

    query: str
    interpreted_query: str
    lang: str
    search_type: str
    model_version: str
    hints: FacetHints
    hits: tuple[SearchHit, ...]
    interpreted: Mapping[str, Any] = field(default_factory=dict)
    relaxed: tuple[str, ...] = ()
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: strings, numbers, lists and dicts only."""
        return {"query": self.query, "interpreted_query": self.interpreted_query,
                "lang": self.lang, "search_type": self.search_type,
                "model_version": self.model_version, "hints": self.hints.to_dict(),
                "interpreted": dict(self.interpreted), "relaxed": list(self.relaxed),
                "message": self.message, "hits": [hit.to_dict() for hit in self.hits]}
