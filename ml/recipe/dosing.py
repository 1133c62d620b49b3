"""Set percentages by constraint solving (bounded water-filling per pyramid position).

Constraints, hard first: every restricted substance (direct use plus NCS constituents, upper
bounds) stays at or below ``(1 - headroom)`` of its IFRA limit in the finished product; no
material above ``max_single_pct``; position shares hit their targets; each material stays in
its typical use range where the targets allow (soft: widened step by step when they do not).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ml.recipe.exposure import SubstanceLoad, contributions, limit_of, substance_loads
from ml.recipe.materials import POSITIONS, Material, MaterialBook
from ml.recipe.rules import Rules

DEFAULT_USE = (0.5, 10.0)
SAFETY = 0.97  # aim a little under the headroom line so 2-decimal rounding cannot cross it
MIN_PCT = 0.05
WIDEN = (1.0, 1.5, 2.5, 4.0, math.inf)  # the last step leaves only the hard caps


class DosingError(ValueError):
    """The picked materials cannot meet the constraints."""


@dataclass(frozen=True)
class Line:
    material: Material
    weight: float  # relative preference for share within its position


def ifra_cap(material: Material, book: MaterialBook, dose: float, rules: Rules) -> float:
    """Highest % in the concentrate this material alone may reach (0 if it carries a
    prohibited substance)."""
    cap = rules.max_single_pct * SAFETY
    for key, _, fraction in contributions(material, book):
        target = book.get(key)
        limit = None if target is None else limit_of(SubstanceLoad(key, target.name, target))
        if limit is not None and fraction > 0:
            allowed = limit * (1 - rules.ifra_headroom) * SAFETY * 100.0 / dose
            cap = min(cap, allowed / fraction)
    return cap


def solve(
    lines: Sequence[Line], shares: Mapping[str, float], book: MaterialBook, dose: float,
    rules: Rules, ceilings: Mapping[str, float] | None = None,
) -> dict[str, float]:  # fmt: skip
    """Material id -> % of the concentrate (unrounded, summing to 100).

    ``ceilings`` lowers some materials' caps (the caller's answer to rounding overshoot).
    """
    ceilings = ceilings or {}
    caps = {
        ln.material.id: min(ifra_cap(ln.material, book, dose, rules),
                            ceilings.get(ln.material.id, math.inf))
        for ln in lines
    }  # fmt: skip
    for _ in range(12):
        amounts = _fill(lines, _feasible_shares(lines, shares, caps), caps)
        over = excess(amounts, book, dose, rules)
        if not over:
            return amounts
        for factor, sources in over:
            for material_id in sources:
                caps[material_id] = min(caps[material_id], amounts[material_id] * factor)
    raise DosingError("could not meet shared IFRA limits")


def _feasible_shares(
    lines: Sequence[Line], shares: Mapping[str, float], caps: Mapping[str, float]
) -> dict[str, float]:
    capacity = {p: math.fsum(caps[ln.material.id] for ln in lines
                             if ln.material.note_position == p) for p in POSITIONS}  # fmt: skip
    if math.fsum(capacity.values()) < 100.0:
        raise DosingError("the picked materials cannot reach 100 % within their limits")
    target = {p: min(shares[p], capacity[p]) for p in POSITIONS}
    missing = 100.0 - math.fsum(target.values())
    room = {p: capacity[p] - target[p] for p in POSITIONS}
    total_room = math.fsum(room.values())
    return {p: target[p] + missing * room[p] / total_room if total_room else target[p]
            for p in POSITIONS}  # fmt: skip


def _fill(
    lines: Sequence[Line], shares: Mapping[str, float], caps: Mapping[str, float]
) -> dict[str, float]:
    amounts: dict[str, float] = {}
    for position in POSITIONS:
        group = [ln for ln in lines if ln.material.note_position == position]
        if group:
            amounts.update(_fill_position(group, shares[position], caps))
    return amounts


def _fill_position(
    group: Sequence[Line], share: float, caps: Mapping[str, float]
) -> dict[str, float]:
    for widen in WIDEN:
        bounds = {ln.material.id: _bounds(ln.material, caps[ln.material.id], widen) for ln in group}
        low = math.fsum(b[0] for b in bounds.values())
        high = math.fsum(b[1] for b in bounds.values())
        if low > share:
            bounds = {k: (min(MIN_PCT, hi), hi) for k, (_, hi) in bounds.items()}
            low = math.fsum(b[0] for b in bounds.values())
        if low <= share <= high:
            return _water_fill(group, bounds, share)
    raise DosingError(f"no feasible split for a share of {share:.2f} %")


def _bounds(material: Material, cap: float, widen: float) -> tuple[float, float]:
    use_low, use_high = material.typical_use_pct or DEFAULT_USE
    high = cap if math.isinf(widen) else min(cap, max(use_high * widen, MIN_PCT))
    return (min(max(use_low, MIN_PCT), high), high)


def _water_fill(
    group: Sequence[Line], bounds: Mapping[str, tuple[float, float]], share: float
) -> dict[str, float]:
    """x_i = clip(lam * w_i, low_i, high_i) with lam found by bisection so that sum = share."""

    def at(lam: float) -> dict[str, float]:
        return {ln.material.id: min(max(lam * ln.weight, bounds[ln.material.id][0]),
                                    bounds[ln.material.id][1]) for ln in group}  # fmt: skip

    lo, hi = 0.0, 1.0
    while math.fsum(at(hi).values()) < share and hi < 1e12:
        hi *= 2
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if math.fsum(at(mid).values()) < share else (lo, mid)
    return at(hi)


def excess(
    amounts: Mapping[str, float], book: MaterialBook, dose: float, rules: Rules,
    safety: float = SAFETY,
) -> list[tuple[float, set[str]]]:  # fmt: skip
    """``(factor, contributors)`` for each substance above ``safety`` x its headroom line."""
    over = []
    for load in substance_loads(amounts, book).values():
        limit = limit_of(load)
        if limit is None:
            continue
        target = limit * (1 - rules.ifra_headroom) * safety
        finished = load.finished_pct(dose)
        if finished > target:
            over.append((target / finished, set(load.sources)))
    return over
