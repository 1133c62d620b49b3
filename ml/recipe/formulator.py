"""The built-in CPU back end: brief + reference notes + material data -> a valid formula.

It plans within every rule of the compiled rule set for the brief's product (IFRA and EU,
constituents, groups and the phototoxic sum included), keeping each rule's headroom, and
keeps every material within the top of its typical use range; it uses
the FCF grade of a material where one exists (no phototoxic expressed bergamot) and never a
material that is prohibited or banned. Deterministic: the same brief (seed included),
references and materials give the same formula.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Mapping, Sequence
from typing import Any

from ml.recipe import profiles
from ml.recipe.brief import Brief
from ml.recipe.compliance import RuleBook, rulebook
from ml.recipe.concentration import CONCENTRATIONS
from ml.recipe.dosing import MIN_PCT, STEP, DosingError, Line, excess, formula_cap, solve
from ml.recipe.formula import Formula, Ingredient
from ml.recipe.materials import POSITIONS, Material, MaterialBook
from ml.recipe.naming import describe, name_formula
from ml.recipe.proportions import to_hundred
from ml.recipe.regulation import ProductContext, Regulation
from ml.recipe.rules import DEFAULT_RULES, Rules
from ml.recipe.selection import (
    MAX_MATERIALS,
    Pick,
    accord_materials,
    core_families,
    excluded,
    required_materials,
    sample,
    score_materials,
    within_limits,
)
from ml.recipe.validator import validate

MIN_COUNT = 10
GAP_ROUNDS = 3
VERSION = "formulator-4"


class FormulationError(ValueError):
    """No valid formula could be composed for this brief (the message says why)."""


class Formulator:
    """Composes formulas by weighted material selection and constraint solving."""

    version = VERSION

    def __init__(
        self, materials: MaterialBook, rules: Rules = DEFAULT_RULES,
        regulation: Regulation | None = None,
    ) -> None:  # fmt: skip
        self.materials = materials
        self.rules = rules
        self.regulation = regulation
        # (context, dose) -> material id -> cap under every rule and its typical use
        self._caps: dict[tuple[ProductContext, float], dict[str, float]] = {}
        self._usable: dict[ProductContext, list[Material]] = {}

    def _compiled(self, brief: Brief) -> RuleBook:
        return rulebook(self.materials, brief.product_context, self.regulation)

    def _cap_table(self, compiled: RuleBook, dose: float) -> dict[str, float]:
        key = (compiled.context, dose)
        table = self._caps.get(key)
        if table is None:
            table = self._caps[key] = {m.id: formula_cap(m, compiled, dose, self.rules)
                                       for m in self.materials}  # fmt: skip
        return table

    def formulate(self, brief: Brief, references: Sequence[Mapping[str, Any]] = ()) -> Formula:
        """A formula that passes ``validate``; raises ``FormulationError`` otherwise."""
        rng = random.Random(json.dumps(brief.to_dict(), sort_keys=True, ensure_ascii=False))
        dose = CONCENTRATIONS[str(brief.concentration)].default_pct
        compiled = self._compiled(brief)
        caps = self._cap_table(compiled, dose)
        candidates, required = self._candidates(brief, compiled, caps)
        scores = score_materials(brief, candidates, references)
        picks = self._top_up(sample(candidates, required, scores, rng, core_families(brief)),
                             candidates, scores)
        shares = self._shares(brief, rng)
        picks = self._with_capacity(picks, candidates, scores, shares, caps)
        self._check_room(brief, candidates, picks, caps)
        lines = [Line(p.material, _weight(p, rng)) for p in picks]
        amounts = self._dose(lines, shares, compiled, dose, caps)
        for _ in range(GAP_ROUNDS):  # limits shared between picks can leave a tier short
            short = [pos for pos in POSITIONS if _share(amounts, picks, pos) < shares[pos] - 1.0]
            extra = self._spares(short, picks, candidates, scores, compiled)
            if not extra:
                break
            picks = picks + extra
            lines = lines + [Line(p.material, _weight(p, rng)) for p in extra]
            amounts = self._dose(lines, shares, compiled, dose, caps)
        formula = self._assemble(brief, picks, amounts, dose, rng)
        report = validate(formula, self.materials, self.rules, regulation=self.regulation,
                          detail=False)  # fmt: skip
        if not report.valid:
            raise FormulationError("; ".join(f.message for f in report.violations))
        return formula

    def _dose(
        self, lines: Sequence[Line], shares: Mapping[str, float], compiled: RuleBook,
        dose: float, caps: Mapping[str, float],
    ) -> dict[str, float]:  # fmt: skip
        """Solve, round to 0.01 and re-solve with tighter caps if rounding crossed the
        headroom line (small amounts of tightly limited materials move most)."""
        ceilings: dict[str, float] = {}
        for _ in range(6):
            try:
                exact = solve(lines, shares, compiled, dose, self.rules, ceilings, caps)
            except DosingError as exc:
                raise FormulationError(str(exc)) from exc
            rounded = dict(zip(exact, to_hundred(list(exact.values())), strict=True))
            over = excess(rounded, compiled, dose, self.rules, safety=1.0)
            if not over:
                return rounded
            for factor, sources in over:
                for material_id in sources:
                    ceilings[material_id] = exact[material_id] * factor * 0.95
        raise FormulationError("could not keep the limits' headroom after rounding")

    def _candidates(
        self, brief: Brief, compiled: RuleBook, caps: Mapping[str, float]
    ) -> tuple[list[Material], list[Material]]:
        """Usable materials (not prohibited or banned, not replaced by a safer grade, able to
        carry a meaningful amount within every limit) that the brief does not exclude, and
        among them the materials of its requested notes (`required_materials`). A
        requested note's material needs only room for the smallest amount a formula can
        write (0.01 %): a potent material under a tight limit (safranal for saffron, 0.012 %
        of the product: 0.04 % of a parfum's concentrate) is used in traces, as perfumers
        use it."""
        usable = self._usable.get(compiled.context)
        if usable is None:
            usable = self._usable[compiled.context] = [
                m for m in self.materials
                if not m.forbidden and m.id not in compiled.unusable
                and m.id not in compiled.grades
            ]  # fmt: skip
        limits = brief.material_limits
        allowed = [m for m in usable if caps[m.id] >= STEP and not excluded(m, brief)
                   and within_limits(m, limits, compiled)]
        required = required_materials(brief, allowed, usable)
        requested = {m.id for m in required}
        candidates = [m for m in allowed if caps[m.id] >= 2 * MIN_PCT or m.id in requested]
        accord = [m for m in accord_materials(brief, candidates) if m.id not in requested]
        return candidates, required + accord

    def _check_room(
        self, brief: Brief, candidates: Sequence[Material], picks: Sequence[Pick],
        caps: Mapping[str, float],
    ) -> None:  # fmt: skip
        """Refuse, saying why, a brief whose materials cannot make a plausible formula:
        within their limits and typical use levels they cannot fill the concentrate, or a
        pyramid position's band (a brief excluding most families), so the formula would be
        a few potent materials at many times their use level; or the picks, as many as a
        formula holds, cannot fill it."""
        whose = "notes_exclude leaves" if brief.notes_exclude else "the brief allows"
        pool = _room(candidates, caps)
        lows = {p: self.rules.band(p)[0] for p in POSITIONS}
        if math.fsum(pool.values()) < 100.0 or any(pool[p] < lows[p] for p in POSITIONS):
            raise FormulationError(_too_few(
                brief, f"the {len(candidates)} materials {whose}", pool, lows))
        held = _room([p.material for p in picks], caps)
        if math.fsum(held.values()) < 100.0:
            raise FormulationError(_too_few(
                brief, f"the {len(picks)} picked of the {len(candidates)} materials {whose}",
                held, lows))

    def _top_up(
        self, picks: list[Pick], candidates: Sequence[Material], scores: Mapping[str, float]
    ) -> list[Pick]:
        chosen = {p.material.id for p in picks}
        spare = sorted((m for m in candidates if m.id not in chosen),
                       key=lambda m: (-scores[m.id], m.id))  # fmt: skip
        picks = picks + [Pick(m, scores[m.id]) for m in spare[: max(0, MIN_COUNT - len(picks))]]
        if len(picks) < self.rules.min_materials:
            raise FormulationError(
                f"only {len(picks)} usable materials match the brief; "
                f"need at least {self.rules.min_materials}"
            )
        return picks

    def _with_capacity(
        self, picks: list[Pick], candidates: Sequence[Material], scores: Mapping[str, float],
        shares: Mapping[str, float], caps: Mapping[str, float],
    ) -> list[Pick]:  # fmt: skip
        """Add spare materials to any position whose caps cannot hold its target share (with
        margin for limits shared between materials). Each addition is the spare adding the
        most preference-weighted room (`_room_gain`): the best-scoring spare while any spare
        covers what is missing, a bulk material (hedione, Iso E Super) before a potent one
        held to traces by its typical use when the position is far short. When the formula
        is full, the addition takes the place of the position's sampled pick of least room."""
        picks = list(picks)
        chosen = {p.material.id for p in picks}
        for position in POSITIONS:
            spare = [m for m in candidates if m.note_position == position and m.id not in chosen]
            room = sum(caps[p.material.id]
                       for p in picks if p.material.note_position == position)  # fmt: skip
            while room < 1.5 * shares[position] and spare:
                missing = 1.5 * shares[position] - room
                material = min(spare, key=lambda m: _room_gain(m, missing, scores, caps))
                spare.remove(material)
                if len(picks) >= MAX_MATERIALS:
                    weakest = _least_room(picks, position, caps)
                    if weakest is None or caps[weakest.material.id] >= caps[material.id]:
                        break
                    picks.remove(weakest)
                    room -= caps[weakest.material.id]
                picks.append(Pick(material, scores[material.id]))
                chosen.add(material.id)
                room += caps[material.id]
        return picks

    def _spares(
        self, positions: Sequence[str], picks: Sequence[Pick], candidates: Sequence[Material],
        scores: Mapping[str, float], compiled: RuleBook,
    ) -> list[Pick]:  # fmt: skip
        """For each short position, the best-scoring unpicked material that no limit binds
        (else the best-scoring one), while the formula has room for more materials."""
        chosen = {p.material.id for p in picks}
        extra: list[Pick] = []
        for position in positions:
            if len(picks) + len(extra) >= MAX_MATERIALS:
                break
            spare = [m for m in candidates if m.note_position == position and m.id not in chosen]
            if not spare:
                continue
            best = min(spare, key=lambda m: (bool(compiled.material_coefs.get(m.id)),
                                             -scores[m.id], m.id))  # fmt: skip
            extra.append(Pick(best, scores[best.id]))
            chosen.add(best.id)
        return extra

    def _shares(self, brief: Brief, rng: random.Random) -> dict[str, float]:
        top, heart, base = profiles.PYRAMID[brief.intensity]
        tilt = 6.0 if brief.fragrance_family in profiles.TOP_HEAVY else 0.0
        tilt -= 5.0 if brief.fragrance_family in profiles.BASE_HEAVY else 0.0
        raw = {"top": top + tilt + rng.uniform(-4, 4), "heart": heart + rng.uniform(-4, 4),
               "base": base - tilt + rng.uniform(-4, 4)}  # fmt: skip
        bands = {p: self.rules.band(p) for p in POSITIONS}
        clamped = {p: min(max(raw[p], bands[p][0] + 3), bands[p][1] - 3) for p in POSITIONS}
        total = sum(clamped.values())
        return {p: 100.0 * v / total for p, v in clamped.items()}

    def _assemble(
        self, brief: Brief, picks: Sequence[Pick], amounts: Mapping[str, float], dose: float,
        rng: random.Random,
    ) -> Formula:  # fmt: skip
        order = sorted(picks, key=lambda p: (POSITIONS.index(p.material.note_position),
                                             -amounts[p.material.id], p.material.id))  # fmt: skip
        pcts = [amounts[p.material.id] for p in order]
        ingredients = [Ingredient(p.material.id, p.material.name, pct, p.material.note_position)
                       for p, pct in zip(order, pcts, strict=True)]  # fmt: skip
        by_position = {pos: [p.material for p in order if p.material.note_position == pos]
                       for pos in POSITIONS}  # fmt: skip
        return Formula(
            name=name_formula(brief, rng),
            description=describe(brief, by_position),
            concentration=str(brief.concentration),
            dose_pct=dose,
            ingredients=tuple(ingredients),
            product_category=brief.product_context.category,
            product_type=brief.product_context.product_type,
        )


def _share(amounts: Mapping[str, float], picks: Sequence[Pick], position: str) -> float:
    return sum(amounts[p.material.id] for p in picks if p.material.note_position == position)


def _room(materials: Sequence[Material], caps: Mapping[str, float]) -> dict[str, float]:
    """Position -> the most the materials can hold there (the sum of their caps)."""
    return {p: math.fsum(caps[m.id] for m in materials if m.note_position == p)
            for p in POSITIONS}  # fmt: skip


def _too_few(
    brief: Brief, which: str, room: Mapping[str, float], lows: Mapping[str, float]
) -> str:  # fmt: skip
    held = ", ".join(f"{p} {room[p]:.1f} %" for p in POSITIONS)
    needed = ", ".join(f"{p} {lows[p]:g} %" for p in POSITIONS)
    return (f"too few materials for a plausible formula: {which} can hold "
            f"{math.fsum(room.values()):.1f} % of the concentrate within their limits and "
            f"typical use levels ({held}); a formula needs 100 % with at least {needed}"
            + ("; exclude fewer notes" if brief.notes_exclude else "")
            + (f"; the mood allows only some materials ({', '.join(brief.material_limits)})"
               if brief.material_limits else ""))


def _room_gain(
    material: Material, missing: float, scores: Mapping[str, float], caps: Mapping[str, float]
) -> tuple[float, float, str]:  # fmt: skip
    """Sort key, best first: the material's score times the part of the missing room it can
    hold, then its score, then its id (deterministic)."""
    score = scores[material.id]
    return (-score * min(caps[material.id], missing), -score, material.id)


def _least_room(
    picks: Sequence[Pick], position: str, caps: Mapping[str, float]
) -> Pick | None:  # fmt: skip
    """The position's sampled (not requested) pick with the smallest cap, or None."""
    sampled = [p for p in picks if p.material.note_position == position and not p.required]
    return min(sampled, key=lambda p: (caps[p.material.id], p.material.id), default=None)


def _weight(pick: Pick, rng: random.Random) -> float:
    low, high = pick.material.typical_use_pct or (0.5, 10.0)
    boost = 1.5 if pick.required else 1.0
    return (low + high) / 2 * pick.score * boost * rng.uniform(0.7, 1.3)
