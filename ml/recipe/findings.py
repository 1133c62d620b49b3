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
    """The validator's verdict. ``valid`` is true only when every check ran and none failed."""

    valid: bool = False
    violations: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    allergens: list[dict[str, Any]] = field(default_factory=list)
    ifra: list[dict[str, Any]] = field(default_factory=list)
    specifications: list[str] = field(default_factory=list)
    pyramid: dict[str, float] = field(default_factory=dict)
    material_count: int = 0
    repairs: list[str] = field(default_factory=list)

    @property
    def min_ifra_headroom_pct(self) -> float | None:
        values = [e["headroom_pct"] for e in self.ifra if e["limit_pct"] > 0]
        return min(values) if values else None

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
        }
