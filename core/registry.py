"""The model registry: trained model versions per tenant, their states, and the deployment
defaults.

A version belongs to the tenant whose training job made it. Its state is its state in that
tenant's registry: `candidate -> active -> retired`, and `retired -> active` (a rollback or
a re-promotion); at most one version per tenant and target is `active` (a partial unique
index), and promoting one retires the previous active one in the same transaction.

What serves a tenant's jobs is its own active version, else the deployment default of the
target (set by operators only, `model_defaults`), else the built-in base model (None). A
tenant's training, promotion or rollback never changes what serves another tenant.
This class is the one writer of `model_versions.state` and `model_defaults`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.database import transaction
from core.errors import ModelVersionNotFound, VersionStateRefused
from core.models import Job, ModelDefault, ModelVersion, utcnow
from core.states import JobStatus
from core.views import iso

log = logging.getLogger(__name__)

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
    tenant_id: str
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
        return cls(row.id, row.tenant_id, row.target, row.parent_id, row.dataset, row.metrics,
                   row.path, row.state, row.job_id, row.created_at, row.promoted_at)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "tenant_id": self.tenant_id, "target": self.target,
                "parent_id": self.parent_id, "dataset": self.dataset,
                "metrics": self.metrics, "path": self.path, "state": self.state,
                "job_id": self.job_id, "created_at": iso(self.created_at),
                "promoted_at": iso(self.promoted_at)}


class ModelRegistry:
    """Registered model versions. Thread-safe: one session per call. Methods taking a
    `tenant_id` act within that tenant's registry (another tenant's version is not found);
    None means the operator, who may reach any version."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def register(self, *, target: str, path: str, dataset: dict[str, Any],
                 metrics: dict[str, Any], tenant_id: str, job_id: str | None = None,
                 parent_id: str | None = None, activate: bool = False) -> ModelVersionView:
        """Store a new `candidate` of the tenant (made `active` in the tenant's registry at
        once when `activate`). Idempotent per `job_id`: a job registering again gets its
        first version back, unchanged."""
        if target not in TARGETS:
            raise ValueError(f"target must be one of {TARGETS}, not {target!r}")
        if job_id and (existing := self._of_job(job_id)) is not None:
            return existing
        version_id = str(uuid.uuid4())
        try:
            with transaction(self._sessions) as session:
                session.add(ModelVersion(id=version_id, tenant_id=tenant_id, target=target,
                                         parent_id=parent_id, dataset=dataset,
                                         metrics=metrics, path=path,
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

    def get(self, version_id: str, tenant_id: str | None = None) -> ModelVersionView:
        """Raises ModelVersionNotFound (also for another tenant's version)."""
        with transaction(self._sessions) as session:
            row = session.get(ModelVersion, version_id)
            if row is None or (tenant_id is not None and row.tenant_id != tenant_id):
                raise ModelVersionNotFound(version_id)
            return ModelVersionView.of(row)

    def list(self, tenant_id: str | None, target: str | None = None,
             state: str | None = None, limit: int = 100) -> list[ModelVersionView]:
        """The tenant's versions (None: every tenant's), newest first."""
        query = select(ModelVersion)
        if tenant_id is not None:
            query = query.where(ModelVersion.tenant_id == tenant_id)
        if target:
            query = query.where(ModelVersion.target == target)
        if state:
            query = query.where(ModelVersion.state == state)
        query = query.order_by(ModelVersion.created_at.desc(), ModelVersion.id.desc())
        with transaction(self._sessions) as session:
            return [ModelVersionView.of(row) for row in session.scalars(query.limit(limit))]

    def active(self, target: str, tenant_id: str) -> ModelVersionView | None:
        """The tenant's own active version of the target."""
        with transaction(self._sessions) as session:
            row = session.scalar(select(ModelVersion).where(
                ModelVersion.tenant_id == tenant_id, ModelVersion.target == target,
                ModelVersion.state == VersionState.ACTIVE))
            return None if row is None else ModelVersionView.of(row)

    def serving_id(self, target: str, tenant_id: str) -> str | None:
        """The version that serves the tenant's jobs: its own active one, else the
        deployment default, else None (the built-in base model). Two indexed reads."""
        with transaction(self._sessions) as session:
            own = session.scalar(select(ModelVersion.id).where(
                ModelVersion.tenant_id == tenant_id, ModelVersion.target == target,
                ModelVersion.state == VersionState.ACTIVE))
            return own or session.scalar(select(ModelDefault.version_id)
                                         .where(ModelDefault.target == target))

    def serving(self, target: str, tenant_id: str) -> ModelVersionView | None:
        version_id = self.serving_id(target, tenant_id)
        return None if version_id is None else self.get(version_id)

    def defaults(self) -> dict[str, str | None]:
        """Target -> the deployment default version id (None: the base model)."""
        with transaction(self._sessions) as session:
            found = dict(session.execute(select(ModelDefault.target, ModelDefault.version_id))
                         .tuples().all())
        return {target: found.get(target) for target in TARGETS}

    def promote(self, version_id: str, tenant_id: str | None) -> ModelVersionView:
        """Make the version active in its tenant's registry (retiring that tenant's active
        one). Promoting the active version is a no-op. Raises ModelVersionNotFound,
        VersionStateRefused (a concurrent promotion of the same target won, or the training
        job that made the version did not succeed)."""
        self.get(version_id, tenant_id)
        try:
            with transaction(self._sessions) as session:
                self._refuse_unfinished_runs(session, version_id)
                self._activate(session, version_id)
        except IntegrityError as exc:  # the one-active-per-tenant-and-target index
            raise VersionStateRefused(version_id, "candidate",
                                      "promote: another promotion won the race") from exc
        return self.get(version_id)

    def rollback(self, version_id: str, tenant_id: str | None
                 ) -> tuple[ModelVersionView, ModelVersionView | None]:
        """Retire the tenant's ACTIVE version and re-activate its parent when the parent is
        the tenant's own; otherwise the tenant falls back to the deployment default.
        Returns (retired, the tenant's active version now or None). Raises
        ModelVersionNotFound, VersionStateRefused (also when the version is the deployment
        default: retiring it would not take it out of service)."""
        self.get(version_id, tenant_id)
        with transaction(self._sessions) as session:
            row = self._locked(session, version_id)
            if row.state != VersionState.ACTIVE:
                raise VersionStateRefused(version_id, row.state, "roll back")
            if session.scalar(select(ModelDefault.target).where(
                    ModelDefault.version_id == version_id)) is not None:
                # retired here, it would still serve this tenant (and every other) as the
                # default: say so rather than answer as if it no longer served
                raise VersionStateRefused(
                    version_id, "the deployment default",
                    "roll back for one tenant: it serves every tenant without a version of "
                    "its own; an operator rolls back the default first (scope=deployment)")
            self._set_state(session, row.id, VersionState.RETIRED)
            parent = session.get(ModelVersion, row.parent_id) if row.parent_id else None
            restored = parent.id if parent and parent.tenant_id == row.tenant_id else None
            if restored:
                self._activate(session, restored)
        return self.get(version_id), (self.get(restored) if restored else None)

    def set_default(self, version_id: str) -> ModelVersionView:
        """Make the version the deployment default of its target (operators only: the
        caller checks). Raises ModelVersionNotFound."""
        version = self.get(version_id)
        with transaction(self._sessions) as session:
            row = session.get(ModelDefault, version.target, with_for_update=True)
            if row is None:
                session.add(ModelDefault(target=version.target, version_id=version_id,
                                         updated_at=utcnow()))
            elif row.version_id != version_id:
                row.previous_version_id, row.version_id = row.version_id, version_id
                row.updated_at = utcnow()
        return version

    def rollback_default(self, target: str) -> str | None:
        """Restore the target's previous deployment default; returns the default now
        (None: the base model). Raises VersionStateRefused when there is nothing to undo."""
        with transaction(self._sessions) as session:
            row = session.get(ModelDefault, target, with_for_update=True)
            if row is None or row.version_id is None:
                raise VersionStateRefused(target, "the base model", "roll back the default")
            row.version_id, row.previous_version_id = row.previous_version_id, None
            row.updated_at = utcnow()
            return row.version_id

    def withdraw(self, version_id: str) -> bool:
        """Delete a candidate whose training job did not succeed (canceled, failed, timed
        out after registering it): it was never served and may not be promoted. Returns
        whether it was deleted (an active or retired version is left alone)."""
        with transaction(self._sessions) as session:
            deleted = session.execute(delete(ModelVersion).where(
                ModelVersion.id == version_id, ModelVersion.state == VersionState.CANDIDATE))
            return bool(deleted.rowcount)  # type: ignore[attr-defined]

    def prune(self, tenant_id: str, target: str, keep: int) -> tuple[str, ...]:
        """Delete the tenant's candidate and retired versions of `target` beyond its `keep`
        newest, but for the active version's parent (its rollback) and any deployment
        default, current or previous; returns the deleted versions' model paths, for the
        caller to free. Each version is a model folder (88 MB for the embedding model):
        without a bound, one tenant's training runs filled the disk every tenant shares."""
        with transaction(self._sessions) as session:
            rows = session.scalars(select(ModelVersion).where(
                ModelVersion.tenant_id == tenant_id, ModelVersion.target == target)
                .order_by(ModelVersion.created_at.desc(), ModelVersion.id)
                .with_for_update()).all()
            defaults = session.execute(select(ModelDefault.version_id,
                                              ModelDefault.previous_version_id)).all()
            kept = {v for pair in defaults for v in pair if v}
            kept.update(r.parent_id for r in rows
                        if r.state == VersionState.ACTIVE and r.parent_id)
            idle = [r for r in rows if r.state != VersionState.ACTIVE and r.id not in kept]
            gone = idle[keep:]
            if not gone:
                return ()
            ids = [r.id for r in gone]
            session.execute(update(ModelVersion).where(ModelVersion.parent_id.in_(ids))
                            .values(parent_id=None)
                            .execution_options(synchronize_session=False))
            session.execute(delete(ModelVersion).where(ModelVersion.id.in_(ids))
                            .execution_options(synchronize_session=False))
            return tuple(r.path for r in gone)

    @staticmethod
    def _refuse_unfinished_runs(session: Session, version_id: str) -> None:
        """A version registered by a training job that then did not succeed (a cancel that
        came after the last step) is no model to serve, whatever its state says."""
        status = session.scalar(select(Job.status).join(
            ModelVersion, ModelVersion.job_id == Job.id).where(ModelVersion.id == version_id))
        if status is not None and status != JobStatus.SUCCEEDED:
            raise VersionStateRefused(version_id, "candidate",
                                      f"promote: its training job was {status}")

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
            ModelVersion.tenant_id == row.tenant_id, ModelVersion.target == row.target,
            ModelVersion.state == VersionState.ACTIVE).with_for_update()).all()
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


