"""Machine-readable findings and the validation report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One reason: a stable ``code`` (e.g. ``ifra_limit``), a message, and what it concerns."""

    code: str
    message: str
    subject: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "subject": self.subject}


@dataclass
class ValidationReport:
    """The validator's verdict. ``valid`` is true only when every check ran and none failed.

    ``verdict`` has one row per rule the formula touches (IFRA and EU: the substance or group,
    its amount in the finished product, the limit, the ratio, pass or fail, the members with
    the materials they come from, the rule's standard and amendment). ``labelling`` lists the
    EU allergens with their amount and the labelling threshold of the product type;
    ``specifications`` the requirements on material grades. ``ifra`` and ``allergens`` are
    the short forms of the same facts.
    """

    valid: bool = False
    violations: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    allergens: list[dict[str, Any]] = field(default_factory=list)
    ifra: list[dict[str, Any]] = field(default_factory=list)
    specifications: list[str] = field(default_factory=list)
    pyramid: dict[str, float] = field(default_factory=dict)
    material_count: int = 0
    repairs: list[str] = field(default_factory=list)
    verdict: list[dict[str, Any]] = field(default_factory=list)
    labelling: list[dict[str, Any]] = field(default_factory=list)
    requirements: list[dict[str, Any]] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def min_ifra_headroom_pct(self) -> float | None:
        """The smallest headroom to any quantitative limit (IFRA or EU), in %."""
        values = [r["headroom_pct"] for r in self.verdict
                  if r.get("headroom_pct") is not None and r.get("limit")]  # fmt: skip
        return min(values) if values else None

    def rule_status(self) -> dict[str, str]:
        """Rule id -> pass | fail | requirement, for every rule the formula touches."""
        status = {r["rule"]: r["status"] for r in self.verdict}
        status.update({r["rule"]: r["status"] for r in self.requirements})
        return status

    def lines(self) -> list[str]:
        """The verdict as plain text, one line per rule, failures first."""
        order = {"fail": 0, "pass": 1, "requirement": 2}
        rows = sorted([*self.verdict, *self.requirements],
                      key=lambda r: (order.get(r["status"], 3), r["rule"]))  # fmt: skip
        return [r["text"] for r in rows]

    def codes(self) -> set[str]:
        return {f.code for f in self.violations}

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "violations": [f.to_dict() for f in self.violations],
            "warnings": [f.to_dict() for f in self.warnings],
            "allergens": list(self.allergens),
            "ifra": list(self.ifra),
            "specifications": list(self.specifications),
            "pyramid": dict(self.pyramid),
            "material_count": self.material_count,
            "repairs": list(self.repairs),
            "context": dict(self.context),
            "verdict": list(self.verdict),
            "requirements": list(self.requirements),
            "labelling": list(self.labelling),
            "summary": self.lines(),
        }
