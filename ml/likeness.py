"""How alike two perfumes smell, for "like X" queries and `POST /search/similar`.

likeness = 0.50 * notes + 0.15 * wheel + 0.35 * embedding, where
- notes: cosine of the two perfumes' note vectors, a note weighing its tier (top 0.6,
  heart 1.0, base 1.0: the heart and base are what stays on skin) times its rarity in the
  catalogue (idf = ln(1 + N / perfumes with the note)), so sharing oud and saffron counts
  for more than sharing bergamot and musk;
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
WEIGHTS = (0.50, 0.15, 0.35)
WHEEL_REACH = 3


def wheel_proximity(family: str, other: str) -> float:
    """1 for the same family, falling by 1/3 per step around the wheel (0 if unknown)."""
    if family not in FAMILIES or other not in FAMILIES:
        return float(family == other)
    steps = abs(FAMILIES.index(family) - FAMILIES.index(other))
    steps = min(steps, len(FAMILIES) - steps)
    return max(0.0, 1.0 - steps / WHEEL_REACH)


class Likeness:
    """Note vectors of a catalogue's perfumes, built once per pipeline."""

    def __init__(self, perfumes: Iterable[Perfume]) -> None:
        perfumes = list(perfumes)
        counts = Counter(note for perfume in perfumes for note in perfume.notes)
        idf = {note: math.log(1 + len(perfumes) / n) for note, n in counts.items()}
        self._families = {p.id: p.family for p in perfumes}
        self._vectors: dict[str, dict[str, float]] = {}
        for perfume in perfumes:
            vector: dict[str, float] = {}
            for tier, weight in TIER_WEIGHTS:
                for note in getattr(perfume, f"{tier}_notes"):
                    vector[note] = max(vector.get(note, 0.0), weight * idf[note])
            self._vectors[perfume.id] = vector
        self._norms = {i: math.sqrt(sum(w * w for w in v.values())) or 1.0
                       for i, v in self._vectors.items()}

    def notes(self, a: str, b: str) -> float:
        """Cosine of the weighted note vectors of perfumes `a` and `b` (0..1)."""
        va, vb = self._vectors[a], self._vectors[b]
        if len(vb) < len(va):
            va, vb = vb, va
        dot = sum(weight * vb[note] for note, weight in va.items() if note in vb)
        return dot / (self._norms[a] * self._norms[b])

    def score(self, a: str, b: str, embedding: float) -> float:
        notes, wheel, vector = WEIGHTS
        return (notes * self.notes(a, b)
                + wheel * wheel_proximity(self._families[a], self._families[b])
                + vector * embedding)

    def shared_notes(self, a: str, b: str) -> list[str]:
        """Notes of both perfumes, by how much each adds to their likeness."""
        va, vb = self._vectors[a], self._vectors[b]
        return sorted((note for note in va if note in vb), key=lambda n: (-va[n] * vb[n], n))
