"""What the index and the lexical signal hold for each catalogue record.

A `Document` has the text that is embedded, the payload stored with the vector (what hard
filters and hits read) and the lexical terms. Changing any of these changes search
results, so bump `DOCUMENT_FORMAT` with them: it is part of the index stamp.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ml.knowledge import Catalog, Material, Perfume
from ml.tokens import content_tokens, singular
from ml.vocabulary import FAMILY_WORDS, GENDER_WORDS

DOCUMENT_FORMAT = 2
Kind = Literal["perfume", "material"]
KINDS: tuple[Kind, ...] = ("perfume", "material")


@dataclass(frozen=True)
class Document:
    id: str
    kind: Kind
    text: str
    payload: Mapping[str, Any]
    terms: tuple[str, ...]


def _terms(*texts: str) -> tuple[str, ...]:
    return tuple(singular(token) for text in texts for token in content_tokens(text))


def perfume_text(perfume: Perfume) -> str:
    """Embedding text: name, brand, family words, notes, season, gender, moods, description."""
    family = FAMILY_WORDS.get(perfume.family, perfume.family.replace("_", " "))
    subfamily = f", {perfume.subfamily.replace('_', ' ')}" if perfume.subfamily else ""
    return (f"{perfume.name} by {perfume.brand}. A {family}{subfamily} fragrance. "
            f"Notes: {', '.join(perfume.notes)}. Seasons: {', '.join(perfume.season)}. "
            f"{GENDER_WORDS.get(perfume.gender, perfume.gender)}. "
            f"Mood: {', '.join(perfume.mood)}. {perfume.description}")


def perfume_document(perfume: Perfume) -> Document:
    notes = " ".join(perfume.notes)
    terms = _terms(perfume.name, perfume.brand, FAMILY_WORDS.get(perfume.family, ""),
                   (perfume.subfamily or "").replace("_", " "), notes, notes,
                   " ".join(perfume.mood), " ".join(perfume.season),
                   GENDER_WORDS.get(perfume.gender, ""), perfume.description)
    payload = {"kind": "perfume", "name": perfume.name, "brand": perfume.brand,
               "family": perfume.family, "subfamily": perfume.subfamily,
               "concentration": perfume.concentration, "season": list(perfume.season),
               "gender": perfume.gender, "notes": list(perfume.notes), "mood": list(perfume.mood),
               "year": perfume.year}
    return Document(perfume.id, "perfume", perfume_text(perfume), payload, terms)


def material_names(material: Material) -> list[str]:
    return list(dict.fromkeys([material.name.lower(), *material.synonyms]))


def material_document(material: Material) -> Document:
    names = material_names(material)
    text = (f"{material.name} ({', '.join(material.synonyms)}). A {material.odor_family} "
            f"perfumery material, {material.note_position or 'any'} note. "
            f"Odor: {', '.join(material.descriptors)}.")
    terms = _terms(" ".join(names), material.odor_family, " ".join(material.descriptors),
                   material.note_position or "")
    payload = {"kind": "material", "name": material.name, "names": names,
               "odor_family": material.odor_family, "note_position": material.note_position,
               "cas": list(material.cas)}
    return Document(material.id, "material", text, payload, terms)


def documents(catalog: Catalog, kind: Kind) -> list[Document]:
    if kind == "perfume":
        return [perfume_document(perfume) for perfume in catalog.perfumes]
    return [material_document(material) for material in catalog.materials]
