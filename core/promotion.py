"""The promotion gate: whether a freshly trained version may become active on its own."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GateDecision:
    passed: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "reason": self.reason}


def promotion_gate(target: str, before: Mapping[str, Any] | None,
                   after: Mapping[str, Any] | None, tolerance: float) -> GateDecision:
    """Whether a new version may be promoted automatically.

    Embedding: nDCG@10 of every search type measured before and after must not drop by more
    than `tolerance`. Generator: the held-out loss must not rise by more than `tolerance`.
    Without both evaluations the gate does not pass (an admin can still promote).
    """
    if not before or not after:
        return GateDecision(False, "no evaluation before and after training")
    if target == "generator":
        old, new = float(before["heldout_loss"]), float(after["heldout_loss"])
        if new > old + tolerance:
            return GateDecision(False, f"held-out loss rose from {old:.4f} to {new:.4f}")
        return GateDecision(True, f"held-out loss {old:.4f} -> {new:.4f}")
    kinds = sorted(set(before) & set(after))
    if not kinds:
        return GateDecision(False, "no search type evaluated both before and after")
    drops = [f"{kind} nDCG@10 fell from {before[kind]['ndcg@10']:.4f} to "
             f"{after[kind]['ndcg@10']:.4f}" for kind in kinds
             if float(after[kind]["ndcg@10"]) < float(before[kind]["ndcg@10"]) - tolerance]
    if drops:
        return GateDecision(False, "; ".join(drops))
    return GateDecision(True, "; ".join(
        f"{kind} nDCG@10 {before[kind]['ndcg@10']:.4f} -> {after[kind]['ndcg@10']:.4f}"
        for kind in kinds))
