"""Note-pyramid arithmetic: shares of top, heart and base within soft bands."""

from __future__ import annotations

import math
from collections.abc import Mapping

from ml.recipe.materials import POSITIONS
from ml.recipe.rules import Rules


def rebalance_shares(shares: Mapping[str, float], rules: Rules) -> dict[str, float]:
    """Nearest shares (summing to 100) that lie inside the bands.

    A position with no material keeps 0. When the bands cannot all be met (for example only
    two positions are present) the result is as close as the occupied positions allow.
    """
    occupied = [p for p in POSITIONS if shares.get(p, 0.0) > 0]
    bands = {p: rules.band(p) if p in occupied else (0.0, 0.0) for p in POSITIONS}
    if len(occupied) == 1:
        bands[occupied[0]] = (100.0, 100.0)
    targets = {p: min(max(shares.get(p, 0.0), bands[p][0]), bands[p][1]) for p in POSITIONS}
    missing = 100.0 - math.fsum(targets.values())
    for _ in range(3):  # each pass fills or drains the room left; three suffice for 3 positions
        if abs(missing) < 1e-9:
            break
        missing = _spread(targets, bands, occupied, missing)
    if abs(missing) >= 1e-9 and occupied:  # bands infeasible: let the last position absorb it
        targets[occupied[-1]] += missing
    return targets


def _spread(
    targets: dict[str, float],
    bands: Mapping[str, tuple[float, float]],
    occupied: list[str],
    missing: float,
) -> float:
    room = {
        p: (bands[p][1] - targets[p]) if missing > 0 else (targets[p] - bands[p][0])
        for p in occupied
    }
    total_room = math.fsum(room.values())
    if total_room <= 0:
        return missing
    moved = min(abs(missing), total_room)
    sign = 1.0 if missing > 0 else -1.0
    for p in occupied:
        targets[p] += sign * moved * room[p] / total_room
    return missing - sign * moved