class ServingIds:
    """Which version serves each tenant (`resolve`: the registry's answer, e.g.
    `ModelRegistry.serving_id` of a target), read again after `refresh_s`: the workers
    that build the versions and the API that keys its search cache by them see a
    promotion within the same time. When the registry cannot answer, the last answer
    stands (None if there was none: the base model). At most `max_tenants` are kept."""

    def __init__(self, resolve: Callable[[str], str | None], refresh_s: float, *,
                 name: str = "model", max_tenants: int = 100_000) -> None:
        self._resolve, self._refresh_s = resolve, refresh_s
        self._name, self._max_tenants = name, max_tenants
        self._known: dict[str, tuple[float, str | None]] = {}  # tenant -> (when, id)
        self._lock = threading.Lock()

    def fresh(self, tenant_id: str) -> tuple[str | None] | None:
        """(the version serving the tenant,) when known and read less than `refresh_s` ago;
        None when the registry must be asked (by calling this object)."""
        known = self._last(tenant_id)
        if known is not None and time.monotonic() - known[0] < self._refresh_s:
            return (known[1],)
        return None

    def __call__(self, tenant_id: str) -> str | None:
        fresh = self.fresh(tenant_id)
        if fresh is not None:
            return fresh[0]
        try:
            version_id = self._resolve(tenant_id)
        except Exception:  # the registry is unreachable: keep what served the tenant
            log.warning("%s: could not resolve the version of tenant %s", self._name,
                        tenant_id, exc_info=True)
            known = self._last(tenant_id)
            return None if known is None else known[1]
        with self._lock:
            if len(self._known) > self._max_tenants:  # many tenants: forget, read again
                self._known.clear()
            self._known[tenant_id] = (time.monotonic(), version_id)
        return version_id

    def _last(self, tenant_id: str) -> tuple[float, str | None] | None:
        """(when, version id) of the registry's last answer for the tenant, if any."""
        with self._lock:
            return self._known.get(tenant_id)
