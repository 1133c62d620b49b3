"""Relevance scores and the order of hits (pure functions, documented weights).

Relevance per search type:
- hybrid score = 0.50 * vector + 0.20 * lexical + 0.30 * facets, where
  - vector:  cosine similarity of the query and the record (the embedding model); a record
             found only lexically gets the lowest cosine among the vector candidates (its
             true cosine is no higher, or it would have been a candidate);
  - lexical: BM25 of the query terms, divided by the best BM25 among the candidates (0..1);
  - facets:  the mean, over the facet kinds the query hints at, of how well the record
             matches: season (any hinted season), gender (1 exact, 0.5 for unisex against a
             gendered hint), family (family in the hinted families), notes (share of hinted
             notes present), mood (share of hinted moods present), perfume (1 for a
             perfume the query writes out in full, 0.5 for another of its line: "Aventus"
             ranks Aventus above Aventus for Her), intensity (`tenacity`: how long the
             record lasts for a strong wish, how little for a light one). 0 when there
             are no hints, so an
             unhinted query is ranked by vector and lexical signals alone;
- similarity: the cosine alone; keyword: BM25 alone; "like X": `ml.likeness`.
A perfume carrying something the query avoids ("not too sweet") loses up to 30 % of it (half
that for one with only a little of it: vanilla in a perfume not tagged sweet); one having
what a comparison prefers ("like Black Opium but fresher") gains up to 30 %.

Order (`order`): hits meeting every stated constraint come first, best relevance first.
When fewer than `top_k` meet them all, the others follow ranked by which constraints they
meet, in the constraints' priority order (a hit that keeps the notes but misses the mood
beats one that keeps the mood but misses the notes), then by relevance.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ml.constraints import Constraint
from ml.facets import FacetHints
from ml.vocabulary import ODOR_FAMILIES

AVOID_PENALTY = 0.30
PREFER_BONUS = 0.30
Ranked = list[tuple[str, float, tuple[bool, ...]]]


@dataclass(frozen=True)
class FusionWeights:
    vector: float = 0.50
    lexical: float = 0.20
    facets: float = 0.30

    def fuse(self, vector: float, lexical: float, facets: float) -> float:
        return self.vector * vector + self.lexical * lexical + self.facets * facets


def _share(wanted: frozenset[str], present: Iterable[str]) -> float:
    return len(wanted.intersection(present)) / len(wanted)


def _gender_match(wanted: frozenset[str], gender: str) -> float:
    if gender in wanted:
        return 1.0
    return 0.5 if gender == "unisex" or "unisex" in wanted else 0.0


# How long a family lasts on skin, from the fresh end of the Fragrance Wheel (0: citrus and
# water notes are the most volatile) to the rich end (1: ambers, resins, dry woods):
# perceived freshness and substantivity are strongly anti-correlated. With the
# concentration (the share of perfume oil), it orders the perfumes a "long lasting" or a
# "light" wish allows, which the query's words alone ranked at random (a citrus cologne
# first for "long lasting perfume").
FAMILY_TENACITY = {
    "citrus": 0.0, "water": 0.0, "green": 0.25, "aromatic": 0.25, "fruity": 0.25,
    "floral": 0.5, "soft_floral": 0.5, "floral_amber": 0.75, "woods": 0.75,
    "mossy_woods": 0.75, "dry_woods": 1.0, "soft_amber": 1.0, "amber": 1.0, "woody_amber": 1.0,
}
CONCENTRATION_TENACITY = {"parfum": 1.0, "edp": 0.75, "edt": 0.4, "edc": 0.0}
FAMILY_SHARE = 0.6  # of tenacity; the concentration has the rest


def tenacity(payload: Mapping[str, Any]) -> float:
    """0..1: how long a perfume lasts, by its family and its concentration (0.5 unknown)."""
    family = FAMILY_TENACITY.get(payload.get("family") or "", 0.5)
    concentration = CONCENTRATION_TENACITY.get(payload.get("concentration") or "", 0.5)
    return FAMILY_SHARE * family + (1 - FAMILY_SHARE) * concentration


def _named_match(hints: FacetHints, perfume_id: str) -> float:
    if perfume_id in hints.perfumes:
        return 1.0
    return 0.5 if perfume_id in hints.lines else 0.0


def perfume_facet_score(payload: Mapping[str, Any], hints: FacetHints,
                        perfume_id: str = "") -> float:
    """0..1: how well a perfume (its payload and id) matches the hinted facets (0 without
    hints)."""
    parts: list[float] = []
    if hints.lines:
        parts.append(_named_match(hints, perfume_id))
    if hints.seasons:
        parts.append(float(not hints.seasons.isdisjoint(payload["season"])))
    if hints.genders:
        parts.append(_gender_match(hints.genders, payload["gender"]))
    if hints.families:
        parts.append(float(payload["family"] in hints.families))
    if hints.notes:
        parts.append(_share(hints.notes, payload["notes"]))
    if hints.moods:
        parts.append(_share(hints.moods, payload["mood"]))
    if hints.intensity:
        lasting = tenacity(payload)
        parts.append(lasting if hints.intensity == "strong" else 1.0 - lasting)
    return sum(parts) / len(parts) if parts else 0.0


def material_facet_score(payload: Mapping[str, Any], hints: FacetHints,
                         terms: Iterable[str]) -> float:
    """0..1: hinted notes among the material's names; odor family named in the query."""
    parts: list[float] = []
    if hints.notes:
        parts.append(float(not hints.notes.isdisjoint(payload["names"])))
    families = {term for term in terms if term in ODOR_FAMILIES}
    if families:
        parts.append(float(payload["odor_family"] in families))
    return sum(parts) / len(parts) if parts else 0.0


