"""Regulatory rules as data: IFRA Standards and the EU Cosmetics Regulation, each row with
its source.

Two places hold rules. ``materials.json`` carries each material's own IFRA standard (its
``ifra`` field: restriction, prohibition or specification, with standard and amendment).
``regulation.json`` carries everything that spans materials: restricted constituents of
naturals, group limits, the phototoxic additivity rule and the bergapten cap, Schiff-base
contributions, specifications on grades, EU Annex II bans, EU Annex III caps by product type
and the EU allergen labelling list. A row of ``regulation.json`` whose ``standard`` (or one of its
``supersedes``) matches a material's own standard replaces that material-level rule (e.g. the
rose-ketone group replaces the per-damascone rows).

``ProductContext`` is what a verdict depends on besides the formula: the IFRA category (only
Category 4, fine fragrance, is modelled) and the EU product type (fine fragrance or eau de
toilette, where Annex III distinguishes them).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "knowledge" / "regulation.json"

SUPPORTED_CATEGORIES = ("4",)
PRODUCT_TYPES = ("fine_fragrance", "eau_de_toilette")
# Annex III distinguishes fine fragrance and eau de toilette; an eau de cologne is weaker
# than an eau de toilette, so it takes the (lower) eau de toilette caps.
DEFAULT_PRODUCT_TYPE = {"parfum": "fine_fragrance", "edp": "fine_fragrance",
                        "edt": "eau_de_toilette", "edc": "eau_de_toilette",
                        "eau_fraiche": "eau_de_toilette"}  # fmt: skip
KINDS = ("limit", "phototoxic_sum", "prohibition", "specification")
VERIFIED = ("text", "secondary", "derived", "unverified")


def category_slug(value: Any) -> str:
    """'4', 4, 'cat 4', 'Category 4' -> '4'; ``ValueError`` for a category we do not model."""
    if isinstance(value, bool):
        raise ValueError(f"product_category: {value!r} is not an IFRA category")
    text = str(value).strip().lower().replace("category", "").replace("cat", "").strip()
    if text not in SUPPORTED_CATEGORIES:
        raise ValueError(f"product_category: {value!r} is not modelled; the knowledge base holds "
                         f"limits for IFRA Category {', '.join(SUPPORTED_CATEGORIES)} "
                         "(fine fragrance) only")
    return text


def product_type_slug(value: Any, concentration: str | None = None) -> str:
    """A product type slug; empty or None -> the default for ``concentration``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_PRODUCT_TYPE.get(str(concentration or ""), "fine_fragrance")
    key = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    key = {"edt": "eau_de_toilette", "edc": "eau_de_toilette", "eau_de_cologne": "eau_de_toilette",
           "edp": "fine_fragrance", "parfum": "fine_fragrance"}.get(key, key)  # fmt: skip
    if key not in PRODUCT_TYPES:
        raise ValueError(f"product_type: {value!r} is not one of {PRODUCT_TYPES}")
    return key


@dataclass(frozen=True)
class ProductContext:
    """What a verdict depends on besides the formula."""

    category: str = "4"
    product_type: str = "fine_fragrance"
    exposure: str = "leave_on"  # every product type we make is leave-on

    def to_dict(self) -> dict[str, str]:
        return {"ifra_category": self.category, "product_type": self.product_type,
                "exposure": self.exposure}  # fmt: skip


@dataclass(frozen=True)
class Source:
    """Where a rule comes from and how far we checked it."""

    authority: str  # IFRA | EU
    standard: str  # e.g. IFRA_STD_099, Annex III/72
    amendment: str  # e.g. 51st, Reg. (EU) 2023/1545
    verified: str = "unverified"  # text | secondary | derived | unverified
    how: str = ""
    url: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"authority": self.authority, "standard": self.standard,
                "amendment": self.amendment, "verified": self.verified, "how": self.how,
                "url": self.url}  # fmt: skip


@dataclass(frozen=True)
class RuleSpec:
    """One rule row.

    ``members`` are substance names (material ids, names, synonyms or constituent names).
    ``limits`` map an IFRA category ("4") or an EU product type ("fine_fragrance",
    "eau_de_toilette", "all") to a maximum % in the finished product.
    """

    id: str
    kind: str
    title: str
    source: Source
    members: tuple[str, ...]
    limits: Mapping[str, float] = field(default_factory=dict)
    note: str = ""
    requirement: str = ""  # specifications: what the grade must meet
    carriers_min_pct: float | None = None  # specifications: naturals with >= this % count
    natural_only: bool = False  # EU: the substance may only come from natural essences
    scope: str = "any"  # prohibitions: any presence ("any") or direct use only ("as_such")
    finished_limit_ppb: float | None = None  # specifications on markers (e.g. PAH in tars)
    markers: tuple[str, ...] = ()
    supersedes: tuple[str, ...] = ()  # material-level standards this row replaces

    @property
    def authority(self) -> str:
        return self.source.authority

    def limit_for(self, context: ProductContext) -> float | None:
        if self.authority == "EU":
            for key in (context.product_type, "all"):
                if key in self.limits:
                    return self.limits[key]
            return None
        return self.limits.get(context.category)


