"""Raw-material records read from ``ml/knowledge/materials.json`` (see SCHEMA.md).

The recipe package reads the file itself so it does not depend on the search code.
Rows with missing optional fields get safe defaults; a row without an id, a name or a
valid note position is rejected with a ``ValueError`` naming the row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "knowledge" / "materials.json"
POSITIONS = ("top", "heart", "base")
# Odor-family spellings seen in data, folded into SCHEMA.md's vocabulary.
ODOR_FAMILY_ALIASES = {"woods": "woody", "wood": "woody", "water": "aquatic", "marine": "aquatic"}


_NOT_A_WORD = re.compile(r"[^0-9a-z\u3131-\ud7a3]+")


def normalise_term(text: str) -> str:
    """Lower-case, collapse punctuation and whitespace: the form used for name matching."""
    return _NOT_A_WORD.sub(" ", text.lower()).strip()


@dataclass(frozen=True)
class IfraRule:
    """An IFRA standard for Category 4 (fine fragrance); limits are % of the finished product."""

    type: str  # restriction | prohibition | specification
    cat4_limit_pct: float | None
    note: str = ""
    standard: str = ""  # e.g. IFRA_STD_087
    amendment: str = ""  # e.g. 51st
    verified: str = "unverified"  # text | secondary | derived | unverified
    how: str = ""  # how the value was checked, or why it could not be

    @property
    def prohibited(self) -> bool:
        return self.type == "prohibition"

    @property
    def limited(self) -> bool:
        return self.type == "restriction" and self.cat4_limit_pct is not None


@dataclass(frozen=True)
class Material:
    id: str
    name: str
    note_position: str
    odor_family: str = ""
    type: str = "molecule"
    synonyms: tuple[str, ...] = ()
    cas: tuple[str, ...] = ()
    descriptors: tuple[str, ...] = ()
    typical_use_pct: tuple[float, float] | None = None
    ifra: IfraRule | None = None
    eu_allergen: str | None = None
    eu_banned: bool = False
    constituents: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def forbidden(self) -> bool:
        """Prohibited by IFRA or banned in the EU: never usable."""
        return self.eu_banned or (self.ifra is not None and self.ifra.prohibited)

    def terms(self) -> tuple[str, ...]:
        """Normalised id, name and synonyms: what a note name can match."""
        return self._names.terms

    def matches(self, key: str) -> bool:
        """True if the normalised note `key` names this material (id, name, synonym, or a
        run of whole words of one) or is one of its descriptors (as a reference perfume's
        note is matched)."""
        return key in self._names.phrases

    def hits(self, keys: Mapping[str, int]) -> int:
        """How many of the normalised notes (note -> times listed) name or describe this
        material, counted as ``matches`` counts each: a note listed by three references
        counts three times."""
        return sum(keys[key] for key in self._names.phrases.intersection(keys))

    def match_rank(self, key: str) -> int | None:
        """How well the normalised note `key`, as a person asked for it, names this
        material, lower is better: 0 one of its names, 1 a run of whole words of a name,
        2 a run that only names the plant whose leaves it comes from ("cedar" of "cedar
        leaf oil": the cedar note is the wood), 3 + i its i-th descriptor or the noun of that
        adjective ("musk" for musky; the first descriptors are the most characteristic);
        None when it does not match."""
        names = self._names
        if not key:
            return None
        if key in names.terms:
            return 0
        if key in names.runs:
            return 1 if key not in names.modifiers else 2
        position = names.descriptors.get(key)
        return None if position is None else 3 + position

    @cached_property
    def _names(self) -> _Names:
        """Normalised once per material: matching a brief's and its references' notes
        against every candidate would otherwise normalise the same names a million times."""
        raw = (self.id.replace("-", " "), self.name, *self.synonyms)
        terms = tuple(normalise_term(t) for t in raw if t)
        own_runs = frozenset(run for term in terms[:2] for run in _runs(term))
        runs = set(own_runs).union(*(_runs(term) for term in terms[2:]))
        runs.discard("")
        # runs followed by "leaf" in every term they occur in ("cedar" of "cedar leaf
        # oil"): they name the plant, not what the material smells of
        modifiers = {run for run in runs if all(_modifies(run, term) for term in terms
                                                if f" {run} " in f" {term} ")}
        described = [normalise_term(d) for d in self.descriptors]
        descriptors: dict[str, int] = {}
        for index, descriptor in enumerate(described):
            for form in (descriptor, *_nouns_of(descriptor)):
                descriptors.setdefault(form, index)
        descriptors.pop("", None)
        # the last word of a descriptor of several: Hedione's "transparent jasmine" smells
        # of jasmine, a "black pepper" of pepper (`smells_of`)
        # ("bois de rose", linalool, is rosewood: a phrase of joined words has no such head)
        heads = {form for descriptor in described if len(words := descriptor.split()) > 1
                 and len(words[-1]) > 2 and not JOINING_WORDS.intersection(words)
                 for form in (words[-1], *_nouns_of(words[-1]))}
        return _Names(terms, frozenset(runs), frozenset(modifiers), descriptors,
                      frozenset(runs) | (frozenset(described) - {""}), own_runs,
                      frozenset(heads))

    @property
    def name_runs(self) -> frozenset[str]:
        """Every run of whole words of its id, name and synonyms (what `name_rank` ranks)."""
        return self._names.runs

    def smells_of(self, key: str) -> bool:
        """True if the normalised note `key` names or describes this material
        (`match_rank`), or is the last word of one of its descriptors ("jasmine" of
        Hedione's "transparent jasmine"): what an excluded note removes. Not a way to find
        a material for a wished note, where a note's known materials come first."""
        return self.match_rank(key) is not None or key in self._names.heads

    def name_rank(self, key: str) -> int | None:
        """How well the normalised `key`, a name written in a formula, names this material,
        lower is better: 0 one of its names, 1 a run of whole words of its id or name, 2 of
        a synonym, 3 a run that only names the plant whose leaves it comes from; None when
        it does not (descriptors never name a material in a formula: "jasmine" is no
        Hedione, though Hedione is described "transparent jasmine")."""
        names = self._names
        if not key:
            return None
        if key in names.terms:
            return 0
        if key not in names.runs:
            return None
        if key in names.modifiers:
            return 3
        return 1 if key in names.own_runs else 2


# A material from a plant's leaves smells of the leaves, not of the note the plant is
# known by: "cedar" is cedarwood, not cedar leaf oil; "cinnamon" the bark, not the leaf.
# (Other parts are what the note is: a pine note is pine needles, cassis the buds.)
PLANT_PARTS = frozenset({"leaf", "leaves"})


def _modifies(run: str, term: str) -> bool:
    """True when each time `run` occurs in `term` a plant part (`PLANT_PARTS`) follows it."""
    words, size = term.split(" "), len(run.split(" "))
    places = [start for start in range(len(words) - size + 1)
              if " ".join(words[start:start + size]) == run]
    return all(start + size < len(words) and words[start + size] in PLANT_PARTS
               for start in places)


def _nouns_of(descriptor: str) -> tuple[str, ...]:
    """The note a descriptor adjective comes from, so a note finds (and an excluded note
    removes) the materials described by it: musky -> musk, woody -> wood, smoky -> smoke,
    salty -> salt."""
    if len(descriptor) < 5 or not descriptor.endswith("y") or " " in descriptor:
        return ()
    return (descriptor[:-1], descriptor[:-1] + "e")


def _runs(term: str) -> set[str]:
    """Every run of whole words of a normalised term."""
    words = term.split(" ")
    return {" ".join(words[start:end]) for start in range(len(words))
            for end in range(start + 1, len(words) + 1)}


class _Names(NamedTuple):
    terms: tuple[str, ...]
    runs: frozenset[str]  # every run of whole words of a term
    modifiers: frozenset[str]  # the runs that only name the plant of its leaves (match_rank)
    # normalised descriptors and the nouns of adjectives (musky -> musk) -> their position
    descriptors: dict[str, int]
    phrases: frozenset[str]  # what a reference's note may be: the runs and the descriptors
    own_runs: frozenset[str]  # the runs of its id and its name, not of its synonyms
    heads: frozenset[str]  # the last words of its descriptors of several words (smells_of)


def _pair(value: Any, what: str) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(f"{what}: expected [low, high], got {value!r}")
    low, high = float(value[0]), float(value[1])
    return (min(low, high), max(low, high))


def _odor_family(value: Any) -> str:
    family = str(value or "").strip().lower()
    return ODOR_FAMILY_ALIASES.get(family, family)


def _ifra(value: Any) -> IfraRule | None:
    if not value:
        return None
    limit = value.get("cat4_limit_pct")
    return IfraRule(
        type=str(value.get("type", "")).lower(),
        cat4_limit_pct=None if limit is None else float(limit),
        note=str(value.get("note", "")),
        standard=str(value.get("standard", "")),
        amendment=str(value.get("amendment", "")),
        verified=str(value.get("verified", "unverified")),
        how=str(value.get("how", "")),
    )


def material_from_row(row: Mapping[str, Any]) -> Material:
    """Build a ``Material`` from one JSON row; raises ``ValueError`` for an unusable row."""
    ident, name = row.get("id"), row.get("name")
    if not ident or not name:
        raise ValueError(f"material row without id or name: {dict(row)!r:.120}")
    position = str(row.get("note_position", "")).lower()
    if position not in POSITIONS:
        raise ValueError(f"material {ident!r}: note_position must be one of {POSITIONS}")
    use = row.get("typical_use_pct")
    return Material(
        id=str(ident),
        name=str(name),
        note_position=position,
        odor_family=_odor_family(row.get("odor_family")),
        type=str(row.get("type") or "molecule").lower(),
        synonyms=tuple(str(s) for s in row.get("synonyms") or ()),
        cas=tuple(str(c) for c in row.get("cas") or ()),
        descriptors=tuple(str(d).lower() for d in row.get("descriptors") or ()),
        typical_use_pct=None if use is None else _pair(use, f"{ident}.typical_use_pct"),
        ifra=_ifra(row.get("ifra")),
        eu_allergen=None if row.get("eu_allergen") is None else str(row["eu_allergen"]),
        eu_banned=bool(row.get("eu_banned", False)),
        constituents={
            str(k): _pair(v, f"{ident}.constituents.{k}")
            for k, v in (row.get("constituents") or {}).items()
        },
    )


class MaterialBook:
    """An immutable, id-keyed collection of materials with name resolution."""

    def __init__(self, materials: Iterable[Material]) -> None:
        self._by_id: dict[str, Material] = {}
        self._by_term: dict[str, Material] = {}
        for material in materials:
            if material.id in self._by_id:
                raise ValueError(f"duplicate material id {material.id!r}")
            self._by_id[material.id] = material
        for material in self._by_id.values():  # ids and names win over synonyms
            for term in (*material.terms(), *(normalise_term(c) for c in material.cas)):
                self._by_term.setdefault(term, material)

    @cached_property
    def _by_run(self) -> dict[str, list[Material]]:
        """Each run of whole words of a material's names -> those materials, in the book's
        order: `read` ranks these, not every material of the book for every name."""
        index: dict[str, list[Material]] = {}
        for material in self._by_id.values():
            for run in material.name_runs:
                index.setdefault(run, []).append(material)
        return index

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> MaterialBook:
        return cls(material_from_row(row) for row in rows)

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Material]:
        return iter(self._by_id.values())

    def __contains__(self, material_id: object) -> bool:
        return material_id in self._by_id

    def get(self, material_id: str) -> Material | None:
        return self._by_id.get(material_id)

    def ids(self) -> list[str]:
        return list(self._by_id)

    def resolve(self, name: str) -> Material | None:
        """The material whose id, name, synonym or CAS number equals ``name`` (normalised)."""
        return self._by_id.get(name) or self._by_term.get(normalise_term(name))

    def read(self, name: str) -> tuple[Material, ...]:
        """The materials a name written in a formula stands for: the one ``resolve`` finds;
        else those the name fits best as whole words of their names ("oakmoss" is "Oakmoss
        absolute (low atranol)", "Aldehyde C-12 MNA" the one of that name), tried as
        written, without the words of a grade ("clove oil": clove), then as one word ("oak
        moss"). More than one when the name fits several as well ("rose": the otto and
        the absolute, which a check must not choose between); none when it fits none."""
        exact = self.resolve(name)
        if exact is not None:
            return (exact,)
        for key in _reading_keys(normalise_term(name)):
            ranked = [(rank, material) for material in self._by_run.get(key, ())
                      if (rank := material.name_rank(key)) is not None]
            if ranked:
                best = min(rank for rank, _ in ranked)
                return tuple(material for rank, material in ranked if rank == best)
        return ()


# words that say a material's grade, not what it is: "clove oil" is a clove material
GRADE_WORDS = frozenset({"oil", "oils", "essential", "absolute", "abs", "resinoid", "resin",
                         "extract", "concrete", "tincture", "otto", "co2", "natural", "eo"})
# the words that join the words of a name ("lily of the valley", "bois de rose")
JOINING_WORDS = frozenset({"of", "the", "a", "an", "and", "de", "du", "des", "la", "le", "d"})


def _reading_keys(form: str) -> list[str]:
    """The forms of a formula's name to look up in turn (`MaterialBook.read`); a form of
    grade or joining words only ("oil", "absolute") or of one character names nothing."""
    words = form.split()
    bare = " ".join(word for word in words if word not in GRADE_WORDS)
    keys = [form, bare, form.replace(" ", ""), bare.replace(" ", "")]
    return [key for key in dict.fromkeys(keys)
            if len(key) > 1 and not set(key.split()) <= GRADE_WORDS | JOINING_WORDS]


def load_materials(path: str | Path | None = None) -> MaterialBook:
    """Read ``materials.json`` (default: the shipped knowledge base).

    Raises ``FileNotFoundError`` when absent and ``ValueError`` when it is not a JSON list
    of valid rows.
    """
    source = Path(path) if path is not None else DEFAULT_PATH
    try:
        rows = json.loads(source.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{source}: not valid JSON ({exc})") from exc
    if not isinstance(rows, list):
        raise ValueError(f"{source}: expected a JSON list of materials")
    return MaterialBook.from_rows(rows)
