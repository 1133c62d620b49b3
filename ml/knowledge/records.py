"""Typed records of the knowledge base: `Perfume` and `Material` rows (see SCHEMA.md).

`from_row` accepts a decoded JSON row, normalises note and tag strings to lower case and
raises `RecordError` naming the row when a required field is missing or has the wrong type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class RecordError(ValueError):
    """A knowledge-base row does not follow SCHEMA.md."""


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RecordError(f"row {row.get('id')!r}: {key!r} must be a non-empty string")
    return value.strip()


def _optional_text(row: Mapping[str, Any], key: str) -> str | None:
    value = row.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _tags(row: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = row.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RecordError(f"row {row.get('id')!r}: {key!r} must be a list of strings")
    return tuple(item.strip().lower() for item in value if item.strip())


@dataclass(frozen=True)
class Perfume:
    id: str
    name: str
    brand: str
    year: int | None
    family: str
    subfamily: str | None
    top_notes: tuple[str, ...]
    heart_notes: tuple[str, ...]
    base_notes: tuple[str, ...]
    season: tuple[str, ...]
    gender: str
    concentration: str | None
    mood: tuple[str, ...]
    description: str
    source_url: str | None
    verified: bool = False
    perfumers: tuple[str, ...] = ()

    @property
    def notes(self) -> tuple[str, ...]:
        """All notes, top to base, without duplicates."""
        return tuple(dict.fromkeys(self.top_notes + self.heart_notes + self.base_notes))

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Perfume:
        year = row.get("year")
        return cls(
            id=_text(row, "id"), name=_text(row, "name"), brand=_text(row, "brand"),
            year=year if isinstance(year, int) else None,
            family=_text(row, "family").lower(), subfamily=_optional_text(row, "subfamily"),
            top_notes=_tags(row, "top_notes"), heart_notes=_tags(row, "heart_notes"),
            base_notes=_tags(row, "base_notes"), season=_tags(row, "season"),
            gender=_text(row, "gender").lower(),
            concentration=_optional_text(row, "concentration"), mood=_tags(row, "mood"),
            description=_optional_text(row, "description") or "",
            source_url=_optional_text(row, "source_url"),
            verified=row.get("verified") is True,
            perfumers=tuple(str(name).strip() for name in row.get("perfumers") or ()),
        )


@dataclass(frozen=True)
class Material:
    id: str
    name: str
    synonyms: tuple[str, ...]
    cas: tuple[str, ...]
    type: str | None
    odor_family: str
    descriptors: tuple[str, ...]
    note_position: str | None
    source_url: str | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Material:
        cas = row.get("cas") or []
        return cls(
            id=_text(row, "id"), name=_text(row, "name"), synonyms=_tags(row, "synonyms"),
            cas=tuple(cas) if isinstance(cas, list) else (str(cas),),
            type=_optional_text(row, "type"), odor_family=_text(row, "odor_family").lower(),
            descriptors=_tags(row, "descriptors"),
            note_position=_optional_text(row, "note_position"),
            source_url=_optional_text(row, "source_url"),
        )
