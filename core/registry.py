"""The model registry: trained model versions, their states, and the promotion gate.

States: `candidate -> active -> retired`, and `retired -> active` (a rollback or an admin
re-promotion). At most one version per target is `active` (the database enforces it with a
partial unique index); promoting one retires the previous active version in the same
transaction. No active version for a target means "serve the built-in base model".
This class is the one writer of `model_versions.state`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.database import transaction
from core.errors import ModelVersionNotFound, VersionStateRefused
from core.models import ModelVersion, utcnow
from core.views import iso

TARGETS: tuple[str, ...] = ("embedding", "generator")


class VersionState(StrEnum):
    CANDIDATE = "candidate"
    ACTIVE = "active"
    RETIRED = "retired"


VERSION_TRANSITIONS: Mapping[VersionState, frozenset[VersionState]] = MappingProxyType({
    VersionState.CANDIDATE: frozenset({VersionState.ACTIVE}),
    VersionState.ACTIVE: frozenset({VersionState.RETIRED}),
    VersionState.RETIRED: frozenset({VersionState.ACTIVE}),
})


@dataclass(frozen=True)
class ModelVersionView:
    id: str
    target: str
    parent_id: str | None
    dataset: dict[str, Any]
    metrics: dict[str, Any]
    path: str
    state: str
    job_id: str | None
    created_at: datetime
    promoted_at: datetime | None

    @classmethod
    def of(cls, row: ModelVersion) -> ModelVersionView:
        return cls(row.id, row.target, row.parent_id, row.dataset, row.metrics, row.path,
                   row.state, row.job_id, row.created_at, row.promoted_at)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "target": self.target, "parent_id": self.parent_id,
                "dataset": self.dataset, "metrics": self.metrics, "path": self.path,
                "state": self.state, "job_id": self.job_id,
                "created_at": iso(self.created_at), "promoted_at": iso(self.promoted_at)}


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


class ModelRegistry:
    """Registered model versions. Thread-safe: one session per call."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def register(self, *, target: str, path: str, dataset: dict[str, Any],
                 metrics: dict[str, Any], job_id: str | None = None,
                 parent_id: str | None = None, activate: bool = False) -> ModelVersionView:
        """Store a new `candidate` (made `active` at once when `activate`). Idempotent per
        `job_id`: a job registering again gets its first version back, unchanged."""
        if target not in TARGETS:
            raise ValueError(f"target must be one of {TARGETS}, not {target!r}")
        if job_id and (existing := self._of_job(job_id)) is not None:
            return existing
        version_id = str(uuid.uuid4())
        try:
            with transaction(self._sessions) as session:
                session.add(ModelVersion(id=version_id, target=target, parent_id=parent_id,
                                         dataset=dataset, metrics=metrics, path=path,
                                         state=VersionState.CANDIDATE, job_id=job_id))
                session.flush()
                if activate:
                    self._activate(session, version_id)
        except IntegrityError:
            existing = self._of_job(job_id) if job_id else None
            if existing is None:
                raise
            return existing
        return self.get(version_id)

    def _of_job(self, job_id: str) -> ModelVersionView | None:
        with transaction(self._sessions) as session:
            row = session.scalar(select(ModelVersion).where(ModelVersion.job_id == job_id))
            return None if row is None else ModelVersionView.of(row)

    def get(self, version_id: str) -> ModelVersionView:
        """Raises ModelVersionNotFound."""
        with transaction(self._sessions) as session:
            row = session.get(ModelVersion, version_id)
            if row is None:
                raise ModelVersionNotFound(version_id)
            return ModelVersionView.of(row)

    def list(self, target: str | None = None, state: str | None = None,
             limit: int = 100) -> list[ModelVersionView]:
        """Newest first."""
        query = select(ModelVersion)
        if target:
            query = query.where(ModelVersion.target == target)
        if state:
            query = query.where(ModelVersion.state == state)
        query = query.order_by(ModelVersion.created_at.desc(), ModelVersion.id.desc())
        with transaction(self._sessions) as session:
            return [ModelVersionView.of(row) for row in session.scalars(query.limit(limit))]

    def active(self, target: str) -> ModelVersionView | None:
        with transaction(self._sessions) as session:
            row = session.scalar(select(ModelVersion).where(
                ModelVersion.target == target, ModelVersion.state == VersionState.ACTIVE))
            return None if row is None else ModelVersionView.of(row)

    def active_id(self, target: str) -> str | None:
        """The active version's id only: the cheap query serving workers poll."""
        with transaction(self._sessions) as session:
            return session.scalar(select(ModelVersion.id).where(
                ModelVersion.target == target, ModelVersion.state == VersionState.ACTIVE))

    def promote(self, version_id: str) -> ModelVersionView:
        """Make the version active (retiring the target's active one). Promoting the active
        version is a no-op. Raises ModelVersionNotFound, VersionStateRefused (a concurrent
        promotion of the same target won)."""
        try:
            with transaction(self._sessions) as session:
                self._activate(session, version_id)
        except IntegrityError as exc:  # the one-active-per-target index
            raise VersionStateRefused(version_id, "candidate",
                                      "promote: another promotion won the race") from exc
        return self.get(version_id)

    def rollback(self, version_id: str) -> tuple[ModelVersionView, ModelVersionView | None]:
        """Retire the ACTIVE version and re-activate its parent (the version it was trained
        from); with no parent the target falls back to the base model. Returns (retired,
        now active or None). Raises ModelVersionNotFound, VersionStateRefused."""
        with transaction(self._sessions) as session:
            row = self._locked(session, version_id)
            if row.state != VersionState.ACTIVE:
                raise VersionStateRefused(version_id, row.state, "roll back")
            self._set_state(session, row.id, VersionState.RETIRED)
            if row.parent_id is not None:
                self._activate(session, row.parent_id)
            parent_id = row.parent_id
        return self.get(version_id), (self.get(parent_id) if parent_id else None)

    def _locked(self, session: Session, version_id: str) -> ModelVersion:
        row = session.scalar(select(ModelVersion).where(ModelVersion.id == version_id)
                             .with_for_update())
        if row is None:
            raise ModelVersionNotFound(version_id)
        return row

    def _activate(self, session: Session, version_id: str) -> None:
        row = self._locked(session, version_id)
        if row.state == VersionState.ACTIVE:
            return
        current = session.scalars(select(ModelVersion).where(
            ModelVersion.target == row.target, ModelVersion.state == VersionState.ACTIVE)
            .with_for_update()).all()
        for previous in current:
            self._set_state(session, previous.id, VersionState.RETIRED)
        self._set_state(session, row.id, VersionState.ACTIVE, promoted_at=utcnow())

    def _set_state(self, session: Session, version_id: str, target: VersionState,
                   **values: Any) -> None:
        """The compare-and-set state write; refuses a move the table does not allow."""
        sources = [str(s) for s, targets in VERSION_TRANSITIONS.items() if target in targets]
        done = session.execute(update(ModelVersion)
                               .where(ModelVersion.id == version_id,
                                      ModelVersion.state.in_(sources))
                               .values(state=target, **values)
                               .returning(ModelVersion.id)
                               .execution_options(synchronize_session=False)).first()
        if done is None:
            state = session.scalar(select(ModelVersion.state)
                                   .where(ModelVersion.id == version_id))
            raise VersionStateRefused(version_id, str(state), f"make {target}")
        session.flush()
