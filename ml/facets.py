"""Facet hints: the seasons, genders, families, notes and moods an English query mentions.

Hints are soft (they boost matching records, see `ml.ranking`); hard constraints come only
from explicit `SearchFilters`. Notes and moods are matched against the catalogue's own
vocabulary, multi-word notes first (`lily of the valley`, `tonka bean`), plurals folded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ml.tokens import singular, tokenize
from ml.vocabulary import (
    FAMILY_PHRASES,
    FAMILY_TERMS,
    GENDER_TERMS,
    MOOD_ALIASES,
    NOTE_ALIASES,
    SEASON_TERMS,
)

MAX_PHRASE = 4


@dataclass(frozen=True)
class FacetHints:
    seasons: frozenset[str] = frozenset()
    genders: frozenset[str] = frozenset()
    families: frozenset[str] = frozenset()
    notes: frozenset[str] = frozenset()
    moods: frozenset[str] = frozenset()

    def is_empty(self) -> bool:
        return not (self.seasons or self.genders or self.families or self.notes or self.moods)

    def to_dict(self) -> dict[str, list[str]]:
        return {"season": sorted(self.seasons), "gender": sorted(self.genders),
                "family": sorted(self.families), "notes": sorted(self.notes),
                "mood": sorted(self.moods)}


@dataclass(frozen=True)
class FacetVocabulary:
    """Note phrases (as token tuples) and mood words known to the catalogue."""

    notes: dict[tuple[str, ...], str] = field(default_factory=dict)
    moods: frozenset[str] = frozenset()

    @classmethod
    def build(cls, notes: Iterable[str], moods: Iterable[str]) -> FacetVocabulary:
        phrases = {tuple(tokenize(note)): note for note in notes if tokenize(note)}
        for alias, note in NOTE_ALIASES.items():
            phrases.setdefault(tuple(tokenize(alias)), note)
        return cls(phrases, frozenset(moods))


def _note_at(tokens: Sequence[str], start: int, vocabulary: FacetVocabulary) -> tuple[str, int]:
    """The longest note phrase starting at `start` (plural last word allowed), and its size."""
    for size in range(min(MAX_PHRASE, len(tokens) - start), 0, -1):
        words = tuple(tokens[start:start + size])
        for candidate in (words, (*words[:-1], singular(words[-1]))):
            if candidate in vocabulary.notes:
                return vocabulary.notes[candidate], size
    return "", 1


def extract_notes(tokens: Sequence[str], vocabulary: FacetVocabulary) -> set[str]:
    notes: set[str] = set()
    position = 0
    while position < len(tokens):
        note, size = _note_at(tokens, position, vocabulary)
        if note:
            notes.add(note)
        position += size
    return notes


def extract_families(tokens: Sequence[str]) -> set[str]:
    families: set[str] = set()
    position = 0
    while position < len(tokens):
        pair = tuple(tokens[position:position + 2])
        if pair in FAMILY_PHRASES:
            families.update(FAMILY_PHRASES[pair])
            position += 2
            continue
        families.update(FAMILY_TERMS.get(tokens[position], ()))
        position += 1
    return families


def _moods(tokens: Sequence[str], known: frozenset[str]) -> set[str]:
    moods = {MOOD_ALIASES.get(token, token) for token in tokens}
    return {mood for mood in moods if mood in known}


def extract_hints(text: str, vocabulary: FacetVocabulary) -> FacetHints:
    """The facets an English text mentions (empty hints when it mentions none)."""
    tokens = tokenize(text)
    return FacetHints(
        seasons=frozenset(SEASON_TERMS[t] for t in tokens if t in SEASON_TERMS),
        genders=frozenset(GENDER_TERMS[t] for t in tokens if t in GENDER_TERMS),
        families=frozenset(extract_families(tokens)),
        notes=frozenset(extract_notes(tokens, vocabulary)),
        moods=frozenset(_moods(tokens, vocabulary.moods)),
    )