def avoided(score: float, share: float) -> float:
    """`score` lowered for a perfume holding `share` (0..1) of what the query avoids."""
    return score * (1.0 - AVOID_PENALTY * share)


def preferred(score: float, share: float) -> float:
    """`score` raised for a perfume holding `share` (0..1) of what the query prefers."""
    return score * (1.0 + PREFER_BONUS * share)


def order(relevance: Mapping[str, float], constraints: Sequence[Constraint],
          top_k: int) -> Ranked:
    """The best `top_k` ids with their relevance and which constraints each meets (see the
    module doc). Deterministic: ties go to the smaller id."""
    best = _best(relevance.items(), top_k)
    if not constraints:
        return [(i, score, ()) for i, score in best]
    every = frozenset.intersection(*(c.members for c in constraints))
    chosen = _best(((i, s) for i, s in relevance.items() if i in every), top_k)
    if len(chosen) < top_k:
        # Too few meet every constraint: the rest by what each misses, the misses of
        # higher-priority constraints weighing more (a bit each, highest first), then by
        # relevance as everywhere.
        misses = dict.fromkeys((i for i in relevance if i not in every), 0)
        for n, constraint in enumerate(reversed(constraints)):
            for i in misses.keys() - constraint.members:
                misses[i] += 1 << n
        rest = heapq.nsmallest(top_k - len(chosen), misses,
                               key=lambda i: (misses[i], -relevance[i], i))
        chosen += [(i, relevance[i]) for i in rest]
    return [(i, score, tuple(i in c.members for c in constraints)) for i, score in chosen]


def _best(items: Iterable[tuple[str, float]], k: int) -> list[tuple[str, float]]:
    """The `k` highest scores, ties to the smaller id."""
    return heapq.nsmallest(k, items, key=lambda item: (-item[1], item[0]))


def meets_all(ranked: Ranked) -> int:
    """How many ranked hits meet every constraint."""
    return sum(all(met) for _, _, met in ranked)


def matched_notes(notes: Iterable[str], wanted: Iterable[str]) -> list[str]:
    """The record's notes (in pyramid order) that the query or the filters asked for."""
    asked = set(wanted)
    return [note for note in notes if note in asked]
