"""Set percentages by constraint solving (bounded water-filling per pyramid position).

Constraints, hard first: every rule of the compiled rule set (single-substance, group and
additive limits, IFRA and EU; direct use plus NCS constituents at their upper bounds) stays at
or below ``(1 - headroom)`` of its limit in the finished product; no material above
``max_single_pct`` nor above the top of its typical use range (more is a formula no
perfumer would write: a trace material at 20 % is a fault however legal); position shares hit
their targets; each material stays at or above the bottom of its typical use range where the
targets allow (soft: a material without a typical range gets ``DEFAULT_USE``, widened step
by step when the targets need more).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ml.recipe.compliance import RuleBook
from ml.recipe.materials import POSITIONS, Material
from ml.recipe.rules import Rules

DEFAULT_USE = (0.5, 10.0)
STEP = 0.01  # formulas are written in hundredths of a percent
SAFETY = 0.97  # aim a little under the headroom line so 2-decimal rounding cannot cross it
MIN_PCT = 0.05
WIDEN = (1.0, 1.5, 2.5, 4.0, math.inf)  # the last step leaves only the hard caps


class DosingError(ValueError):
    """The picked materials cannot meet the constraints."""


@dataclass(frozen=True)
class Line:
    material: Material
    weight: float  # relative preference for share within its position


def rule_cap(material: Material, compiled: RuleBook, dose: float, rules: Rules) -> float:
    """Highest % in the concentrate this material alone may reach under every rule (with
    headroom and the rounding margin), and under ``max_single_pct``; 0 if unusable."""
    cap = compiled.cap(material.id, dose, rules.ifra_headroom, SAFETY)
    return min(cap, rules.max_single_pct * SAFETY)


def use_cap(material: Material) -> float:
    """The top of the material's typical use range, on the 0.01 grid a formula is written
    in (rounding a smaller amount can then never cross it); unbounded when the catalogue
    gives no range."""
    if material.typical_use_pct is None:
        return math.inf
    return math.floor(material.typical_use_pct[1] / STEP + 1e-9) * STEP


def formula_cap(material: Material, compiled: RuleBook, dose: float, rules: Rules) -> float:
    """The most the formulator gives a material: its cap under every rule (``rule_cap``)
    and the top of its typical use range (``use_cap``)."""
    return min(rule_cap(material, compiled, dose, rules), use_cap(material))


def solve(
    lines: Sequence[Line], shares: Mapping[str, float], compiled: RuleBook, dose: float,
    rules: Rules, ceilings: Mapping[str, float] | None = None,
    caps: Mapping[str, float] | None = None,
) -> dict[str, float]:  # fmt: skip
    """Material id -> % of the concentrate (unrounded, summing to 100).

    ``ceilings`` lowers some materials' caps (the caller's answer to rounding overshoot);
    ``caps`` are precomputed single-material caps (``formula_cap``) when the caller has them.
    """
    ceilings = ceilings or {}
    limits = {
        ln.material.id: min(caps[ln.material.id] if caps is not None
                            else formula_cap(ln.material, compiled, dose, rules),
                            ceilings.get(ln.material.id, math.inf))
        for ln in lines
    }  # fmt: skip
    for _ in range(12):
        amounts = _fill(lines, _feasible_shares(lines, shares, limits), limits)
        over = compiled.excess(amounts, dose, rules.ifra_headroom, SAFETY)
        if not over:
            return amounts
        for factor, sources in over:
            for material_id in sources:
                limits[material_id] = min(limits[material_id], amounts[material_id] * factor)
    raise DosingError("could not meet shared limits")


def excess(
    amounts: Mapping[str, float], compiled: RuleBook, dose: float, rules: Rules,
    safety: float = SAFETY,
) -> list[tuple[float, set[str]]]:  # fmt: skip
    """``(factor, contributors)`` for each rule above ``safety`` x its headroom line."""
    return compiled.excess(amounts, dose, rules.ifra_headroom, safety)


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
        bounds = [_bounds(ln.material, caps[ln.material.id], widen) for ln in group]
        low = math.fsum(b[0] for b in bounds)
        high = math.fsum(b[1] for b in bounds)
        if low > share:
            bounds = [(min(MIN_PCT, hi), hi) for _, hi in bounds]
            low = math.fsum(b[0] for b in bounds)
        if low <= share <= high:
            values = water_fill([ln.weight for ln in group], bounds, share)
            return {ln.material.id: v for ln, v in zip(group, values, strict=True)}
    raise DosingError(f"no feasible split for a share of {share:.2f} %")


def _bounds(material: Material, cap: float, widen: float) -> tuple[float, float]:
    use_low, use_high = material.typical_use_pct or DEFAULT_USE
    high = cap if math.isinf(widen) else min(cap, max(use_high * widen, MIN_PCT))
    return (min(max(use_low, MIN_PCT), high), high)


def water_fill(
    weights: Sequence[float], bounds: Sequence[tuple[float, float]], share: float
) -> list[float]:
    """``x_i = clip(lam * w_i, low_i, high_i)`` with ``lam`` such that ``Σ x_i = share``.

    Exact: the sum is piecewise linear and non-decreasing in ``lam`` with breakpoints at
    ``low_i / w_i`` and ``high_i / w_i``; find the bracketing breakpoints and interpolate.
    The caller guarantees ``Σ low <= share <= Σ high`` and positive weights.
    """

    def total(lam: float) -> float:
        return math.fsum(min(max(lam * w, lo), hi)
                         for w, (lo, hi) in zip(weights, bounds, strict=True))  # fmt: skip

    points = sorted({b / w for w, pair in zip(weights, bounds, strict=True) for b in pair if w > 0})
    lo_lam, lo_sum = 0.0, total(0.0)
    if lo_sum >= share:
        return [lo for lo, _ in bounds]
    for lam in points:
        value = total(lam)
        if value >= share:
            if value > lo_sum:
                lam = lo_lam + (lam - lo_lam) * (share - lo_sum) / (value - lo_sum)
            return [min(max(lam * w, lo), hi) for w, (lo, hi) in zip(weights, bounds, strict=True)]
        lo_lam, lo_sum = lam, value
    return [hi for _, hi in bounds]
