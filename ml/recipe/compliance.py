"""The rule set compiled for one material book and product context, and the verdict it gives.

Every quantitative rule is linear in the formula: a sum over substances of
``coefficient x % in the finished product`` must stay at or below a limit. A single-substance
limit has one member with coefficient 1; a group limit (moss extracts, rose ketones, carvone)
has several; the phototoxic additivity rule weighs each member by ``1 / its own limit`` and
caps the sum at 1. A substance's % in the finished product is ``Σ pct x content x dose / 100``
over the materials that are it or carry it (constituent upper bounds, Schiff-base releases,
certified grade markers), so each material has one coefficient per rule, compiled once.
That gives the validator its verdict and the formulator and repair their caps.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ml.recipe.materials import Material, MaterialBook, normalise_term
from ml.recipe.regulation import (
    ProductContext,
    Regulation,
    RuleSpec,
    Source,
    shipped_regulation,
)

LINEAR = ("limit", "phototoxic_sum")
EPS = 1e-9
UNIT_PCT = "% of the finished product"
UNIT_SUM = "sum of ratios to each member's own limit"

# Reg. (EC) 1223/2009 Annex III, the original 26: a fallback for NCS constituents whose name
# does not resolve to a material row (the KB's own ``eu_allergen`` field wins when it does).
ORIGINAL_26 = frozenset(normalise_term(n) for n in (
    "amyl cinnamal", "amylcinnamyl alcohol", "anise alcohol", "benzyl alcohol",
    "benzyl benzoate", "benzyl cinnamate", "benzyl salicylate", "cinnamal", "cinnamyl alcohol",
    "citral", "citronellol", "coumarin", "eugenol", "farnesol", "geraniol", "hexyl cinnamal",
    "hydroxycitronellal", "hydroxyisohexyl 3-cyclohexene carboxaldehyde", "isoeugenol",
    "butylphenyl methylpropional", "limonene", "linalool", "methyl 2-octynoate",
    "alpha-isomethyl ionone", "evernia prunastri extract", "evernia furfuracea extract",
))  # fmt: skip


@dataclass(frozen=True)
class Rule:
    """A compiled rule: its row, the limit for the context, and member coefficients."""

    index: int
    spec: RuleSpec
    limit: float | None
    coef: Mapping[str, float]  # substance key -> coefficient (linear kinds)
    member_limits: Mapping[str, float] = field(default_factory=dict)  # phototoxic sum
    code: str = ""

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def linear(self) -> bool:
        return self.spec.kind in LINEAR and self.limit is not None

    def target(self, headroom: float, safety: float = 1.0) -> float:
        return (self.limit or 0.0) * (1.0 - headroom) * safety


@dataclass
class Load:
    """A substance's share of the concentrate and where it comes from."""

    concentrate_pct: float = 0.0
    sources: dict[str, float] = field(default_factory=dict)

    def add(self, material_id: str, pct: float) -> None:
        self.concentrate_pct += pct
        self.sources[material_id] = self.sources.get(material_id, 0.0) + pct


@dataclass
class Evaluation:
    """Everything the validator reports about regulation, for one formula."""

    rows: list[dict[str, Any]] = field(default_factory=list)  # the per-rule verdict
    labelling: list[dict[str, Any]] = field(default_factory=list)
    requirements: list[dict[str, Any]] = field(default_factory=list)  # specifications
    loads: dict[str, Load] = field(default_factory=dict)