@dataclass(frozen=True)
class Contribution:
    """A substance a material releases or carries besides its listed constituents (Schiff
    bases release their aldehyde; graded materials carry a certified marker level)."""

    material: str
    substance: str
    content_pct: float
    kind: str  # schiff_base | grade
    note: str = ""


@dataclass(frozen=True)
class GradeSwap:
    """A grade of a material that the repair may swap in (e.g. FCF bergamot)."""

    material: str
    grade: str
    note: str = ""


@dataclass(frozen=True)
class LabelEntry:
    """An EU labelling entry that groups several substances (e.g. rose ketones, carvone)."""

    name: str
    listing: str  # 26 | 2023
    members: tuple[str, ...]


@dataclass
class Regulation:
    """The rule rows of ``regulation.json`` (material-level rules come from the book)."""

    rules: list[RuleSpec]
    contributions: list[Contribution] = field(default_factory=list)
    grades: list[GradeSwap] = field(default_factory=list)
    labels: list[LabelEntry] = field(default_factory=list)
    label_thresholds: Mapping[str, float] = field(
        default_factory=lambda: {"leave_on": 0.001, "rinse_off": 0.01})
    label_source: Source = field(default_factory=lambda: Source("EU", "Annex III", "2023/1545"))
    version: str = ""
    _compiled: dict[Any, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Regulation:
        sources = data.get("sources") or {}
        rules = [_rule(row, sources) for row in data.get("rules") or []]
        ids = [r.id for r in rules]
        if len(ids) != len(set(ids)):
            raise ValueError("regulation: duplicate rule ids")
        labelling = data.get("labelling") or {}
        return cls(
            rules=rules,
            contributions=[Contribution(str(c["material"]), str(c["substance"]),
                                        float(c["content_pct"]), str(c["kind"]),
                                        str(c.get("note", "")))
                           for c in data.get("contributions") or []],
            grades=[GradeSwap(str(g["material"]), str(g["grade"]), str(g.get("note", "")))
                    for g in data.get("grades") or []],
            labels=[LabelEntry(str(e["name"]), str(e["list"]), tuple(e["members"]))
                    for e in labelling.get("entries") or []],
            label_thresholds=dict(labelling.get("thresholds_pct")
                                  or {"leave_on": 0.001, "rinse_off": 0.01}),
            label_source=_source(labelling.get("source") or {}, sources, "EU"),
            version=str(data.get("version", "")),
        )

    @classmethod
    def empty(cls) -> Regulation:
        return cls(rules=[])


def _source(row: Mapping[str, Any], sources: Mapping[str, Any], authority: str) -> Source:
    ref = sources.get(str(row.get("ref", ""))) or {}
    verified = str(row.get("verified", ref.get("verified", "unverified")))
    if verified not in VERIFIED:
        raise ValueError(f"regulation: verified must be one of {VERIFIED}, got {verified!r}")
    return Source(
        authority=str(row.get("authority", authority)),
        standard=str(row.get("standard", "")),
        amendment=str(row.get("amendment", ref.get("amendment", ""))),
        verified=verified,
        how=str(row.get("how", ref.get("how", ""))),
        url=str(row.get("url", ref.get("url", ""))),
    )


def _rule(row: Mapping[str, Any], sources: Mapping[str, Any]) -> RuleSpec:
    kind = str(row.get("kind", ""))
    if kind not in KINDS:
        raise ValueError(f"regulation rule {row.get('id')!r}: kind must be one of {KINDS}")
    source = _source(row, sources, str(row.get("authority", "IFRA")))
    if not source.standard or not source.amendment:
        raise ValueError(f"regulation rule {row.get('id')!r}: standard and amendment required")
    limits = {str(k): float(v) for k, v in (row.get("limits") or {}).items()}
    if any(not math.isfinite(v) or v < 0 for v in limits.values()):
        raise ValueError(f"regulation rule {row.get('id')!r}: limits must be finite and >= 0")
    members = tuple(str(m) for m in row.get("members") or ())
    if not members:
        raise ValueError(f"regulation rule {row.get('id')!r}: members required")
    ppb = row.get("finished_limit_ppb")
    carriers = row.get("carriers_min_pct")
    return RuleSpec(
        id=str(row["id"]), kind=kind, title=str(row.get("title", row["id"])), source=source,
        members=members, limits=limits, note=str(row.get("note", "")),
        requirement=str(row.get("requirement", "")),
        carriers_min_pct=None if carriers is None else float(carriers),
        natural_only=bool(row.get("natural_only", False)),
        scope=str(row.get("scope", "any")),
        finished_limit_ppb=None if ppb is None else float(ppb),
        markers=tuple(str(m) for m in row.get("markers") or ()),
        supersedes=tuple(str(m) for m in row.get("supersedes") or ()),
    )


def load_regulation(path: str | Path | None = None) -> Regulation:
    """Read ``regulation.json`` (default: the shipped one); ``ValueError`` when malformed."""
    source = Path(path) if path is not None else DEFAULT_PATH
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{source}: not valid JSON ({exc})") from exc
    if not isinstance(data, Mapping):
        raise ValueError(f"{source}: expected a JSON object")
    return Regulation.from_dict(data)


@lru_cache(maxsize=1)
def shipped_regulation() -> Regulation:
    """The shipped rule set, loaded once per process."""
    return load_regulation()

