"""How far apart two spellings are, and how far a typo may go: what the query's spelling
corrector (`ml.spelling`) and the recipe notes' (`ml.recipe.vocabulary`) share. Plain
Python: nothing here loads a model."""

from __future__ import annotations

from collections.abc import Iterable

MIN_LENGTH = 4  # shorter words have too many neighbours to correct
LONG_WORD = 8  # from this length on, two edits are allowed


def edit_distance(word: str, other: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of neighbours is one edit); `limit + 1`
    once it is sure to exceed `limit`."""
    if abs(len(word) - len(other)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(other) + 1))
    for i, char in enumerate(word, 1):
        current = [i]
        for j, other_char in enumerate(other, 1):
            cost = 0 if char == other_char else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if (i > 1 and j > 1 and char == other[j - 2] and word[i - 2] == other_char):
                best = min(best, before[j - 2] + 1)
            current.append(best)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1]


def allowed_edits(word: str) -> int:
    return 2 if len(word) >= LONG_WORD else 1


def nearest(word: str, candidates: Iterable[str]) -> list[str]:
    """The candidates closest to `word`, within `allowed_edits(word)`; [] when none is."""
    limit = allowed_edits(word)
    best, closest = limit + 1, []
    for candidate in candidates:
        distance = edit_distance(word, candidate, limit)
        if distance < best:
            best, closest = distance, [candidate]
        elif distance == best:
            closest.append(candidate)
    return closest if best <= limit else []