class RuleBook:
    """Rules for one (material book, regulation, product context)."""

    def __init__(self, book: MaterialBook, regulation: Regulation, context: ProductContext):
        self.book = book
        self.regulation = regulation
        self.context = context
        self.names: dict[str, str] = {}
        self.contents: dict[str, tuple[tuple[str, float], ...]] = {
            m.id: self._contents(m) for m in book
        }
        self.rules: list[Rule] = []
        self._compile_rules()
        self.substance_rules: dict[str, list[tuple[Rule, float]]] = {}
        for rule in self.rules:
            for key, coef in rule.coef.items():
                self.substance_rules.setdefault(key, []).append((rule, coef))
        self.linear_rules = [r for r in self.rules if r.linear]
        self.material_coefs: dict[str, tuple[tuple[Rule, float], ...]] = {
            m: self._material_coefs(m) for m in self.contents
        }
        self.direct_bans: dict[str, list[Rule]] = {}
        self.presence_bans: dict[str, list[Rule]] = {}
        self._compile_bans()
        self.unusable: dict[str, str] = {m: self._why_unusable(m) for m in self.contents}
        self.unusable = {m: why for m, why in self.unusable.items() if why}
        self.grades = {g.material: g.grade for g in regulation.grades
                       if g.material in book and g.grade in book}  # fmt: skip
        self.labels = self._compile_labels()
        self.label_index: dict[str, list[int]] = {}
        for n, (_, _, keys) in enumerate(self.labels):
            for key in keys:
                self.label_index.setdefault(key, []).append(n)

    # ---- compilation ------------------------------------------------------------------
    def key(self, name: str) -> str:
        """Substance key: a material id when the name resolves to one, else a constituent."""
        if name in self.book:
            return name
        target = self.book.resolve(name)
        if target is not None:
            self.names.setdefault(target.id, target.name)
            return target.id
        key = f"constituent:{normalise_term(name)}"
        self.names.setdefault(key, name)
        return key

    def name(self, key: str) -> str:
        return self.names.get(key) or key.removeprefix("constituent:")

    def _contents(self, material: Material) -> tuple[tuple[str, float], ...]:
        self.names.setdefault(material.id, material.name)
        found: dict[str, float] = {material.id: 1.0}
        for name, (_, high) in material.constituents.items():
            key = self.key(name)
            if key != material.id:
                found[key] = found.get(key, 0.0) + high / 100.0
        for extra in self.regulation.contributions:
            if extra.material == material.id:
                key = self.key(extra.substance)
                found[key] = found.get(key, 0.0) + extra.content_pct / 100.0
        return tuple(found.items())

    def _material_specs(self) -> list[RuleSpec]:
        """Rules from the materials' own ``ifra`` fields, one per standard (materials that
        share a standard and a limit are summed, as the standard's scope says)."""
        covered = {r.source.standard for r in self.regulation.rules}
        covered.update(s for r in self.regulation.rules for s in r.supersedes)
        groups: dict[tuple[str, str, float | None], list[Material]] = {}
        for material in self.book:
            ifra = material.ifra
            if ifra is None or (ifra.standard and ifra.standard in covered):
                continue
            limit = ifra.cat4_limit_pct if ifra.type == "restriction" else None
            standard = ifra.standard or f"IFRA ({material.id})"
            groups.setdefault((ifra.type, standard, limit), []).append(material)
        specs = []
        for (kind, standard, limit), materials in groups.items():
            first = materials[0].ifra
            assert first is not None
            source = Source("IFRA", standard, first.amendment or "unknown", first.verified,
                            first.how)  # fmt: skip
            members = tuple(m.id for m in materials)
            title = " + ".join(m.name for m in materials)
            if kind == "prohibition":
                specs.append(RuleSpec(f"{standard}:{'+'.join(members)}", "prohibition", title,
                                      source, members, note=first.note))  # fmt: skip
            elif kind == "specification":
                specs.append(RuleSpec(f"{standard}:{'+'.join(members)}", "specification", title,
                                      source, members, requirement=first.note))  # fmt: skip
            elif kind == "restriction" and limit is not None:
                specs.append(RuleSpec(f"{standard}:{'+'.join(members)}", "limit", title, source,
                                      members, {"4": limit}, note=first.note))  # fmt: skip
        covered_bans = {m for r in self.regulation.rules if r.kind == "prohibition"
                        and r.authority == "EU" for m in r.members}  # fmt: skip
        for material in self.book:
            if material.eu_banned and material.id not in covered_bans:
                specs.append(RuleSpec(f"EU-banned:{material.id}", "prohibition", material.name,
                                      Source("EU", "Annex II", "Reg. (EC) 1223/2009",
                                             "unverified", "eu_banned flag of materials.json"),
                                      (material.id,)))  # fmt: skip
        return specs

    def _compile_rules(self) -> None:
        specs = self._material_specs() + list(self.regulation.rules)
        own: dict[str, float] = {}  # single-substance IFRA limits, for the phototoxic sum
        for spec in specs:
            if spec.kind == "limit" and spec.authority == "IFRA" and len(spec.members) == 1:
                limit = spec.limit_for(self.context)
                if limit:
                    own[self.key(spec.members[0])] = limit
        for spec in specs:
            keys = list(dict.fromkeys(self.key(m) for m in spec.members))
            limit = spec.limit_for(self.context) if spec.kind in LINEAR else None
            if spec.kind == "phototoxic_sum":
                limits = {k: own[k] for k in keys if k in own}
                coef = {k: 1.0 / v for k, v in limits.items()}
                limit = 1.0 if limit is None else limit
                rule = Rule(len(self.rules), spec, limit, coef, limits, "ifra_phototoxic")
            elif spec.kind == "limit":
                if limit is None:
                    continue  # no value for this category / product type
                code = ("eu_limit" if spec.authority == "EU"
                        else "ifra_limit" if len(keys) == 1 else "ifra_group")  # fmt: skip
                rule = Rule(len(self.rules), spec, limit, dict.fromkeys(keys, 1.0), code=code)
            elif spec.kind == "prohibition":
                rule = Rule(len(self.rules), spec, 0.0, dict.fromkeys(keys, 1.0),
                            code="prohibited")  # fmt: skip
            else:
                rule = Rule(len(self.rules), spec, None, dict.fromkeys(keys, 1.0),
                            code="specification")  # fmt: skip
            self.rules.append(rule)

    def _material_coefs(self, material_id: str) -> tuple[tuple[Rule, float], ...]:
        per_rule: dict[int, float] = {}
        for key, fraction in self.contents[material_id]:
            for rule, coef in self._linear_members(key):
                per_rule[rule.index] = per_rule.get(rule.index, 0.0) + fraction * coef
        return tuple((self.rules[i], c) for i, c in sorted(per_rule.items()) if c > 0)

    def _linear_members(self, key: str) -> Iterable[tuple[Rule, float]]:
        return ((r, c) for r, c in self.substance_rules.get(key, ()) if r.linear)

    def _compile_bans(self) -> None:
        for rule in self.rules:
            natural_only = rule.kind == "limit" and rule.spec.natural_only
            if rule.kind != "prohibition" and not natural_only:
                continue
            for key in rule.coef:
                if key in self.contents:  # a material: its direct use is banned
                    self.direct_bans.setdefault(key, []).append(rule)
                if rule.kind == "prohibition" and rule.spec.scope == "any":
                    self.presence_bans.setdefault(key, []).append(rule)

    def _why_unusable(self, material_id: str) -> str:
        material = self.book.get(material_id)
        if material is not None and material.forbidden:
            return "banned in the EU" if material.eu_banned else "prohibited by IFRA"
        for rule in self.direct_bans.get(material_id, ()):
            return _ban_reason(rule)
        for key, fraction in self.contents[material_id]:
            if fraction > 0 and key in self.presence_bans:
                return f"carries {self.name(key)}, {_ban_reason(self.presence_bans[key][0])}"
        return ""

    def _compile_labels(self) -> list[tuple[str, str, tuple[str, ...]]]:
        labels: list[tuple[str, str, tuple[str, ...]]] = []
        grouped: set[str] = set()
        for entry in self.regulation.labels:
            keys = tuple(dict.fromkeys(self.key(m) for m in entry.members))
            labels.append((entry.name, entry.listing, keys))
            grouped.update(keys)
        keys_seen = {k for contents in self.contents.values() for k, _ in contents}
        for key in sorted(keys_seen - grouped):
            material = self.book.get(key)
            if material is not None and material.eu_allergen:
                labels.append((material.name, material.eu_allergen, (key,)))
            elif material is None and normalise_term(self.name(key)) in ORIGINAL_26:
                labels.append((self.name(key), "26", (key,)))
        return labels

    # ---- use ----------------------------------------------------------------------------
    def declarable(self, material_id: str) -> bool:
        """Whether the material is, or carries, a substance of the EU labelling list."""
        return any(fraction > 0 and key in self.label_index
                   for key, fraction in self.contents.get(material_id, ()))

    def cap(self, material_id: str, dose: float, headroom: float, safety: float = 1.0) -> float:
        """Highest % of the concentrate this material alone may reach (0 if unusable)."""
        if material_id in self.unusable or material_id not in self.contents:
            return 0.0
        cap = math.inf
        for rule, coef in self.material_coefs[material_id]:
            allowed = rule.target(headroom, safety) * 100.0 / (dose * coef)
            cap = min(cap, allowed)
        return cap

    def totals(self, amounts: Mapping[str, float], dose: float) -> dict[int, float]:
        """Rule index -> amount (finished product) for every linear rule the formula touches."""
        return self._totals(amounts, dose)[0]

    def _totals(self, amounts: Mapping[str, float], dose: float
                ) -> tuple[dict[int, float], dict[int, set[str]]]:  # fmt: skip
        totals: dict[int, float] = {}
        contributors: dict[int, set[str]] = {}
        scale = dose / 100.0
        for material_id, pct in amounts.items():
            for rule, coef in self.material_coefs.get(material_id, ()):
                index = rule.index
                totals[index] = totals.get(index, 0.0) + pct * coef * scale
                contributors.setdefault(index, set()).add(material_id)
        return totals, contributors

    def excess(
        self, amounts: Mapping[str, float], dose: float, headroom: float, safety: float = 1.0
    ) -> list[tuple[float, set[str]]]:
        """``(factor, contributors)`` for each linear rule above ``safety x`` its headroom line:
        scaling the contributors by ``factor`` brings the rule back to the line."""
        totals, contributors = self._totals(amounts, dose)
        over = []
        for index, total in totals.items():
            target = self.rules[index].target(headroom, safety)
            if total > target * (1 + EPS):
                over.append((target / total if total > 0 else 0.0, contributors[index]))
        return over

    def contributions(
        self, amounts: Mapping[str, float], dose: float, headroom: float, safety: float = 1.0
    ) -> list[tuple[Rule, float, float, dict[str, float]]]:
        """``(rule, total, target, material -> its part of the total)`` for each linear rule
        above ``safety x`` its headroom line."""
        parts: dict[int, dict[str, float]] = {}
        for material_id, pct in amounts.items():
            for rule, coef in self.material_coefs.get(material_id, ()):
                part = parts.setdefault(rule.index, {})
                part[material_id] = part.get(material_id, 0.0) + pct * coef * dose / 100.0
        over = []
        for index, part in parts.items():
            rule = self.rules[index]
            total, target = math.fsum(part.values()), rule.target(headroom, safety)
            if total > target * (1 + EPS):
                over.append((rule, total, target, part))
        return over

    def loads(self, amounts: Mapping[str, float]) -> dict[str, Load]:
        loads: dict[str, Load] = {}
        for material_id, pct in amounts.items():
            for key, fraction in self.contents.get(material_id, ()):
                load = loads.get(key)
                if load is None:
                    load = loads[key] = Load()
                load.add(material_id, pct * fraction)
        return loads

    def evaluate(self, amounts: Mapping[str, float], dose: float, detail: bool = True
                 ) -> Evaluation:  # fmt: skip
        """The per-rule verdict for a formula (material id -> % of the concentrate).

        ``detail=False`` is the quick check: only failing rules get a row, and there is no
        labelling and no requirement (same pass/fail as the full verdict)."""
        if not detail and not any(m in self.unusable for m in amounts):
            return self._failures(amounts, dose)
        result = Evaluation(loads=self.loads(amounts))
        finished = {k: load.concentrate_pct * dose / 100.0 for k, load in result.loads.items()}
        touched = {rule.index: rule for key in result.loads
                   for rule, _ in self.substance_rules.get(key, ())}  # fmt: skip
        for index in sorted(touched):
            rule = touched[index]
            if rule.kind == "specification":
                requirement = self._specification_row(rule, amounts, result.loads, dose)
                if requirement is not None:
                    result.requirements.append(requirement)
                continue
            row = self._rule_row(rule, amounts, result.loads, finished, dose)
            if row is not None:
                result.rows.append(row)
        result.rows += [self._natural_only_row(rule, material_id, amounts, dose)
                        for material_id in amounts for rule in self.direct_bans.get(material_id, ())
                        if rule.kind == "limit"]  # EU natural-only substances added as such
        result.labelling = self._labelling(result.loads, finished, dose)
        return result

    def _failures(self, amounts: Mapping[str, float], dose: float) -> Evaluation:
        totals = self.totals(amounts, dose)
        failing = [self.rules[i] for i, total in totals.items()
                   if total > float(self.rules[i].limit or 0.0) * (1 + EPS) + 1e-15]  # fmt: skip
        result = Evaluation()
        if failing:
            result.loads = self.loads(amounts)
            finished = {k: ld.concentrate_pct * dose / 100.0 for k, ld in result.loads.items()}
            for rule in failing:
                row = self._linear_row(rule, result.loads, finished, dose)
                if row is not None:
                    result.rows.append(row)
        return result

    # ---- verdict rows --------------------------------------------------------------------
    def _rule_row(self, rule: Rule, amounts: Mapping[str, float], loads: Mapping[str, Load],
                  finished: Mapping[str, float], dose: float) -> dict[str, Any] | None:  # fmt: skip
        if rule.kind == "prohibition":
            return self._prohibition_row(rule, amounts, loads, finished)
        if rule.linear:
            return self._linear_row(rule, loads, finished, dose)
        return None

    def _members(self, rule: Rule, loads: Mapping[str, Load], finished: Mapping[str, float],
                 dose: float) -> list[dict[str, Any]]:  # fmt: skip
        members = []
        for key in rule.coef:
            load = loads.get(key)
            if load is None or load.concentrate_pct <= 0:
                continue
            member: dict[str, Any] = {
                "substance": key, "name": self.name(key),
                "amount_pct": round(finished[key], 6),
                "sources": {m: round(p * dose / 100.0, 6) for m, p in sorted(load.sources.items())},
            }  # fmt: skip
            if rule.kind == "phototoxic_sum":
                own = rule.member_limits[key]
                member["limit_pct"] = own
                member["ratio"] = round(finished[key] / own, 4)
            members.append(member)
        return members

    def _linear_row(
        self, rule: Rule, loads: Mapping[str, Load], finished: Mapping[str, float], dose: float
    ) -> dict[str, Any] | None:
        members = self._members(rule, loads, finished, dose)
        if not members:
            return None
        amount = math.fsum(finished[m["substance"]] * rule.coef[m["substance"]] for m in members)
        limit = float(rule.limit or 0.0)
        ratio = amount / limit if limit > 0 else (math.inf if amount > 0 else 0.0)
        fail = amount > limit * (1 + EPS) + 1e-15
        kind = rule.kind
        if kind == "limit" and len(rule.coef) > 1:
            kind = "group_limit"
        unit = UNIT_SUM if rule.kind == "phototoxic_sum" else UNIT_PCT
        row = self._row(rule, kind, "fail" if fail else "pass")
        row.update({
            "amount": round(amount, 6), "limit": limit, "unit": unit,
            "ratio": round(ratio, 4) if math.isfinite(ratio) else None,
            "headroom_pct": round(100.0 * (1.0 - ratio), 3) if math.isfinite(ratio) else None,
            "members": members,
        })  # fmt: skip
        row["text"] = _text(row)
        return row

    def _prohibition_row(self, rule: Rule, amounts: Mapping[str, float],
                         loads: Mapping[str, Load], finished: Mapping[str, float]
                         ) -> dict[str, Any] | None:  # fmt: skip
        direct = [k for k in rule.coef if k in amounts]
        carried = [k for k in rule.coef if k in loads and k not in amounts]
        if rule.spec.scope != "any":
            carried = []
        if not direct and not carried:
            return None
        row = self._row(rule, "prohibition", "fail")
        present = direct + carried
        row.update({
            "amount": round(math.fsum(finished[k] for k in present), 6), "limit": 0.0,
            "unit": UNIT_PCT, "ratio": None, "headroom_pct": None,
            "members": [{"substance": k, "name": self.name(k), "amount_pct": round(finished[k], 6),
                         "direct": k in amounts} for k in present],
        })  # fmt: skip
        row["text"] = _text(row)
        return row

    def _natural_only_row(self, rule: Rule, material_id: str, amounts: Mapping[str, float],
                          dose: float) -> dict[str, Any]:  # fmt: skip
        row = self._row(rule, "prohibition", "fail")
        row["code"] = "prohibited"
        amount = amounts[material_id] * dose / 100.0
        row.update({
            "title": f"{self.name(material_id)} added as such",
            "amount": round(amount, 6), "limit": 0.0, "unit": UNIT_PCT, "ratio": None,
            "headroom_pct": None,
            "members": [{"substance": material_id, "name": self.name(material_id),
                         "amount_pct": round(amount, 6), "direct": True}],
            "note": "allowed only as the natural content of essential oils and extracts",
        })  # fmt: skip
        row["rule"] = f"{rule.id}:as-such"
        row["text"] = _text(row)
        return row

    def _specification_row(
        self, rule: Rule, amounts: Mapping[str, float], loads: Mapping[str, Load], dose: float
    ) -> dict[str, Any] | None:
        threshold = rule.spec.carriers_min_pct
        materials: set[str] = set()
        for key in rule.coef:
            if key in amounts:
                materials.add(key)
            load = loads.get(key)
            if threshold is None or load is None:
                continue
            for material_id in load.sources:
                fraction = dict(self.contents[material_id]).get(key, 0.0)
                if fraction * 100.0 >= threshold:
                    materials.add(material_id)
        if not materials:
            return None
        requirement = rule.spec.requirement or rule.spec.note
        if rule.spec.finished_limit_ppb:
            share = math.fsum(amounts.get(m, 0.0) for m in materials) * dose / 100.0
            ppm = rule.spec.finished_limit_ppb / 1000.0 / (share / 100.0) if share > 0 else math.inf
            markers = " and ".join(rule.spec.markers) or "each marker"
            requirement = (f"{requirement}; at {share:.4g} % of the finished product the grade "
                           f"may contain at most {ppm:.3g} ppm of {markers} "
                           f"({rule.spec.finished_limit_ppb:g} ppb in the finished product)")
        row = self._row(rule, "specification", "requirement")
        row.update({"materials": sorted(materials), "requirement": requirement})
        row["text"] = (f"REQUIREMENT {row['standard']} ({_amendment(row)}) {row['title']}: "
                       f"{requirement} - applies to {', '.join(sorted(materials))}")
        return row

    def _row(self, rule: Rule, kind: str, status: str) -> dict[str, Any]:
        source = rule.spec.source
        return {
            "rule": rule.id, "kind": kind, "status": status, "title": rule.spec.title,
            "authority": source.authority, "standard": source.standard,
            "amendment": source.amendment, "verified": source.verified,
            "code": rule.code, "note": rule.spec.note,
        }  # fmt: skip

    def _labelling(self, loads: Mapping[str, Load], finished: Mapping[str, float],
                   dose: float) -> list[dict[str, Any]]:  # fmt: skip
        threshold = self.regulation.label_thresholds.get(self.context.exposure, 0.001)
        rows: list[dict[str, Any]] = []
        entries = sorted({n for key in loads for n in self.label_index.get(key, ())})
        for name, listing, keys in (self.labels[n] for n in entries):
            present = [k for k in keys if k in loads and loads[k].concentrate_pct > 0]
            if not present:
                continue
            amount = math.fsum(finished[k] for k in present)
            sources: dict[str, float] = {}
            for key in present:
                for m, p in loads[key].sources.items():
                    sources[m] = sources.get(m, 0.0) + p * dose / 100.0
            rows.append({
                "name": name, "eu_list": listing, "substances": present,
                "amount_pct": round(amount, 6), "threshold_pct": threshold,
                "label": amount > threshold,
                "sources": {m: round(v, 6) for m, v in sorted(sources.items())},
            })  # fmt: skip
        rows.sort(key=lambda r: (-r["amount_pct"], r["name"]))
        return rows


