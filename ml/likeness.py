"""How alike two perfumes smell, for "like X" queries and `POST /search/similar`.

likeness = 0.60 * notes + 0.20 * wheel + 0.20 * embedding, where
- notes: weighted Jaccard of the two perfumes' notes (shared weight / weight of all their
  notes, so both how many notes they share and how many they do not count), a note weighing
  its tier (top 0.6, heart 1.0, base 1.0: heart and base are what stays on skin) times its
  damped rarity in the catalogue (sqrt(ln(1 + N / perfumes with the note))): sharing oud
  and saffron counts for more than sharing bergamot and musk, yet one rare note shared by
  a one-note perfume does not make it a twin;
- wheel: 1 for the same Fragrance Wheel family, 2/3 and 1/3 for families one and two steps
  apart on the wheel (it is a circle: fruity sits next to floral), 0 beyond;
- embedding: cosine of the two perfumes' documents (the index's vectors), which brings in
  the description, moods and seasons.
`shared_notes` lists the notes two perfumes share, the most telling first.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from ml.knowledge import Perfume
from ml.vocabulary import FAMILIES

TIER_WEIGHTS = (("top", 0.6), ("heart", 1.0), ("base", 1.0))
WEIGHTS = (0.60, 0.20, 0.20)
WHEEL_REACH = 3


def wheel_steps(family: str, other: str) -> int:
    """Steps between two families around the wheel (unknown families: far apart)."""
    if family not in FAMILIES or other not in FAMILIES:
        return 0 if family == other else len(FAMILIES)
    steps = abs(FAMILIES.index(family) - FAMILIES.index(other))
    return min(steps, len(FAMILIES) - steps)


def wheel_proximity(family: str, other: str) -> float:
    """1 for the same family, falling by 1/3 per step around the wheel."""
    return max(0.0, 1.0 - wheel_steps(family, other) / WHEEL_REACH)


class Likeness:
    """Note vectors of a catalogue's perfumes, built once per pipeline."""

    def __init__(self, perfumes: Iterable[Perfume]) -> None:
        perfumes = list(perfumes)
        counts = Counter(note for perfume in perfumes for note in perfume.notes)
        rarity = {note: math.sqrt(math.log(1 + len(perfumes) / n)) for note, n in counts.items()}
        self._families = {p.id: p.family for p in perfumes}
        self._vectors: dict[str, dict[str, float]] = {}
        for perfume in perfumes:
            vector: dict[str, float] = {}
            for tier, weight in TIER_WEIGHTS:
                for note in getattr(perfume, f"{tier}_notes"):
                    vector[note] = max(vector.get(note, 0.0), weight * rarity[note])
            self._vectors[perfume.id] = vector
        self._totals = {i: sum(v.values()) for i, v in self._vectors.items()}

    def notes(self, a: str, b: str) -> float:
        """Weighted Jaccard of the notes of perfumes `a` and `b` (0..1)."""
        va, vb = self._vectors[a], self._vectors[b]
        common = sum(min(w, vb[n]) for n, w in va.items() if n in vb)
        union = self._totals[a] + self._totals[b] - common  # sum of max over all notes
        return common / union if union else 0.0

    def score(self, a: str, b: str, embedding: float) -> float:
        notes, wheel, vector = WEIGHTS
        return (notes * self.notes(a, b)
                + wheel * wheel_proximity(self._families[a], self._families[b])
                + vector * embedding)

    def shared_notes(self, a: str, b: str) -> list[str]:
        """Notes of both perfumes, by how much each adds to their likeness."""
        va, vb = self._vectors[a], self._vectors[b]
        return sorted((note for note in va if note in vb), key=lambda n: (-va[n] * vb[n], n))
