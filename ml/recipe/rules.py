"""Configurable thresholds for the validator and the formulator."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

DEFAULT_BANDS: Mapping[str, tuple[float, float]] = MappingProxyType(
    {"top": (10.0, 40.0), "heart": (20.0, 60.0), "base": (15.0, 60.0)}
)


@dataclass(frozen=True)
class Rules:
    """Validation thresholds. Percentages of the concentrate unless named ``finished``.

    ``pyramid_bands`` are soft (warnings); ``ifra_headroom`` is the share of each limit (IFRA
    or EU, single, group or additive) kept free by the formulator and by repairs (0.2: use at
    most 80 % of the limit). The IFRA category and EU product type are the formula's own.
    """

    pyramid_bands: Mapping[str, tuple[float, float]] = field(default_factory=lambda: DEFAULT_BANDS)
    sum_tolerance: float = 0.01
    min_materials: int = 5
    max_materials: int = 50
    max_single_pct: float = 40.0
    ifra_headroom: float = 0.2

    def band(self, position: str) -> tuple[float, float]:
        return self.pyramid_bands.get(position, (0.0, 100.0))


DEFAULT_RULES = Rules()