def _ban_reason(rule: Rule) -> str:
    source = rule.spec.source
    if rule.kind == "limit":
        return f"allowed in the EU only as natural content ({source.standard})"
    who = "banned in the EU" if source.authority == "EU" else "prohibited by IFRA"
    return f"{who} ({source.standard})"


def _amendment(row: Mapping[str, Any]) -> str:
    amendment = str(row["amendment"])
    return f"{amendment} Amendment" if amendment[:1].isdigit() else amendment


def _num(value: float) -> str:
    """A percentage as a person writes it: no exponent, at most 6 significant digits."""
    if value == 0 or abs(value) >= 0.01:
        return f"{value:.6g}"
    return f"{value:.8f}".rstrip("0").rstrip(".")


def _member_text(member: Mapping[str, Any]) -> str:
    text = f"{member['name']} {_num(member['amount_pct'])} %"
    if "limit_pct" in member:
        text += f" / {_num(member['limit_pct'])} % = {member['ratio']:.4g}"
    sources = member.get("sources") or {}
    if set(sources) - {member["substance"]} or len(sources) > 1:
        text += " from " + ", ".join(f"{m} {_num(v)} %" for m, v in sources.items())
    return text


def _text(row: Mapping[str, Any]) -> str:
    head = f"{row['status'].upper()} {row['standard']} ({_amendment(row)}) {row['title']}"
    if row["kind"] == "prohibition":
        return f"{head}: present at {_num(row['amount'])} % in the finished product; not allowed"
    members = "; ".join(_member_text(m) for m in row["members"])
    if row["unit"] == UNIT_SUM:
        return (f"{head}: sum of ratios {row['amount']:.4g} vs 1 ({members})")
    return (f"{head}: {_num(row['amount'])} % in the finished product vs limit "
            f"{_num(row['limit'])} % (ratio {row['ratio']:.4g}; {members})")


_CACHE: weakref.WeakKeyDictionary[MaterialBook, dict[tuple[int, ProductContext], RuleBook]] = (
    weakref.WeakKeyDictionary())


def rulebook(book: MaterialBook, context: ProductContext | None = None,
             regulation: Regulation | None = None) -> RuleBook:  # fmt: skip
    """The compiled rules for ``book`` (cached per book, regulation and context)."""
    regulation = regulation if regulation is not None else shipped_regulation()
    context = context or ProductContext()
    per_book = _CACHE.setdefault(book, {})
    key = (id(regulation), context)
    compiled = per_book.get(key)
    if compiled is None or compiled.regulation is not regulation:
        compiled = per_book[key] = RuleBook(book, regulation, context)
    return compiled
